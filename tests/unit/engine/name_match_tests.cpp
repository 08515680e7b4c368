// Company-name matching: normalisation for exact auto-mapping, similarity and fuzzy suggestions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "mapping/name_match.hpp"

using namespace meterbridge::host::mapping;

namespace {

// PSA companies and, at the same index, the way a vendor console spells the same customer.
const std::vector<std::string> kPsaNames = {
    "Acme Dental Group, Inc.",
    "Brightwater Logistics GmbH",
    "Città di Lugo S.r.l.",
    "Müller & Söhne GmbH & Co. KG",
    "The Smith Law Firm, LLP",
    "O'Brien Plumbing Ltd.",
    "Co-op Credit Union",
    "Northwind Traders",
    "Contoso Pharmaceuticals Ltd",
    "Fabrikam Industries, Inc.",
    "Pinecrest Veterinary Clinic",
    "Riverside Family Medicine, P.C.",
    "Blue Ridge Accounting Services LLC",
    "Harborview Property Management",
    "Summit Orthopedics & Sports Medicine",
    "Lakeshore Community Church",
    "Oakwood Senior Living",
    "Redwood Architecture Partners",
    "Golden Gate Insurance Agency",
    "Kowalski Transport Sp. z o.o.",
    "Nordisk Byggeservice A/S",
    "Dupont & Fils SARL",
    "Greenfield Elementary School District",
    "Silverline Manufacturing Corp.",
    "Meridian Capital Advisors",
    "St. Mary's Hospital Foundation",
    "Johnson & Johnson Orthodontics",
    "Pacific Coast Realty Group",
    "Tri-County Electric Cooperative",
    "Eagle Eye Security Systems",
};

const std::vector<std::string> kVendorNames = {
    "Acme Dental Grp",
    "Bright Water Logistics",
    "Citta di Lugo srl",
    "Mueller und Söhne GmbH",
    "Smith Law Firm",
    "OBrien Plumbing",
    "CO-OP CREDIT UNION LTD",
    "Northwind Traders Inc",
    "Contoso Pharma",
    "Fabrikam Ind.",
    "Pinecrest Vet Clinic",
    "Riverside Family Med",
    "Blue Ridge Accounting Svcs",
    "Harbor View Property Mgmt",
    "Summit Ortho and Sports Med",
    "Lakeshore Comm. Church",
    "Oakwood Senior Living Inc",
    "Redwood Architecture Partners LLP",
    "Golden Gate Ins Agency",
    "Kowalski Transport",
    "Nordisk Byggeservice ApS",
    "Dupont et Fils",
    "Greenfield Elem School District",
    "Silverline Mfg",
    "Meridian Capital Advisers",
    "Saint Marys Hospital Foundation",
    "Johnson and Johnson Orthodontics",
    "Pacific Coast Realty",
    "TriCounty Electric Coop",
    "Eagle-Eye Security Sys",
};

std::vector<Candidate> psa_candidates() {
  std::vector<Candidate> out;
  for (size_t i = 0; i < kPsaNames.size(); ++i)
    out.push_back({"psa-" + std::to_string(i), kPsaNames[i]});
  return out;
}

}  // namespace

TEST_CASE("normalize_company_name: case, punctuation and legal forms") {
  CHECK(normalize_company_name("Acme Dental Group, Inc.") == "acme dental group");
  CHECK(normalize_company_name("ACME DENTAL GROUP INC") == "acme dental group");
  CHECK(normalize_company_name("Acme Dental Group, Inc.") ==
        normalize_company_name("acme  dental-group"));
  CHECK(normalize_company_name("Acme Holdings, Inc.") == "acme holdings");
  CHECK(normalize_company_name("Brightwater Logistics GmbH") == "brightwater logistics");
  CHECK(normalize_company_name("The Smith Law Firm, LLP") == "smith law firm");
  CHECK(normalize_company_name("Smith Law Firm, The") == "smith law firm");
  CHECK(normalize_company_name("Co-op Credit Union") == "co op credit union");
  CHECK(normalize_company_name("Fabrikam Industries, Inc.") == "fabrikam industries");
  CHECK(normalize_company_name("Riverside Family Medicine, P.C.") == "riverside family medicine");
  CHECK(normalize_company_name("Blue Ridge Accounting Services L.L.C.") ==
        "blue ridge accounting services");
  CHECK(normalize_company_name("Acme Pty Ltd") == "acme");
  CHECK(normalize_company_name("Acme Corp. Limited") == "acme");
  CHECK(normalize_company_name("Acme Company") == "acme");
  CHECK(normalize_company_name("Smith & Co.") == "smith");
  CHECK(normalize_company_name("Johnson & Johnson") == "johnson and johnson");
  CHECK(normalize_company_name("AT&T") == "at and t");
  CHECK(normalize_company_name("  Multiple \t spaces\n and   tabs  ") ==
        "multiple spaces and tabs");
  CHECK(normalize_company_name("3M Company") == "3m");
  CHECK(normalize_company_name("St. Mary's Hospital (Main Campus)") ==
        "st marys hospital main campus");
}

TEST_CASE("normalize_company_name: apostrophes are removed without a space") {
  CHECK(normalize_company_name("O'Brien Plumbing Ltd.") == "obrien plumbing");
  CHECK(normalize_company_name("O\xE2\x80\x99"
                               "Brien Plumbing") == "obrien plumbing");  // ’
  CHECK(normalize_company_name("OBrien Plumbing") == "obrien plumbing");
  CHECK(normalize_company_name("Macy`s") == "macys");
}

TEST_CASE("normalize_company_name: European legal forms, dotted or not") {
  CHECK(normalize_company_name("Città di Lugo S.r.l.") == "citta di lugo");
  CHECK(normalize_company_name("Citta di Lugo SRL") == "citta di lugo");
  CHECK(normalize_company_name("Müller & Söhne GmbH & Co. KG") == "muller and sohne");
  CHECK(normalize_company_name("Müller & Söhne GmbH") == "muller and sohne");
  CHECK(normalize_company_name("Kowalski Transport Sp. z o.o.") == "kowalski transport");
  CHECK(normalize_company_name("Nordisk Byggeservice A/S") == "nordisk byggeservice");
  CHECK(normalize_company_name("Nordisk Byggeservice ApS") == "nordisk byggeservice");
  CHECK(normalize_company_name("Ferrari S.p.A.") == "ferrari");
  CHECK(normalize_company_name("Ferrari SpA") == "ferrari");
  CHECK(normalize_company_name("Société Générale S.A.") == "societe generale");
  CHECK(normalize_company_name("Dupont & Fils SARL") == "dupont and fils");
  CHECK(normalize_company_name("Dupont & Fils S.A.R.L.") == "dupont and fils");
  CHECK(normalize_company_name("Van Dijk Installatietechniek B.V.") ==
        "van dijk installatietechniek");
  CHECK(normalize_company_name("Bäckerei Schmidt e.K.") == "backerei schmidt");
  CHECK(normalize_company_name("Hansen Data UG (haftungsbeschränkt)") == "hansen data");
  CHECK(normalize_company_name("Kovács és Társa Kft.") == "kovacs es tarsa");
  CHECK(normalize_company_name("Sistemas Ibéricos S.L.") == "sistemas ibericos");
  CHECK(normalize_company_name("Nokia Oyj") == "nokia");
  CHECK(normalize_company_name("Volvo AB") == "volvo");
}

TEST_CASE("normalize_company_name: Latin letters fold, other scripts are kept") {
  CHECK(normalize_company_name("ÀÁÂÄÃÅ ÈÉÊË ÌÍÎÏ ÒÓÔÖÕØ ÙÚÛÜ Ñ Ç") ==
        "aaaaaa eeee iiii oooooo uuuu n c");
  CHECK(normalize_company_name("àáâäãå èéêë ìíîï òóôöõø ùúûü ñ ç") ==
        "aaaaaa eeee iiii oooooo uuuu n c");
  CHECK(normalize_company_name("Straße Bau") == "strasse bau");
  CHECK(normalize_company_name("Ærø Bådeværft") == "aero badevaerft");
  CHECK(normalize_company_name("Œuvre Cœur") == "oeuvre coeur");
  CHECK(normalize_company_name("Łódź Żółć Systems") == "lodz zolc systems");
  CHECK(normalize_company_name("Dvořák Čech Šťastný") == "dvorak cech stastny");
  // Decomposed accents (e + combining grave) fold like precomposed ones.
  CHECK(normalize_company_name("Citta\xCC\x80 di Lugo") == "citta di lugo");
  // Non-breaking space and en dash are separators.
  CHECK(normalize_company_name("Acme\xC2\xA0"
                               "Dental\xE2\x80\x93"
                               "Group") == "acme dental group");
  CHECK(normalize_company_name("Москва Трейд") == "Москва Трейд");
  CHECK(normalize_company_name("東京 Systems Inc.") == "東京 systems");
  // An invalid UTF-8 byte is a separator, never a crash.
  CHECK(normalize_company_name("Acme\xFF"
                               "Dental") == "acme dental");
  CHECK(normalize_company_name("Acme\xC3") == "acme");
}

TEST_CASE("normalize_company_name never strips a name to nothing") {
  CHECK(normalize_company_name("AG") == "ag");
  CHECK(normalize_company_name("Inc.") == "inc");
  CHECK(normalize_company_name("The") == "the");
  CHECK(normalize_company_name("The Company") == "company");
  CHECK(normalize_company_name("S.r.l.") == "s r l");
  CHECK(normalize_company_name("Ltd. Inc.") == "ltd");
  CHECK(normalize_company_name("GmbH & Co. KG") == "gmbh");
  CHECK(normalize_company_name("") == "");
  CHECK(normalize_company_name(" .,- ") == "");
}

TEST_CASE("normalize_company_name is stable on its own output for realistic names") {
  for (const auto& list : {kPsaNames, kVendorNames}) {
    for (const std::string& name : list) {
      INFO(name);
      const std::string once = normalize_company_name(name);
      CHECK_FALSE(once.empty());
      CHECK(normalize_company_name(once) == once);
    }
  }
}

TEST_CASE("name_similarity") {
  SECTION("1.0 exactly when the normalised names are equal, below otherwise") {
    CHECK(name_similarity("Acme Dental Group, Inc.", "ACME DENTAL GROUP INC") == 1.0);
    CHECK(name_similarity("O'Brien Plumbing Ltd.", "OBrien Plumbing") == 1.0);
    CHECK(name_similarity("Acme Dental Group", "Acme Dental Groups") < 1.0);
    CHECK(name_similarity("Bright Water Logistics", "Brightwater Logistics GmbH") < 1.0);
  }
  SECTION("close spellings score high") {
    CHECK(name_similarity("Acme Dental Grp", "ACME Dental Group, Inc.") > 0.8);
    CHECK(name_similarity("Brightwater Logistics GmbH", "Bright Water Logistics") > 0.9);
    CHECK(name_similarity("Meridian Capital Advisors", "Meridian Capital Advisers") > 0.9);
    CHECK(name_similarity("Riverside Family Medicine", "Riverside Family Med") > 0.8);
  }
  SECTION("abbreviations and typos score moderately") {
    const double pharma = name_similarity("Contoso Pharmaceuticals Ltd", "Contoso Pharma");
    CHECK(pharma > 0.6);
    CHECK(pharma < 0.95);
    const double mfg = name_similarity("Silverline Manufacturing Corp.", "Silverline Mfg");
    CHECK(mfg > 0.6);
    CHECK(mfg < 0.95);
    const double typo = name_similarity("Northwind Traders", "Nortwhind Tradres");
    CHECK(typo > 0.6);
    CHECK(typo < 0.95);
  }
  SECTION("unrelated names score low") {
    CHECK(name_similarity("Acme Dental", "Northwind Traders") < 0.4);
    CHECK(name_similarity("Brightwater Logistics", "Lakeshore Community Church") < 0.4);
    CHECK(name_similarity("Quantum Bakery", "Golden Gate Insurance Agency") < 0.4);
  }
  SECTION("symmetric, bounded, and zero for names that normalise to nothing") {
    for (size_t i = 0; i < kPsaNames.size(); ++i) {
      const double ab = name_similarity(kPsaNames[i], kVendorNames[i]);
      CHECK(ab == name_similarity(kVendorNames[i], kPsaNames[i]));
      CHECK(ab >= 0.0);
      CHECK(ab <= 1.0);
    }
    CHECK(name_similarity("", "Acme") == 0.0);
    CHECK(name_similarity("", "") == 0.0);
    CHECK(name_similarity("...", "Acme") == 0.0);
  }
}

TEST_CASE("suggest_matches: each vendor spelling finds its PSA company first") {
  const auto candidates = psa_candidates();
  const CandidateIndex index(candidates);
  REQUIRE(index.size() == candidates.size());
  for (size_t i = 0; i < kVendorNames.size(); ++i) {
    INFO(kVendorNames[i] << " should match " << kPsaNames[i]);
    const auto suggestions = suggest_matches(kVendorNames[i], candidates);
    REQUIRE_FALSE(suggestions.empty());
    CHECK(suggestions.front().id == "psa-" + std::to_string(i));
    CHECK(suggestions.front().name == kPsaNames[i]);
    CHECK(suggestions.front().score >= 0.7);
    // No other company is suggested for these spellings.
    CHECK(suggestions.size() == 1);
    // The index gives the same answer.
    const auto from_index = index.suggest(kVendorNames[i]);
    REQUIRE(from_index.size() == suggestions.size());
    CHECK(from_index.front().id == suggestions.front().id);
    CHECK(from_index.front().score == suggestions.front().score);
  }
}

TEST_CASE("suggest_matches: exact normalised matches score 1.0") {
  const auto candidates = psa_candidates();
  for (const char* name : {"ACME DENTAL GROUP INC", "Smith Law Firm", "OBrien Plumbing",
                           "Kowalski Transport", "Citta di Lugo srl", "Muller and Sohne"}) {
    INFO(name);
    const auto s = suggest_matches(name, candidates);
    REQUIRE_FALSE(s.empty());
    CHECK(s.front().score == 1.0);
    CHECK(normalize_company_name(s.front().name) == normalize_company_name(name));
  }
}

TEST_CASE("suggest_matches: unrelated names are not suggested above 0.6") {
  const auto candidates = psa_candidates();
  for (const char* name : {"Zephyr Aviation Holdings", "Quantum Bakery", "Hillside Auto Repair",
                           "Vertex Biolabs", "Maple Leaf Landscaping", "Ironclad Roofing LLC"}) {
    INFO(name);
    CHECK(suggest_matches(name, candidates).empty());
    for (const auto& s : suggest_matches(name, candidates, 0.0, 50)) CHECK(s.score < 0.6);
  }
}

TEST_CASE("suggest_matches: ordering, ties, limit and min_score") {
  const std::vector<Candidate> candidates = {
      {"c1", "Acme Dental Group"},      {"c2", "Acme Dental Care"},
      {"c3", "Acme Dental Group West"}, {"c4", "ACME Dental Group, Inc."},
      {"c5", "Acme Dental Group LLC"},  {"c6", "Northwind Traders"},
      {"c7", "Acme Dental Group"},  // same name as c1, another id
  };
  SECTION("best first; ties by name, then id; at most limit") {
    const auto all = suggest_matches("Acme Dental Group", candidates, 0.0, 10);
    REQUIRE(all.size() == 7);
    for (size_t i = 1; i < all.size(); ++i) {
      CHECK(all[i - 1].score >= all[i].score);
      if (all[i - 1].score == all[i].score) CHECK(all[i - 1].name <= all[i].name);
    }
    // The four exact matches (1.0) come first, ordered by name then id.
    CHECK(all[0].name == "ACME Dental Group, Inc.");
    CHECK(all[1].id == "c1");
    CHECK(all[2].id == "c7");
    CHECK(all[3].name == "Acme Dental Group LLC");
    for (size_t i = 0; i < 4; ++i) CHECK(all[i].score == 1.0);
    CHECK(all[4].id == "c3");
    CHECK(all[4].score < 1.0);
    CHECK(all[6].id == "c6");

    const auto top2 = suggest_matches("Acme Dental Group", candidates, 0.0, 2);
    REQUIRE(top2.size() == 2);
    CHECK(top2[0].id == all[0].id);
    CHECK(top2[1].id == all[1].id);
    CHECK(suggest_matches("Acme Dental Group", candidates, 0.0, 0).empty());
    CHECK(suggest_matches("Acme Dental Group", candidates).size() == 3);  // default limit
  }
  SECTION("min_score filters") {
    for (double min : {0.0, 0.5, 0.6, 0.8, 0.95, 1.0}) {
      for (const auto& s : suggest_matches("Acme Dental Grp", candidates, min, 10))
        CHECK(s.score >= min);
    }
    CHECK(suggest_matches("Acme Dental Grp", candidates, 1.0, 10).empty());
  }
  SECTION("scores are rounded to 3 decimals") {
    for (const auto& s : suggest_matches("Acme Dentl Grp", candidates, 0.0, 10)) {
      CHECK(s.score * 1000 == Approx(std::round(s.score * 1000)).margin(1e-9));
    }
  }
  SECTION("empty names and empty lists") {
    CHECK(suggest_matches("", candidates).empty());
    CHECK(suggest_matches("  ", candidates, 0.0).empty());
    CHECK(suggest_matches("Acme", {}).empty());
    CHECK(suggest_matches("Acme", {{"x", ""}}, 0.0).empty());
  }
}

TEST_CASE("CandidateIndex pruning agrees with scoring every pair") {
  std::vector<Candidate> candidates = psa_candidates();
  for (size_t i = 0; i < kVendorNames.size(); ++i) {
    candidates.push_back({"v-" + std::to_string(i), kVendorNames[i]});
  }
  std::vector<CandidateIndex::Prepared> prepared;
  for (const Candidate& c : candidates) prepared.push_back(CandidateIndex::prepare(c.name));
  const CandidateIndex index(candidates);
  for (const Candidate& query : candidates) {
    const auto q = CandidateIndex::prepare(query.name);
    std::vector<double> scores;
    for (const auto& p : prepared)
      scores.push_back(std::round(CandidateIndex::score(q, p) * 1000) / 1000);
    CHECK(CandidateIndex::score(q, q) == 1.0);
    for (double min : {0.3, 0.56, 0.6, 0.75, 0.9}) {
      INFO(query.name << " at " << min);
      const size_t expected = static_cast<size_t>(
          std::count_if(scores.begin(), scores.end(), [min](double s) { return s >= min; }));
      const auto got = index.suggest(query.name, min, candidates.size());
      CHECK(got.size() == expected);
      for (const auto& s : got)
        CHECK(s.score == Approx(name_similarity(query.name, s.name)).margin(0.0005));
    }
  }
}

TEST_CASE("CandidateIndex over a large generated list finds exact and near copies") {
  const char* words[] = {"acme",     "dental",   "group",    "bright",  "water",   "logistics",
                         "north",    "wind",     "traders",  "pacific", "coast",   "realty",
                         "summit",   "medical",  "family",   "care",    "law",     "firm",
                         "plumbing", "electric", "security", "systems", "capital", "advisors",
                         "church",   "school",   "district", "senior",  "living",  "partners"};
  const char* suffixes[] = {"", " Inc.", " LLC", " GmbH", " S.r.l.", " Ltd"};
  std::vector<Candidate> candidates;
  uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7FFF; };
  for (int i = 0; i < 2000; ++i) {
    std::string name;
    for (int k = 0; k < 3; ++k) name += std::string(k ? " " : "") + words[next() % 30];
    name += " " + std::to_string(i);  // every company distinct
    name += suffixes[next() % 6];
    candidates.push_back({"id-" + std::to_string(i), name});
  }
  const CandidateIndex index(candidates);
  for (int i = 0; i < 2000; i += 20) {
    const Candidate& c = candidates[static_cast<size_t>(i)];
    INFO(c.name);
    const auto exact = index.suggest(c.name);
    REQUIRE_FALSE(exact.empty());
    CHECK(exact.front().id == c.id);
    CHECK(exact.front().score == 1.0);
    // Upper-cased, punctuation changed and the legal form dropped: still an exact match.
    std::string shouted;
    for (char ch : c.name) shouted += static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
    CHECK(index.suggest(shouted).front().id == c.id);
  }
}
