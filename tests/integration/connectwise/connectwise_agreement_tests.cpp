// The Trend Micro flow on ConnectWise: Verify the company id when mapping a customer (its
// agreements are loaded into the store), then give each PSA line its agreement by type and
// name or by the Default; an agreement that stops fitting is an error line, never a fallback.
#include <cstdlib>

#include "cw_setup.hpp"

using nlohmann::json;

namespace {

// Runs SQL on the test's billing store: the PSA changing after the agreements were loaded.
void store_sql(const CwSetup& s, const std::string& sql) {
  const std::string cmd =
      "sqlite3 '" + (s.dir / "data" / "billing.sqlite3").string() + "' \"" + sql + "\"";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

json line_of(const json& report, const std::string& company) {
  for (const auto& l : sync_lines(report)) {
    if (l["company"] == company) return l;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("map customer verifies the company id and loads its agreements") {
  CwSetup s("cw-verify");
  s.usage(
      "2026-10-31,t-1,Acme Manufacturing,EP,Endpoint,seats,12\n"
      "2026-10-31,t-2,Blue River Dental Group,EP,Endpoint,seats,7\n");
  REQUIRE(s.run({"collect", "--date", "2026-10-31"}).exit_code == 0);

  // No discover: the Verify finds the company in ConnectWise and the store learns it.
  auto mapped = s.run({"map", "customer", "drop", "t-1", "250"});
  INFO(mapped.err);
  REQUIRE(mapped.exit_code == 0);
  CHECK(mapped.out.find("verified: company 250 exists in cw (Acme Manufacturing Inc.)") !=
        std::string::npos);
  CHECK(mapped.out.find("loaded 2 agreement(s)") != std::string::npos);
  json stored = s.run_json({"psa", "agreements", "250"});
  CHECK(stored["from"] == "store");
  REQUIRE(stored["agreements"].size() == 2);
  std::map<std::string, std::string> type_of;
  for (const auto& a : stored["agreements"]) type_of[a["id"]] = a["type"];
  CHECK(type_of ==
        std::map<std::string, std::string>{{"500", "Managed Service"}, {"501", "Block Time"}});

  auto unknown = s.run({"map", "customer", "drop", "t-2", "9999"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("company 9999 does not exist in cw") != std::string::npos);
  CHECK(s.run_json({"map", "list"})["customers"][1].value("psa", "") == "");

  // Offline: --no-verify maps only against the store, and asks ConnectWise nothing.
  s.control.clear_log();
  auto offline = s.run({"map", "customer", "drop", "t-2", "251", "--no-verify"});
  CHECK(offline.exit_code == 2);
  CHECK(offline.err.find("unknown PSA company '251'") != std::string::npos);
  REQUIRE(s.run({"discover"}).exit_code == 0);
  s.control.clear_log();
  REQUIRE(s.run({"map", "customer", "drop", "t-2", "251", "--no-verify"}).exit_code == 0);
  CHECK(s.control.requests().empty());

  // --refresh asks ConnectWise again.
  json refreshed = s.run_json({"psa", "agreements", "250", "--refresh"});
  CHECK(refreshed["from"] == "psa");
  CHECK(refreshed["agreements"].size() == 2);
}

TEST_CASE("each line gets its agreement by type then name, or the Default") {
  CwSetup s("cw-line-target");
  s.map_three_customers();

  auto no_type = s.run({"psa", "target", "250", "--line", "EDR-SEAT", "--agreement",
                        "Acme Manufacturing Inc. Block Hours"});
  CHECK(no_type.exit_code == 2);
  CHECK(no_type.err.find("--agreement-type") != std::string::npos);
  auto wrong = s.run({"psa", "target", "250", "--line", "EDR-SEAT", "--agreement-type",
                      "Block Time", "--agreement", "Nope"});
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.err.find("501 'Acme Manufacturing Inc. Block Hours' (Block Time, Active)") !=
        std::string::npos);
  // Cedar & Finch has two Managed Service agreements: no Default is offered.
  REQUIRE(s.run({"map", "customer", "drop", "t-2", "252"}).exit_code == 0);
  auto no_default = s.run({"psa", "target", "252", "--line", "EDR-SEAT", "--default"});
  CHECK(no_default.exit_code == 2);
  CHECK(no_default.err.find("has no Default agreement") != std::string::npos);
  REQUIRE(s.run({"map", "customer", "drop", "t-2", "251"}).exit_code == 0);

  auto chosen = s.run({"psa", "target", "250", "--line", "EDR-SEAT", "--agreement-type",
                       "block time", "--agreement", "acme manufacturing inc. block hours"});
  INFO(chosen.err);
  REQUIRE(chosen.exit_code == 0);
  CHECK(chosen.out.find("agreement 501") != std::string::npos);
  auto by_default = s.run({"psa", "target", "251", "--line", "EDR-SEAT", "--default"});
  REQUIRE(by_default.exit_code == 0);
  CHECK(by_default.out.find("agreement 502") != std::string::npos);

  json targets = s.run_json({"psa", "targets"});
  REQUIRE(targets.size() == 2);
  CHECK(targets[0]["how"] == "explicit");
  CHECK(targets[0]["agreement_type"] == "Block Time");
  CHECK(targets[1]["how"] == "default");

  json plan = s.run_json({"plan", "--period", "2026-10"});
  std::map<std::string, json> target_of;
  for (const auto& l : plan["lines"]) target_of[l["company"]] = l["target"];
  CHECK(target_of["250"]["id"] == "501");
  CHECK(target_of["250"]["name"] == "Acme Manufacturing Inc. Block Hours");
  CHECK(target_of["250"]["from"] == "line");
  CHECK(target_of["253"].is_null());  // Delta: the sink's agreement_type rule
  CHECK(s.run({"plan", "--period", "2026-10"}).out.find("agreement 501") != std::string::npos);
  json reconcile = s.run_json({"report", "reconcile", "--period", "2026-10"});
  bool shown = false;
  for (const auto& l : reconcile["lines"]) shown = shown || l["target"] == "501";
  CHECK(shown);

  json report = s.run_json({"sync", "--period", "2026-10"});
  CHECK(line_of(report, "250")["action"] == "create");
  REQUIRE(s.addition_of("EDR-SEAT", 501).is_object());
  CHECK(s.addition_of("EDR-SEAT", 501)["quantity"] == 12);
  CHECK(s.addition_of("EDR-SEAT", 500).is_null());  // not the Managed Service one
  CHECK(s.addition_of("EDR-SEAT", 502)["quantity"] == 7);
  CHECK(s.addition_of("EDR-SEAT", 505)["quantity"] == 5);

  // Moving a billed line elsewhere would leave its addition on 501 billing too: refused, and
  // accepted with --move once the operator ended it in ConnectWise.
  auto move = s.run({"psa", "target", "250", "--line", "EDR-SEAT", "--default"});
  CHECK(move.exit_code == 2);
  CHECK(move.err.find("line EDR-SEAT of cw/250 is billed now: meterbridge wrote 12 for period "
                      "2026-10") != std::string::npos);
  CHECK(move.err.find("into target 501; billing it into 500") != std::string::npos);
  auto clear = s.run({"psa", "target", "250", "--line", "EDR-SEAT", "--clear"});
  CHECK(clear.exit_code == 2);
  CHECK(s.run_json({"psa", "targets"})[0]["target"] == "501");  // nothing changed
  // Delta was billed into the agreement the sink chose, which the store cannot name: a warning.
  auto company = s.run({"psa", "target", "253", "--agreement", "505"});
  CHECK(company.exit_code == 0);
  CHECK(company.err.find("into the container the sink chose; if that is not 505") !=
        std::string::npos);
  auto moved = s.run({"psa", "target", "250", "--line", "EDR-SEAT", "--default", "--move"});
  CHECK(moved.exit_code == 0);
  CHECK(moved.out.find("agreement 500") != std::string::npos);
}

TEST_CASE("an agreement that is cancelled, another company's or gone is an error line") {
  CwSetup s("cw-line-target-bad");
  s.usage(
      "2026-10-31,t-1,Acme Manufacturing,EP,Endpoint,seats,12\n"
      "2026-10-31,t-4,Delta Dental,EP,Endpoint,seats,5\n"
      "2026-10-31,t-5,Evergreen CPA,EP,Endpoint,seats,3\n");
  REQUIRE(s.run({"collect", "--date", "2026-10-31"}).exit_code == 0);
  REQUIRE(s.run({"discover"}).exit_code == 0);
  for (auto [customer, company] : {std::pair{"t-1", "250"}, {"t-4", "253"}, {"t-5", "254"}}) {
    REQUIRE(s.run({"map", "customer", "drop", customer, company}).exit_code == 0);
  }
  REQUIRE(s.run({"map", "product", "drop", "EP", "EDR-SEAT"}).exit_code == 0);

  // Evergreen's only agreement is cancelled: refused when assigned.
  auto cancelled = s.run({"psa", "target", "254", "--line", "EDR-SEAT", "--agreement", "506"});
  CHECK(cancelled.exit_code == 2);
  CHECK(cancelled.err.find("is Cancelled, not active") != std::string::npos);

  // The PSA changed after the agreements were loaded: the store still says active (506), lists
  // Blue River's 502 under Delta, and an agreement 999 that was deleted since.
  store_sql(s,
            "UPDATE psa_agreements SET status = 'Active' WHERE id = '506';"
            "INSERT INTO psa_agreements VALUES ('cw', '253', '502', 'Moved', 'Managed Service', "
            "'Active', 0);"
            "INSERT INTO psa_agreements VALUES ('cw', '250', '999', 'Gone', 'Managed Service', "
            "'Active', 0);");
  REQUIRE(s.run({"psa", "target", "254", "--line", "EDR-SEAT", "--agreement", "506"}).exit_code ==
          0);
  REQUIRE(s.run({"psa", "target", "253", "--line", "EDR-SEAT", "--agreement", "502"}).exit_code ==
          0);
  REQUIRE(s.run({"psa", "target", "250", "--line", "EDR-SEAT", "--agreement", "999"}).exit_code ==
          0);
  s.control.clear_log();

  auto r = s.run({"sync", "--period", "2026-10", "--format", "json"});
  CHECK(r.exit_code == 1);
  json report = json::parse(r.out);
  const json evergreen = line_of(report, "254");
  const json delta = line_of(report, "253");
  const json acme = line_of(report, "250");
  CHECK(evergreen["action"] == "error");
  CHECK(evergreen["message"].get<std::string>().find("is not active (status 'Cancelled')") !=
        std::string::npos);
  CHECK(delta["action"] == "error");
  CHECK(delta["message"].get<std::string>().find("belongs to company 251, not 253") !=
        std::string::npos);
  CHECK(acme["action"] == "error");
  CHECK(acme["message"].get<std::string>().find("agreement 999") != std::string::npos);
  CHECK(acme["message"].get<std::string>().find("does not exist") != std::string::npos);
  // Never a silent fallback: nothing was written anywhere.
  CHECK(s.writes() == 0);
  CHECK(s.addition_of("EDR-SEAT", 500).is_null());
  CHECK(s.addition_of("EDR-SEAT", 505).is_null());
}
