// `meterbridge map auto`: links unmapped vendor customers to PSA companies, first by the
// source's own link (catalog.v1 psa_hint), then by exact normalised name.
#include "cli/map_auto_command.hpp"

#include <iostream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/text_table.hpp"
#include "mapping/name_match.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

namespace {

// What the store knows of the PSA side, indexed for both rules. Every sink's companies count
// (as `map customer` and `map suggest` do): a hint follows the sinks of its PSA, a name any.
struct CompanyIndex {
  std::map<std::string, std::vector<store::PsaCompany>> by_name;  // not gone only
  // (PSA kind, company id) -> the companies of sinks of that kind with that id, gone included
  std::map<std::pair<std::string, std::string>, std::vector<store::PsaCompany>> by_hint;
  std::set<std::string> kinds;  // PSA kinds with at least one sink

  explicit CompanyIndex(store::BillingStore& s) {
    std::map<std::string, std::string> kind_of;  // sink instance -> autotask / connectwise
    for (auto& c : s.mapping().psa_companies()) {
      if (!c.gone_since) by_name[mapping::normalize_company_name(c.name)].push_back(c);
      if (c.psa == "manual") continue;
      auto [it, fresh] = kind_of.try_emplace(c.psa);
      if (fresh) it->second = s.mapping().setting("psa_kind/" + c.psa).value_or("");
      if (it->second.empty()) continue;
      kinds.insert(it->second);
      by_hint[{it->second, c.id}].push_back(c);
    }
  }
};

// One customer's outcome. rule: psa-id or name when linked; hint_status says what became of
// its psa_hint: used, unknown-id, gone-id, ambiguous-id, no-sink (no sink of that PSA), or "".
struct Outcome {
  std::optional<store::PsaCompany> company;
  std::string rule;
  std::vector<store::PsaCompany> ambiguous;  // several companies with the customer's name
  std::string hint_status;
  std::string note;
};

// Follows a customer's hint: the company when exactly one active company of a sink of the
// hinted PSA has the id; otherwise says why not in o.hint_status and o.note.
void follow_hint(const CompanyIndex& index, const store::PsaHint& h, Outcome& o) {
  const std::string hinted = h.psa + " company " + h.company_id +
                             (h.company_name.empty() ? "" : " (" + h.company_name + ")");
  if (!index.kinds.count(h.psa)) {
    o.hint_status = "no-sink";
    o.note = "hint to " + hinted + " not followed: no " + h.psa + " sink has been discovered";
    return;
  }
  std::vector<store::PsaCompany> active, gone;
  if (auto it = index.by_hint.find({h.psa, h.company_id}); it != index.by_hint.end()) {
    for (const auto& c : it->second) (c.gone_since ? gone : active).push_back(c);
  }
  if (active.size() == 1) {
    o.company = active.front();
    o.rule = "psa-id";
    o.hint_status = "used";
    return;
  }
  if (active.size() > 1) {
    o.hint_status = "ambiguous-id";
    o.note = "hint to " + hinted + " not followed: several " + h.psa + " sinks list that id";
  } else if (!gone.empty()) {
    o.hint_status = "gone-id";
    o.note = "hint to " + hinted + " not followed: " + gone.front().psa +
             " no longer lists it (deleted or inactive since " + *gone.front().gone_since + ")";
  } else {
    o.hint_status = "unknown-id";
    o.note = "hint to " + hinted + " not followed: no " + h.psa + " sink lists that id";
  }
}

Outcome decide(const CompanyIndex& index, const store::VendorCustomer& c) {
  Outcome o;
  if (c.psa_hint) {
    follow_hint(index, *c.psa_hint, o);
    if (o.company) return o;
  }
  // A stale hint must not block a correct name match: the name rule still runs.
  auto it = index.by_name.find(mapping::normalize_company_name(c.name));
  if (it == index.by_name.end()) return o;
  if (it->second.size() > 1) {
    o.ambiguous = it->second;
  } else {
    o.company = it->second.front();
    o.rule = "name";
  }
  return o;
}

json row_json(const store::VendorCustomer& c, const Outcome& o, const std::string& result) {
  json row = {{"source", c.source},
              {"customer_id", c.id},
              {"customer_name", c.name},
              {"result", result},
              {"rule", o.rule.empty() ? json(nullptr) : json(o.rule)}};
  if (o.company) {
    row["psa"] = o.company->psa;
    row["company"] = o.company->id;
    row["company_name"] = o.company->name;
  }
  if (!o.ambiguous.empty()) {
    row["companies"] = json::array();
    for (const auto& x : o.ambiguous) row["companies"].push_back(x.psa + "/" + x.id);
  }
  if (c.psa_hint) {
    row["psa_hint"] = {{"psa", c.psa_hint->psa},
                       {"company_id", c.psa_hint->company_id},
                       {"company_name", c.psa_hint->company_name},
                       {"status", o.hint_status}};
  }
  if (!o.note.empty()) row["note"] = o.note;
  return row;
}

void print_help(const po::options_description& options) {
  std::cout << "Usage: meterbridge map auto [--dry-run] [--format table|json]\n\n"
               "Links unmapped vendor customers to PSA companies, by two rules in order:\n"
               "  psa-id  the source's own link of the customer (its psa_hint: Datto RMM sites\n"
               "          carry an Autotask company id, say), followed when a sink of that PSA\n"
               "          listed that company id in its latest discover;\n"
               "  name    the PSA company whose normalised name is exactly the same (case,\n"
               "          punctuation, accents and legal suffixes such as Inc, LLC, Ltd, GmbH,\n"
               "          S.r.l., AG ignored). A name matching several companies is left for a\n"
               "          person.\n"
               "A hint to an unknown, deleted or inactive company is reported and not followed;\n"
               "the name rule is still tried for that customer, since a stale hint should not\n"
               "block a correct name match. Many customers (of any sources) may link to one\n"
               "company: it gets one consolidated bill. Fuzzy matches are only suggested: see\n"
               "`meterbridge map suggest`.\n\n"
            << options;
}

}  // namespace

int run_map_auto(CommandContext& context, const std::vector<std::string>& args) {
  po::options_description options("Options of `meterbridge map auto`");
  options.add_options()("dry-run", "show what would be linked, link nothing")(
      "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
      "table or json");
  ParsedOptions p = parse_options(args, options);
  if (p.help) {
    print_help(options);
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "json"});
  const bool dry_run = p.vm.count("dry-run") > 0;
  auto s = open_store(context);
  CompanyIndex index(*s);
  std::set<std::string> mapped;
  for (const auto& m : s->mapping().customer_mappings())
    mapped.insert(m.source + '\x1f' + m.customer_id);
  json out = json::array();
  TextTable t({"SOURCE", "CUSTOMER", "NAME", "RESULT", "RULE", "COMPANY", "COMPANY NAME", "NOTE"});
  std::map<std::string, int64_t> linked;  // rule -> count
  int64_t stale_hints = 0;
  store::Transaction tx(s->db());
  for (const auto& c : s->usage().customers()) {
    if (mapped.count(c.source + '\x1f' + c.id)) continue;
    Outcome o = decide(index, c);
    if (!o.note.empty()) ++stale_hints;
    std::string result;
    if (o.company) {
      if (!dry_run) {
        s->mapping().map_customer({c.source, c.id, o.company->psa, o.company->id, "auto", ""});
      }
      ++linked[o.rule];
      result = dry_run ? "would-link" : "linked";
    } else if (!o.ambiguous.empty()) {
      result = "ambiguous";
    } else if (!o.note.empty()) {
      result = "not-linked";
    } else {
      continue;  // no hint, no name match: left for `map suggest`
    }
    out.push_back(row_json(c, o, result));
    std::string company = o.company             ? o.company->psa + "/" + o.company->id
                          : o.ambiguous.empty() ? "-"
                                                : std::to_string(o.ambiguous.size()) + " companies";
    t.add_row({c.source, c.id, c.name, result, o.rule.empty() ? "-" : o.rule, company,
               o.company ? o.company->name : "", o.note});
  }
  tx.commit();
  if (format == "json") {
    std::cout << out.dump(2) << '\n';
    return kExitOk;
  }
  t.print(std::cout);
  const char* verb = dry_run ? " would be linked" : " linked";
  std::cout << linked["psa-id"] << verb << " by psa hint (psa-id), " << linked["name"] << verb
            << " by exact normalised name";
  if (stale_hints > 0) std::cout << "; " << stale_hints << " psa hint(s) not followed (see NOTE)";
  std::cout << '\n';
  return kExitOk;
}

}  // namespace meterbridge::host
