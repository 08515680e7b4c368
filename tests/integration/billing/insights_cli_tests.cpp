// `meterbridge insights` over real store files: usage from file-drop exports, the ledger sink,
// syncs that hold a line, and a duplicate finding as a sync journals it.
#include <catch2/catch.hpp>

#include <set>

#include "billing_scenario.hpp"
#include "store/billing_store.hpp"

using nlohmann::json;

namespace {

// Six October days: t-1 (Acme, 12 seats) and t-2 (no company matches its name) every day,
// t-3 (Lugo) only on the first two: its usage stopped.
void drop_usage(BillingScenario& s, int acme_seats) {
  std::vector<std::string> rows;
  for (int day = 1; day <= 6; ++day) {
    const std::string date = "2026-10-0" + std::to_string(day);
    rows.push_back(date + ",t-1,Acme Dental Group,EP-ADV,Intercept X Advanced,seats," +
                   std::to_string(acme_seats));
    rows.push_back(date + ",t-2,Brightwater Logistics,EP-ADV,Intercept X Advanced,seats,5");
    if (day <= 2) rows.push_back(date + ",t-3,Citta di Lugo Srl,MAIL-STD,Email Standard,users,7");
  }
  s.drop_csv("usage-2026-10.csv", rows);
}

// "kind concerns" of every insight, concerns being the customer, product or company (and line).
std::set<std::string> kinds(const json& answer) {
  std::set<std::string> out;
  for (const auto& i : answer["insights"]) {
    std::string what = i.value("customer_id", "");
    if (i.contains("sku")) what = i.value("source", "") + "/" + i["sku"].get<std::string>();
    if (i.contains("company_id"))
      what = i.value("psa", "") + "/" + i["company_id"].get<std::string>();
    if (i.contains("line_id")) what += "/" + i["line_id"].get<std::string>();
    out.insert(i["kind"].get<std::string>() + " " + what);
  }
  return out;
}

std::string resolve_of(const json& answer, const std::string& kind) {
  for (const auto& i : answer["insights"]) {
    if (i["kind"] == kind) return i["resolve"];
  }
  return "";
}

}  // namespace

TEST_CASE("insights lists what to act on with the command that resolves it") {
  BillingScenario s("insights");
  drop_usage(s, 12);
  REQUIRE(s.run({"collect", "--from", "2026-10-01", "--to", "2026-10-06"}).exit_code == 0);
  REQUIRE(s.run({"discover"}).exit_code == 0);
  REQUIRE(s.run({"map", "auto"}).exit_code == 0);  // t-1 -> C1, t-3 -> C3 by name
  REQUIRE(s.run({"map", "product", "drop", "EP-ADV", "EDR"}).exit_code == 0);
  REQUIRE(s.run({"sync", "--period", "2026-10", "--no-collect"}).exit_code == 0);

  // The first run compares with nothing: no customer is "new" yet.
  json first = s.run_json({"insights"});
  CHECK(first["last_run"].is_null());
  CHECK(kinds(first) == std::set<std::string>{"unmapped-customer t-2",
                                              "unmapped-product drop/MAIL-STD",
                                              "usage-stopped psa/C3"});
  CHECK(resolve_of(first, "unmapped-product") == "meterbridge map product drop MAIL-STD LINE_ID");

  // Acme drops from 12 to 1 seat (held by the sync), a new customer appears, t-2 is mapped
  // to C2 after the sync: C2 has mapped usage, no target and was never billed.
  drop_usage(s, 1);
  s.drop_csv("new.csv", {"2026-10-06,t-5,Newco Srl,EP-ADV,Intercept X Advanced,seats,2"});
  REQUIRE(s.run({"collect", "--from", "2026-10-01", "--to", "2026-10-06"}).exit_code == 0);
  REQUIRE(s.run({"sync", "--period", "2026-10", "--no-collect"}).exit_code == 0);
  REQUIRE(s.run({"map", "customer", "drop", "t-2", "C2"}).exit_code == 0);
  {
    // A duplicate as a sync journals it (the ledger sink never makes one itself).
    meterbridge::host::store::BillingStore store(s.dir / "data" / "billing.sqlite3");
    int64_t run = store.journal().begin_run("sync 2026-10");
    meterbridge::host::store::JournalEntry e;
    e.run_id = run;
    e.entry = "outcome";
    e.psa = "psa";
    e.company_id = "C3";
    e.line_id = "MAIL";
    e.period = "2026-10";
    e.action = "none";
    e.status = "duplicate";
    e.message = "2 owned lines";
    store.journal().append(e);
    store.journal().finish_run(run, "ok", "{}");
  }

  json second = s.run_json({"insights"});
  CHECK(second["last_run"].is_string());
  CHECK(kinds(second) == std::set<std::string>{"new-customer t-5", "unmapped-customer t-5",
                                               "unmapped-product drop/MAIL-STD",
                                               "usage-stopped psa/C3", "no-target psa/C2",
                                               "held-line psa/C1/EDR", "duplicate psa/C3/MAIL"});
  CHECK(resolve_of(second, "held-line") ==
        "meterbridge approve --period 2026-10 --company C1 --line EDR");
  CHECK(resolve_of(second, "duplicate") ==
        "meterbridge resolve-duplicates --period 2026-10 --company C3 --line MAIL");
  CHECK_THAT(resolve_of(second, "no-target"), Catch::Contains("meterbridge psa target C2"));

  // Approved: no longer listed; t-5 is not new any more; the table says the same, exit 0.
  REQUIRE(s.run({"approve", "--period", "2026-10", "--company", "C1", "--line", "EDR"}).exit_code ==
          0);
  ProcessResult table = s.run({"insights"});
  INFO(table.out << table.err);
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("held-line") == std::string::npos);
  CHECK(table.out.find("new-customer") == std::string::npos);
  CHECK_THAT(table.out, Catch::Contains("meterbridge map product drop MAIL-STD LINE_ID"));
  CHECK_THAT(table.out, Catch::Contains("5 insight(s); last run "));

  // An agreement given to one of C2's lines is its target too.
  s.write_config(R"({"setup_ops": "connectwise"})");
  REQUIRE(s.run({"psa", "target", "C2", "--line", "EDR", "--default"}).exit_code == 0);
  CHECK(s.run({"insights"}).out.find("no-target") == std::string::npos);
}
