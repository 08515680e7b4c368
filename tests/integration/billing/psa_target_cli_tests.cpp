// The psa commands for either PSA: per-company targets kept in the store and sent with every
// line, adoption, the setup operations under ConnectWise's or Autotask's names, and the
// deltas sync and journal show (the ledger fixture records what the host sent).
#include <catch2/catch.hpp>

#include "billing_scenario.hpp"

using nlohmann::json;

namespace {

// One customer, t-1 -> C1, 10 seats of EP-ADV -> EDR.
void one_customer(BillingScenario& s) {
  s.drop_csv("usage.csv",
             {"2026-10-01,t-1,\"Acme Dental Group, Inc.\",EP-ADV,Intercept X Advanced,seats,10"});
  REQUIRE(s.run({"collect", "--date", "2026-10-01"}).exit_code == 0);
  REQUIRE(s.run({"discover"}).exit_code == 0);
  REQUIRE(s.run({"map", "customer", "drop", "t-1", "C1"}).exit_code == 0);
  REQUIRE(s.run({"map", "product", "drop", "EP-ADV", "EDR", "--method", "last"}).exit_code == 0);
}

}  // namespace

TEST_CASE("psa target is kept per sink and company, listed, sent with every line, cleared") {
  BillingScenario s("psa-target");
  one_customer(s);
  auto set = s.run({"psa", "target", "C1", "--contract", "8801"});
  REQUIRE(set.exit_code == 0);
  CHECK(set.out.find("target of psa/C1: 8801") != std::string::npos);
  CHECK(set.err.find("has no company") == std::string::npos);
  auto unknown = s.run({"psa", "target", "C9", "--agreement", "77"});
  CHECK(unknown.exit_code == 0);
  CHECK(unknown.err.find("warning: sink 'psa' has no company 'C9'") != std::string::npos);
  CHECK(s.run({"psa", "target", "C1"}).exit_code == 2);
  CHECK(s.run({"psa", "target", "C1", "--contract", "1", "--clear"}).exit_code == 2);

  json targets = s.run_json({"psa", "targets"});
  REQUIRE(targets.size() == 2);
  CHECK(targets[0]["company"] == "C1");
  CHECK(targets[0]["company_name"] == "ACME Dental Group");
  CHECK(targets[0]["target"] == "8801");
  CHECK(targets[1]["company_name"].is_null());
  CHECK(s.run({"psa", "targets"}).out.find("(not discovered)") != std::string::npos);

  REQUIRE(s.run({"sync", "--period", "2026-10", "--no-collect"}).exit_code == 0);
  json ledger = s.ledger();
  CHECK(ledger["targets"] == json{{"C1", "8801"}});
  CHECK(ledger["writes_left"] == json::array({1}));

  CHECK(s.run({"psa", "target", "C9", "--clear"}).out.find("cleared") != std::string::npos);
  CHECK(s.run_json({"psa", "targets"}).size() == 1);
}

TEST_CASE("psa adopt asks the sink with the company's target, or says it needs no adoption") {
  BillingScenario s("psa-adopt");
  one_customer(s);
  auto none = s.run({"psa", "adopt", "C1", "EDR"});
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("does not need or offer adoption") != std::string::npos);

  s.write_config(R"({"adopt": true})");
  REQUIRE(s.run({"psa", "target", "C1", "--contract", "8801"}).exit_code == 0);
  auto adopted = s.run({"psa", "adopt", "C1", "EDR"});
  INFO(adopted.err);
  CHECK(adopted.exit_code == 0);
  CHECK(adopted.out.find("adopted psa/C1 EDR (svc-EDR): contract service adopted") !=
        std::string::npos);
  CHECK(s.ledger()["adopted"] ==
        json::array({{{"company_id", "C1"}, {"line_id", "EDR"}, {"target", "8801"}}}));
}

TEST_CASE("psa setup commands ask the ConnectWise operation first, then the Autotask one") {
  BillingScenario s("psa-setup");
  one_customer(s);
  auto unsupported = s.run({"psa", "contracts", "C1"});
  CHECK(unsupported.exit_code == 2);
  CHECK(unsupported.err.find("contracts failed") != std::string::npos);

  s.write_config(R"({"setup_ops": "autotask"})");
  auto contracts = s.run({"psa", "contracts", "C1"});
  CHECK(contracts.exit_code == 0);
  CHECK(contracts.out.find("START") != std::string::npos);
  CHECK(contracts.out.find("2026-12-31") != std::string::npos);
  // agreements asks the contracts operation of an Autotask sink too, and keeps the answer.
  auto stored = s.run({"psa", "agreements", "C1"});
  CHECK(stored.exit_code == 0);
  CHECK(stored.out.find("8801") != std::string::npos);
  CHECK(stored.out.find("asked") != std::string::npos);
  CHECK(s.run({"psa", "agreements", "C1"}).out.find("from the store") != std::string::npos);
  CHECK(s.run({"psa", "catalog", "search", "end"}).out.find("301") != std::string::npos);
  REQUIRE(s.run({"psa", "catalog", "add", "EDR-SEAT", "--price", "4.5"}).exit_code == 0);
  REQUIRE(s.run({"psa", "catalog", "edit", "301", "--price", "5"}).exit_code == 0);
  json requests = s.ledger()["setup_requests"];
  REQUIRE(requests.size() == 2);
  CHECK(requests[0]["op"] == "create_service");
  CHECK(requests[0]["request"] == json{{"name", "EDR-SEAT"}, {"price", 4.5}});
  CHECK(requests[1]["op"] == "edit_service");

  s.write_config(R"({"setup_ops": "connectwise"})");
  auto agreements = s.run({"psa", "contracts", "C1"});
  CHECK(agreements.exit_code == 0);
  CHECK(agreements.out.find("START") == std::string::npos);
  CHECK(agreements.out.find("8801") != std::string::npos);
  REQUIRE(s.run({"psa", "catalog", "add", "EDR-SEAT", "--price", "4.5"}).exit_code == 0);
  json product = s.ledger()["setup_requests"][2];
  CHECK(product["op"] == "create_product");
  CHECK(product["request"] ==
        json{{"identifier", "EDR-SEAT"}, {"description", "EDR-SEAT"}, {"price", 4.5}});
  CHECK(s.run({"psa", "catalog", "add", "A", "B", "C", "--price", "1"}).exit_code == 2);
}

TEST_CASE("sync, journal and reconcile show the delta a delta PSA is posted") {
  BillingScenario s("psa-deltas", R"({"quantity_model": "delta"})");
  one_customer(s);
  json first = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  CHECK(first["sinks"][0]["lines"][0]["delta"] == 10);
  s.drop_csv("usage.csv",
             {"2026-10-01,t-1,\"Acme Dental Group, Inc.\",EP-ADV,Intercept X Advanced,seats,9"});
  REQUIRE(s.run({"collect", "--date", "2026-10-01"}).exit_code == 0);
  auto report = s.run({"report", "reconcile", "--period", "2026-10"});
  CHECK(report.out.find("DIFFERENCE") != std::string::npos);
  CHECK(report.out.find(" -1 ") != std::string::npos);
  CHECK(report.out.find("Sink psa takes signed changes") != std::string::npos);
  auto dry = s.run({"sync", "--period", "2026-10", "--no-collect", "--dry-run"});
  CHECK(dry.out.find("BEFORE  DELTA  PLANNED") != std::string::npos);
  CHECK(dry.out.find(" -1 ") != std::string::npos);
  REQUIRE(s.run({"sync", "--period", "2026-10", "--no-collect"}).exit_code == 0);
  json journal = s.run_json({"journal", "--period", "2026-10"});
  std::vector<double> deltas;
  for (const auto& e : journal) {
    if (e["entry"] == "outcome") deltas.push_back(e["delta"].get<double>());
    if (e["entry"] == "intent") CHECK(e["delta"].is_null());
  }
  CHECK(deltas == std::vector<double>{10, -1});
  CHECK(s.run({"journal"}).out.find("DELTA") != std::string::npos);
}
