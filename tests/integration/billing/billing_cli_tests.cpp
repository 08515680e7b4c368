// The billing commands run as a newcomer runs them: CSV exports in a drop folder, collect,
// discover, map, plan, report, sync into a PSA (the ledger fixture), journal.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "billing_scenario.hpp"

using nlohmann::json;

namespace {

// Three October days of four customers; t-4 matches no PSA company.
void drop_october(BillingScenario& s) {
  s.drop_csv("usage-2026-10.csv",
             {"2026-10-01,t-1,\"Acme Dental Group, Inc.\",EP-ADV,Intercept X Advanced,seats,10",
              "2026-10-02,t-1,\"Acme Dental Group, Inc.\",EP-ADV,Intercept X Advanced,seats,12",
              "2026-10-03,t-1,\"Acme Dental Group, Inc.\",EP-ADV,Intercept X Advanced,seats,11",
              "2026-10-01,t-2,Brightwater Logistics,EP-ADV,Intercept X Advanced,seats,5",
              "2026-10-02,t-2,Brightwater Logistics,EP-ADV,Intercept X Advanced,seats,5",
              "2026-10-03,t-2,Brightwater Logistics,EP-ADV,Intercept X Advanced,seats,5",
              "2026-10-01,t-3,Citta di Lugo Srl,MAIL-STD,Email Standard,users,7",
              "2026-10-02,t-3,Citta di Lugo Srl,MAIL-STD,Email Standard,users,7",
              "2026-10-03,t-3,Citta di Lugo Srl,MAIL-STD,Email Standard,users,8",
              "2026-10-01,t-4,Unknown Holdings LLC,EP-ADV,Intercept X Advanced,seats,3"});
}

// Collect, discover, auto-map, confirm t-2 by hand, map both products.
void collect_and_map(BillingScenario& s) {
  json c = s.run_json({"collect", "--from", "2026-10-01", "--to", "2026-10-03"});
  REQUIRE(c["days"].size() == 3);
  REQUIRE(s.run({"discover"}).exit_code == 0);
  REQUIRE(s.run({"map", "auto"}).exit_code == 0);
  REQUIRE(s.run({"map", "customer", "drop", "t-2", "C2"}).exit_code == 0);
  REQUIRE(s.run({"map", "product", "drop", "EP-ADV", "EDR"}).exit_code == 0);
  REQUIRE(s.run({"map", "product", "drop", "MAIL-STD", "MAIL", "--method", "last"}).exit_code == 0);
}

json line_of(const json& lines, const std::string& company, const std::string& line) {
  for (const auto& l : lines) {
    if (l["company"] == company && l["line"] == line) return l;
  }
  return nullptr;
}

json sync_lines(const json& report) {
  json all = json::array();
  for (const auto& sink : report["sinks"]) {
    for (const auto& l : sink["lines"]) all.push_back(l);
  }
  return all;
}

}  // namespace

TEST_CASE("collect stores a day once: collecting it again reports no change") {
  BillingScenario s("billing-collect");
  drop_october(s);
  json first = s.run_json({"collect", "--date", "2026-10-01"});
  REQUIRE(first["days"].size() == 1);
  CHECK(first["days"][0]["records"] == 4);
  CHECK(first["days"][0]["added"] == 4);
  json again = s.run_json({"collect", "--date", "2026-10-01"});
  CHECK(again["days"][0]["added"] == 0);
  CHECK(again["days"][0]["unchanged"] == 4);
  CHECK(again["days"][0]["changed"] == 0);
  CHECK(again["days"][0]["first_collection"] == false);

  // A corrected export changes one value and drops one customer for that day.
  s.drop_csv("usage-2026-10.csv",
             {"2026-10-01,t-1,Acme Dental Group,EP-ADV,Intercept X Advanced,seats,9",
              "2026-10-01,t-2,Brightwater Logistics,EP-ADV,Intercept X Advanced,seats,5",
              "2026-10-01,t-3,Citta di Lugo Srl,MAIL-STD,Email Standard,users,7"});
  json corrected = s.run_json({"collect", "--date", "2026-10-01"});
  CHECK(corrected["days"][0]["changed"] == 1);
  CHECK(corrected["days"][0]["removed"] == 1);
  CHECK(corrected["days"][0]["unchanged"] == 2);
}

TEST_CASE("collect rejects malformed rows with file and line and stores the rest") {
  BillingScenario s("billing-rejects");
  s.drop_csv("bad.csv",
             {"2026-10-01,t-1,Acme,EP,Endpoint,seats,4", "2026-10-01,t-2,Beta,EP,Endpoint,seats,-3",
              "2026-10-01,t-3,Gamma,EP,Endpoint,seats,6"});
  json r = s.run_json({"collect", "--date", "2026-10-01"});
  const json& day = r["days"][0];
  CHECK(day["ok"] == true);
  CHECK(day["records"] == 2);
  REQUIRE(day["rejected"].size() == 1);
  CHECK(day["rejected"][0]["line"] == 3);
  CHECK(day["rejected"][0]["file"].get<std::string>().find("bad.csv") != std::string::npos);
  auto table = s.run({"collect", "--date", "2026-10-01"});
  CHECK(table.out.find("bad.csv:3") != std::string::npos);
}

TEST_CASE("map auto links exact normalised names only, suggest proposes and links nothing") {
  BillingScenario s("billing-map");
  drop_october(s);
  REQUIRE(s.run({"collect", "--from", "2026-10-01", "--to", "2026-10-03"}).exit_code == 0);
  REQUIRE(s.run({"discover"}).exit_code == 0);
  json linked = s.run_json({"map", "auto"});
  std::set<std::string> ids;
  for (const auto& l : linked) {
    if (l["result"] == "linked")
      ids.insert(l["customer_id"].get<std::string>() + "->" + l["company"].get<std::string>());
  }
  CHECK(ids == std::set<std::string>{"t-1->C1", "t-3->C3"});

  json suggestions = s.run_json({"map", "suggest"});
  json t2;
  for (const auto& row : suggestions) {
    if (row["customer_id"] == "t-2") t2 = row;
  }
  REQUIRE(t2.is_object());
  REQUIRE(!t2["candidates"].empty());
  CHECK(t2["candidates"][0]["company"] == "C2");
  CHECK(t2["candidates"][0]["score"].get<double>() > 0.8);
  // Suggesting linked nothing: t-2 is still unmapped.
  json list = s.run_json({"map", "list"});
  for (const auto& c : list["customers"]) {
    if (c["customer_id"] == "t-2") CHECK(c["company"].is_null());
  }
}

TEST_CASE("mapping commands refuse unknown ids and bad options with a clear message") {
  BillingScenario s("billing-map-errors");
  drop_october(s);
  REQUIRE(s.run({"collect", "--date", "2026-10-01"}).exit_code == 0);
  REQUIRE(s.run({"discover"}).exit_code == 0);
  auto r = s.run({"map", "customer", "drop", "t-1", "C99"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("unknown PSA company 'C99'") != std::string::npos);
  r = s.run({"map", "customer", "drop", "nobody", "C1"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("unknown vendor customer 'nobody'") != std::string::npos);
  r = s.run({"map", "product", "drop", "EP-ADV", "NOPE"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("unknown PSA line 'NOPE'") != std::string::npos);
  r = s.run({"map", "product", "drop", "EP-ADV", "EDR", "--method", "median"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--method") != std::string::npos);
  r = s.run(
      {"map", "product", "drop", "EP-ADV", "EDR", "--method", "prorated", "--tracking", "monthly"});
  CHECK(r.exit_code == 2);
  r = s.run({"plan", "--period", "2026-13"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--period") != std::string::npos);
  r = s.run({"billing", "set", "--day", "32"});
  CHECK(r.exit_code == 2);
  // Nothing was mapped by the refused commands.
  json list = s.run_json({"map", "list"});
  for (const auto& p : list["products"]) CHECK(p["line"].is_null());
}

TEST_CASE("plan gives quantities with provenance and lists what is left out") {
  BillingScenario s("billing-plan");
  drop_october(s);
  collect_and_map(s);
  json plan = s.run_json({"plan", "--period", "2026-10"});
  REQUIRE(plan["lines"].size() == 3);
  json edr1 = line_of(plan["lines"], "C1", "EDR");
  CHECK(edr1["quantity"] == 12);  // max of 10, 12, 11
  CHECK(edr1["method"] == "max");
  CHECK(edr1["period_start"] == "2026-10-01");
  CHECK(edr1["period_end"] == "2026-10-31");
  REQUIRE(edr1["sources"].size() == 1);
  CHECK(edr1["sources"][0]["customer_id"] == "t-1");
  CHECK(edr1["sources"][0]["determining_day"] == "2026-10-02");
  CHECK(edr1["sources"][0]["days_with_data"] == 3);
  CHECK(line_of(plan["lines"], "C3", "MAIL")["quantity"] == 8);  // last
  CHECK(line_of(plan["lines"], "C2", "EDR")["quantity"] == 5);
  std::set<std::string> kinds;
  for (const auto& e : plan["exceptions"]) {
    kinds.insert(e["kind"].get<std::string>());
    if (e["kind"] == "unmapped-customer") CHECK(e["customer_id"] == "t-4");
  }
  CHECK(kinds.count("unmapped-customer") == 1);
  CHECK(kinds.count("missing-days") == 1);  // only 3 of October's 31 days were collected

  // Sync off leaves the line out with the reason; removing the mapping turns sync off too.
  REQUIRE(s.run({"map", "sync", "drop", "MAIL-STD", "off"}).exit_code == 0);
  plan = s.run_json({"plan", "--period", "2026-10"});
  CHECK(line_of(plan["lines"], "C3", "MAIL").is_null());
  REQUIRE(s.run({"map", "product", "--remove", "drop", "EP-ADV"}).exit_code == 0);
  plan = s.run_json({"plan", "--period", "2026-10"});
  CHECK(plan["lines"].empty());
  json list = s.run_json({"map", "list"});
  for (const auto& p : list["products"]) CHECK(p["sync"] == false);
}

TEST_CASE("per-company billing day and product selection override the global settings") {
  BillingScenario s("billing-override");
  drop_october(s);
  collect_and_map(s);
  REQUIRE(s.run({"billing", "company", "C1", "--products", "drop/MAIL-STD"}).exit_code == 0);
  REQUIRE(s.run({"billing", "company", "C2", "--day", "31"}).exit_code == 0);
  json plan = s.run_json({"plan", "--period", "2026-10"});
  CHECK(line_of(plan["lines"], "C1", "EDR").is_null());
  bool excluded = false;
  for (const auto& e : plan["exceptions"])
    excluded = excluded || (e["kind"] == "excluded" && e["customer_id"] == "t-1");
  CHECK(excluded);
  // C2's October period starts on the 31st: the usage of Oct 1-3 belongs to September's.
  CHECK(line_of(plan["lines"], "C2", "EDR").is_null());
  json sept = s.run_json({"plan", "--period", "2026-09"});
  json c2 = line_of(sept["lines"], "C2", "EDR");
  REQUIRE(c2.is_object());
  CHECK(c2["period_start"] == "2026-09-30");
  CHECK(c2["period_end"] == "2026-10-30");
  REQUIRE(s.run({"billing", "company", "C1", "--global"}).exit_code == 0);
  plan = s.run_json({"plan", "--period", "2026-10"});
  CHECK(line_of(plan["lines"], "C1", "EDR")["quantity"] == 12);
}

TEST_CASE("sync writes the plan once, a second sync writes nothing, a change is one update") {
  BillingScenario s("billing-sync");
  drop_october(s);
  collect_and_map(s);
  json dry = s.run_json({"sync", "--period", "2026-10", "--no-collect", "--dry-run"});
  for (const auto& l : sync_lines(dry)) CHECK(l["action"] == "create");
  CHECK(s.ledger()["writes"] == 0);

  json first = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  CHECK(sync_lines(first).size() == 3);
  for (const auto& l : sync_lines(first)) CHECK(l["action"] == "create");
  CHECK(s.ledger()["writes"] == 3);
  CHECK(s.ledger()["lines"]["C1/EDR"]["quantity"] == 12);

  json second = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  for (const auto& l : sync_lines(second)) CHECK(l["action"] == "none");
  CHECK(s.ledger()["writes"] == 3);

  // A late export of a whole day (a collect answers the whole day: who is missing had none).
  s.drop_csv("late.csv",
             {"2026-10-04,t-1,Acme Dental Group,EP-ADV,Intercept X Advanced,seats,15",
              "2026-10-04,t-2,Brightwater Logistics,EP-ADV,Intercept X Advanced,seats,5",
              "2026-10-04,t-3,Citta di Lugo Srl,MAIL-STD,Email Standard,users,8",
              "2026-10-04,t-4,Unknown Holdings LLC,EP-ADV,Intercept X Advanced,seats,3"});
  REQUIRE(s.run({"collect", "--date", "2026-10-04"}).exit_code == 0);
  json third = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  int updates = 0;
  for (const auto& l : sync_lines(third)) updates += l["action"] == "update";
  CHECK(updates == 1);
  CHECK(s.ledger()["writes"] == 4);
  CHECK(s.ledger()["lines"]["C1/EDR"]["quantity"] == 15);

  // The report knows what was billed and shows no difference; the journal ties writes to usage.
  json report = s.run_json({"report", "reconcile", "--period", "2026-10"});
  for (const auto& l : report["lines"]) {
    CHECK(l["billed"] == l["planned"]);
    CHECK(l["difference"] == 0);
  }
  CHECK(report["unbilled"].size() >= 1);
  json journal = s.run_json({"journal", "--period", "2026-10", "--company", "C1"});
  int intents = 0, outcomes = 0;
  for (const auto& e : journal) {
    if (e["entry"] == "intent") {
      ++intents;
      CHECK(e["provenance"]["sources"][0]["customer_id"] == "t-1");
    }
    if (e["entry"] == "outcome" && e["action"] != "none") ++outcomes;
  }
  CHECK(intents == 2);
  CHECK(outcomes == 2);
}

TEST_CASE("reconcile report shows differences and their money before a sync") {
  BillingScenario s("billing-report");
  drop_october(s);
  collect_and_map(s);
  REQUIRE(s.run({"sync", "--period", "2026-10", "--no-collect"}).exit_code == 0);
  // A late export of a whole day (a collect answers the whole day: who is missing had none).
  s.drop_csv("late.csv",
             {"2026-10-04,t-1,Acme Dental Group,EP-ADV,Intercept X Advanced,seats,20",
              "2026-10-04,t-2,Brightwater Logistics,EP-ADV,Intercept X Advanced,seats,5",
              "2026-10-04,t-3,Citta di Lugo Srl,MAIL-STD,Email Standard,users,8",
              "2026-10-04,t-4,Unknown Holdings LLC,EP-ADV,Intercept X Advanced,seats,3"});
  REQUIRE(s.run({"collect", "--date", "2026-10-04"}).exit_code == 0);
  json report = s.run_json({"report", "reconcile", "--period", "2026-10"});
  json l = line_of(report["lines"], "C1", "EDR");
  CHECK(l["measured"] == 20);
  CHECK(l["planned"] == 20);
  CHECK(l["billed"] == 12);
  CHECK(l["difference"] == 8);
  CHECK(l["money"] == 36.0);  // 8 x 4.50
  CHECK(l["value"] == 90.0);  // 20 x 4.50
  CHECK(report["totals"]["value"] == 90.0 + 5 * 4.5 + 8 * 2.0);
  CHECK(report["totals"]["differing"] == 1);
  auto csv = s.run({"report", "reconcile", "--period", "2026-10", "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.rfind("section,psa,company", 0) == 0);
  CHECK(csv.out.find("line,psa,C1,ACME Dental Group,EDR") != std::string::npos);
  CHECK(csv.out.find(",20,20,12,8,4.5,36,,90,\n") != std::string::npos);  // no target
  CHECK(csv.out.find("unmapped-customer") != std::string::npos);
}

TEST_CASE("steep decreases and drops to zero are held until approved") {
  BillingScenario s("billing-hold");
  drop_october(s);
  collect_and_map(s);
  REQUIRE(s.run({"sync", "--period", "2026-10", "--no-collect"}).exit_code == 0);
  // Corrected data: t-2 used 1 seat, not 5 (an 80% decrease).
  s.drop_csv("usage-2026-10.csv",
             {"2026-10-01,t-1,Acme Dental Group,EP-ADV,Intercept X Advanced,seats,12",
              "2026-10-01,t-2,Brightwater Logistics,EP-ADV,Intercept X Advanced,seats,1",
              "2026-10-01,t-3,Citta di Lugo Srl,MAIL-STD,Email Standard,users,8"});
  REQUIRE(s.run({"collect", "--from", "2026-10-01", "--to", "2026-10-03"}).exit_code == 0);
  json held = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  std::string c2_action;
  for (const auto& l : sync_lines(held)) {
    if (l["company"] == "C2") c2_action = l["action"];
  }
  CHECK(c2_action == "held");
  CHECK(s.ledger()["lines"]["C2/EDR"]["quantity"] == 5);
  REQUIRE(s.run({"approve", "--period", "2026-10", "--company", "C2", "--line", "EDR"}).exit_code ==
          0);
  json after = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  for (const auto& l : sync_lines(after)) {
    if (l["company"] == "C2") CHECK(l["action"] == "update");
  }
  CHECK(s.ledger()["lines"]["C2/EDR"]["quantity"] == 1);
}

TEST_CASE("a sync killed between journal intent and outcome is completed by the next run") {
  for (const char* model : {"absolute", "delta"}) {
    DYNAMIC_SECTION("quantity model " << model) {
      std::string extra =
          std::string(R"({"quantity_model": ")") + model + R"(", "crash_after_writes": 2})";
      BillingScenario s(std::string("billing-crash-") + model, extra);
      drop_october(s);
      collect_and_map(s);
      auto killed = s.run({"sync", "--period", "2026-10", "--no-collect"});
      CHECK(killed.exit_code == 128 + 9);  // SIGKILL after the second write reached the ledger
      CHECK(s.ledger()["writes"] == 2);
      json journal = s.run_json({"journal", "--period", "2026-10"});
      int intents = 0, outcomes = 0;
      for (const auto& e : journal) {
        intents += e["entry"] == "intent";
        outcomes += e["entry"] == "outcome";
      }
      CHECK(intents == 3);
      CHECK(outcomes == 0);

      s.write_config(std::string(R"({"quantity_model": ")") + model + R"("})");
      json rerun = s.run_json({"sync", "--period", "2026-10", "--no-collect"}, 0);
      CHECK(rerun["sinks"][0]["recovered"] == 3);
      // The third write was journaled but never answered: as far as the host knows it may
      // still land, so within the grace time it is pending, not written a second time.
      CHECK(rerun["sinks"][0]["writes"] == 0);
      CHECK(rerun["sinks"][0]["pending"] == 1);
      CHECK(s.ledger()["writes"] == 2);

      s.write_config(std::string(R"({"quantity_model": ")") + model + R"("})",
                     {{"pending_grace_ms", 1}});
      json later = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
      CHECK(later["sinks"][0]["writes"] == 1);
      json ledger = s.ledger();
      CHECK(ledger["writes"] == 3);  // no line written twice
      if (std::string(model) == "delta") {
        for (const auto& [key, entry] : ledger["lines"].items()) {
          CHECK(entry["adjustments"].size() == 1);
        }
      }
      json plan = s.run_json({"plan", "--period", "2026-10"});
      json report = s.run_json({"report", "reconcile", "--period", "2026-10"});
      for (const auto& l : report["lines"]) CHECK(l["billed"] == l["planned"]);
      json third = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
      CHECK(third["sinks"][0]["writes"] == 0);
      CHECK(s.ledger()["writes"] == 3);
    }
  }
}

TEST_CASE("usage of several sources consolidates into one company's line") {
  BillingScenario s("billing-consolidate");
  drop_october(s);
  collect_and_map(s);
  // A second drop folder: the same customer as known to another vendor console.
  std::filesystem::create_directories(s.dir / "drop2");
  write_file(s.dir / "drop2" / "other.csv",
             "date,customer_id,customer_name,sku,product_name,metric,quantity\n"
             "2026-10-02,X-77,ACME Dental,EDR-PRO,Other EDR,seats,4\n");
  json c = json::parse(R"({})");
  {
    std::ifstream in(s.config);
    std::stringstream text;
    text << in.rdbuf();
    c = json::parse(text.str());
  }
  c["plugins"]["drop2"] = {{"enabled", true},
                           {"plugin", "file-drop"},
                           {"settings", {{"folder", (s.dir / "drop2").string()}}}};
  write_file(s.config, c.dump(2));
  REQUIRE(s.run({"collect", "--source", "drop2", "--date", "2026-10-02"}).exit_code == 0);
  REQUIRE(s.run({"map", "customer", "drop2", "X-77", "C1"}).exit_code == 0);
  REQUIRE(s.run({"map", "product", "drop2", "EDR-PRO", "EDR"}).exit_code == 0);
  json plan = s.run_json({"plan", "--period", "2026-10"});
  json l = line_of(plan["lines"], "C1", "EDR");
  CHECK(l["quantity"] == 16);  // 12 from drop/t-1 + 4 from drop2/X-77
  std::set<std::string> from;
  for (const auto& src : l["sources"])
    from.insert(src["source"].get<std::string>() + "/" + src["customer_id"].get<std::string>());
  CHECK(from == std::set<std::string>{"drop/t-1", "drop2/X-77"});
}

TEST_CASE("the store file named in the config is used, relative to the config, mode 0600") {
  BillingScenario s("billing-store-file");
  drop_october(s);
  json c;
  {
    std::ifstream in(s.config);
    std::stringstream text;
    text << in.rdbuf();
    c = json::parse(text.str());
  }
  c["store"] = "stores/billing-test.db";
  write_file(s.config, c.dump(2));
  REQUIRE(s.run({"collect", "--date", "2026-10-01"}).exit_code == 0);
  auto file = s.dir / "stores" / "billing-test.db";
  REQUIRE(std::filesystem::exists(file));
  CHECK(!std::filesystem::exists(s.dir / "data" / "billing.sqlite3"));
  auto perms = std::filesystem::status(file).permissions();
  CHECK((perms & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  // A store that cannot be opened is a clear failure naming the file, not a crash.
  c["store"] = "/proc/no-such-dir/billing.db";
  write_file(s.config, c.dump(2));
  auto r = s.run({"plan", "--period", "2026-10"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("/proc/no-such-dir/billing.db") != std::string::npos);
}
