// The autotask sink in the real host against emulator-autotask over loopback: usage synced into
// Recurring Service contracts by signed adjustments, a second sync that writes nothing, a
// decrease, a drop to zero, the contracts and contract services it must refuse to touch, the
// thread limit, the hourly threshold, TLS and wrong credentials.
#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "../../test_pki.hpp"
#include "at_bed.hpp"

using nlohmann::json;

TEST_CASE("discover: active customers and services, and the delta quantity model") {
  AtBed s("at-discover");
  REQUIRE(s.run({"discover"}).exit_code == 0);
  const json psa = s.run_json({"psa", "list"});
  std::set<std::string> companies, lines;
  for (const auto& c : psa["companies"]) companies.insert(c["id"].get<std::string>());
  for (const auto& l : psa["lines"]) lines.insert(l["id"].get<std::string>());
  // The prospect (104) and the dead company (105) are no customers to bill.
  CHECK(companies == std::set<std::string>{"101", "102", "103"});
  CHECK(lines == std::set<std::string>{"301", "302", "303"});
}

TEST_CASE("usage lands as units by adjustments, and a second sync writes nothing") {
  AtBed s("at-sync");
  s.map_customers();
  const json first = s.sync_json();
  INFO(first.dump(2));
  auto lines = at_lines(first);
  CHECK(lines["101/301"]["action"] == "create");
  CHECK(lines["101/302"]["action"] == "create");
  CHECK(lines["102/301"]["action"] == "create");
  CHECK(first["sinks"][0]["writes"] == 3);
  CHECK(s.units(201, 301) == 30);
  CHECK(s.units(201, 302) == 12);
  CHECK(s.units(202, 301) == 7);
  for (const auto& a : s.adjustments()) {
    CHECK(a["effectiveDate"] == "2026-11-01T00:00:00");  // the period start, date only
    // A new contract service gets the Service's price (no price on the mappings).
    CHECK(a["adjustedUnitPrice"] == (a["serviceID"] == 301 ? 4.5 : 2.0));
  }
  CHECK(s.adjustment_posts() == 3);

  s.control.clear_log();
  const json second = s.sync_json();
  INFO(second.dump(2));
  CHECK(second["sinks"][0]["writes"] == 0);
  for (const auto& [key, l] : at_lines(second)) CHECK(l["action"] == "none");
  CHECK(s.adjustment_posts() == 0);
  // A no-change sync reads contracts, contract services and units: three queries.
  CHECK(s.control.requests().size() <= 4);
}

TEST_CASE("a decrease posts the negative difference, a drop to zero waits for approval") {
  AtBed s("at-decrease");
  s.map_customers();
  REQUIRE(s.run({"sync", "--period", "2026-11", "--no-collect"}).exit_code == 0);

  s.recollect(
      "2026-11-30,t-1,Contoso,RMM,Datto RMM,devices,27\n"
      "2026-11-30,t-1,Contoso,CMU,Compliance,users,0\n"
      "2026-11-30,t-2,Fabrikam,RMM,Datto RMM,devices,7\n");
  const json down = s.sync_json();
  INFO(down.dump(2));
  auto lines = at_lines(down);
  CHECK(lines["101/301"]["action"] == "update");
  CHECK(lines["101/301"]["before"] == 30);
  CHECK(lines["101/301"]["after"] == 27);
  CHECK(lines["101/302"]["action"] == "held");  // 12 -> 0: held for approval
  CHECK(s.units(201, 301) == 27);
  CHECK(s.units(201, 302) == 12);
  CHECK(s.adjustments().back()["unitChange"] == -3);
  CHECK(s.adjustments().back()["adjustedUnitPrice"].is_null());  // the contract's price stays

  REQUIRE(
      s.run({"approve", "--period", "2026-11", "--company", "101", "--line", "302"}).exit_code ==
      0);
  const json zero = s.sync_json();
  INFO(zero.dump(2));
  lines = at_lines(zero);
  CHECK(lines["101/302"]["action"] == "cancel");
  CHECK(lines["101/302"]["after"] == 0);
  CHECK(s.units(201, 302) == 0);
  CHECK(s.adjustments().back()["unitChange"] == -12);
  CHECK(s.adjustment_posts() == 2);
}

TEST_CASE("no contract, two contracts: an error line each, nothing written for them") {
  json seed = AtSeed::base();
  json second = seed["contracts"][1];  // Fabrikam's 202
  second["id"] = 203;
  second["contractName"] = "Fabrikam Security";
  seed["contracts"].push_back(second);
  AtBed s("at-contracts", seed);
  s.map_customers(
      "2026-11-30,t-1,Contoso,RMM,Datto RMM,devices,30\n"
      "2026-11-30,t-1,Contoso,CMU,Compliance,users,12\n"
      "2026-11-30,t-2,Fabrikam,RMM,Datto RMM,devices,7\n"
      "2026-11-30,t-3,Northwind,RMM,Datto RMM,devices,4\n");
  REQUIRE(s.run({"map", "customer", "drop", "t-3", "103"}).exit_code == 0);
  const ProcessResult r =
      s.run({"sync", "--period", "2026-11", "--no-collect", "--format", "json"});
  CHECK(r.exit_code == 1);
  auto lines = at_lines(json::parse(r.out));
  CHECK(lines["101/301"]["action"] == "create");
  CHECK(lines["102/301"]["action"] == "error");
  CHECK(lines["102/301"]["message"].get<std::string>().find("several active Recurring Service "
                                                            "contracts") != std::string::npos);
  CHECK(lines["102/301"]["message"].get<std::string>().find("202, 203") != std::string::npos);
  CHECK(lines["103/301"]["action"] == "error");
  CHECK(lines["103/301"]["message"].get<std::string>().find("no active Recurring Service") !=
        std::string::npos);
  CHECK(s.adjustment_posts() == 2);  // Contoso's two lines only
  CHECK(s.units(202, 301).is_null());
  CHECK(s.units(203, 301).is_null());
}

TEST_CASE("a contract service meterbridge did not create is not adjusted until adopted") {
  json seed = AtSeed::base();
  seed["contractServices"].push_back(
      {{"id", 401}, {"contractID", 201}, {"serviceID", 301}, {"unitPrice", 4.5}, {"units", 10}});
  AtBed s("at-foreign", seed);
  s.map_customers();
  const ProcessResult r =
      s.run({"sync", "--period", "2026-11", "--no-collect", "--format", "json"});
  CHECK(r.exit_code == 1);
  auto lines = at_lines(json::parse(r.out));
  INFO(r.out);
  CHECK(lines["101/301"]["action"] == "error");
  CHECK(lines["101/301"]["message"].get<std::string>().find("contract service 401") !=
        std::string::npos);
  CHECK(lines["101/302"]["action"] == "create");  // the rest goes on
  CHECK(s.units(201, 301) == 10);                 // untouched

  const ProcessResult adopt =
      s.run({"plugins", "call", "at", "adopt", "--request",
             R"({"company_id": "101", "line_id": "301", "date": "2026-11-30"})"});
  INFO(adopt.out << adopt.err);
  REQUIRE(adopt.exit_code == 0);
  CHECK(json::parse(adopt.out)["adopted"] == true);
  CHECK(json::parse(adopt.out)["ref"] == "201/401");

  const json after = s.sync_json();
  lines = at_lines(after);
  CHECK(lines["101/301"]["action"] == "update");
  CHECK(lines["101/301"]["before"] == 10);
  CHECK(s.units(201, 301) == 30);
  CHECK(s.adjustments().back()["contractServiceID"] == 401);
  CHECK(s.adjustments().back()["unitChange"] == 20);
}

TEST_CASE("a sync that would pass the hourly threshold stops before it writes anything") {
  json seed = AtSeed::base();
  // discover (2 queries), the sync's read (3) and ThresholdInformation (1) leave 2 of 8; the
  // customers are mapped offline (--no-verify) so that the Verify calls do not count.
  seed["externalRequestThreshold"] = 8;
  AtBed s("at-threshold", seed);
  s.map_customers(AtBed::kDefaultRows, false);
  const ProcessResult r =
      s.run({"sync", "--period", "2026-11", "--no-collect", "--format", "json"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(s.adjustment_posts() == 0);
  CHECK(s.adjustments().empty());
  CHECK(r.out.find("hourly threshold of 8") != std::string::npos);
  CHECK(r.out.find("nothing was written") != std::string::npos);
  CHECK(r.out.find("run the sync again then") != std::string::npos);
}

TEST_CASE("writes overlap, never more than three at a time (Autotask's thread limit)") {
  json seed = AtSeed::base();
  std::string rows;
  for (int i = 0; i < 12; ++i) {
    json company = seed["companies"][0];
    company["id"] = 1000 + i;
    company["companyName"] = "Customer " + std::to_string(i);
    seed["companies"].push_back(company);
    json contract = seed["contracts"][0];
    contract["id"] = 2000 + i;
    contract["companyID"] = 1000 + i;
    seed["contracts"].push_back(contract);
    rows += "2026-11-30,c-" + std::to_string(i) + ",Customer " + std::to_string(i) +
            ",RMM,Datto RMM,devices," + std::to_string(10 + i) + "\n";
    rows += "2026-11-30,c-" + std::to_string(i) + ",Customer " + std::to_string(i) +
            ",CMU,Compliance,users," + std::to_string(20 + i) + "\n";
  }
  AtBed s("at-threads", seed, {"--latency-ms", "300"});
  s.usage(rows);
  REQUIRE(s.run({"collect", "--date", "2026-11-30"}).exit_code == 0);
  REQUIRE(s.run({"discover"}).exit_code == 0);
  REQUIRE(s.run({"map", "product", "drop", "RMM", "301"}).exit_code == 0);
  REQUIRE(s.run({"map", "product", "drop", "CMU", "302"}).exit_code == 0);
  for (int i = 0; i < 12; ++i) {
    REQUIRE(s.run({"map", "customer", "drop", "c-" + std::to_string(i), std::to_string(1000 + i)})
                .exit_code == 0);
  }
  s.control.clear_log();
  const pid_t pid = start_meterbridge(
      {"--config", (s.dir / "config.json").string(), "sync", "--period", "2026-11", "--no-collect"},
      {"MB_TEST_AT_SECRET=" + s.secret(), "MB_TEST_AT_CODE=" + s.integration_code()},
      s.dir / "sync.out", s.dir / "sync.err");
  size_t most = 0;
  for (int status = 0; waitpid(pid, &status, WNOHANG) == 0;) {
    size_t open = 0;
    for (const auto& r : s.control.requests()) {
      open += r.value("in_flight", false) &&
              r["path"].get<std::string>().find("ServiceAdjustments") != std::string::npos;
    }
    most = std::max(most, open);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  CHECK(most >= 2);  // overlapped
  CHECK(most <= 3);  // within the limit
  for (const auto& r : s.control.requests()) CHECK(r["status"] != 429);
  CHECK(s.adjustment_posts() == 24);
  for (int i = 0; i < 12; ++i) {
    CHECK(s.units(2000 + i, 301) == 10 + i);
    CHECK(s.units(2000 + i, 302) == 20 + i);
  }
}

TEST_CASE("TLS with a test CA, and credentials Autotask refuses") {
  const auto pki = make_test_pki("autotask");
  AtBed s("at-tls", AtSeed::base(),
          {"--tls-cert", (pki / "server.pem").string(), "--tls-key", (pki / "server.key").string()},
          (pki / "ca.pem").string());
  REQUIRE(s.emulator.url().rfind("https://", 0) == 0);
  ProcessResult ok = s.run({"plugins", "check", "--instance", "at", "--format", "json"});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(json::parse(ok.out)[0]["status"] == "ok");

  const std::string wrong = "not-the-secret-4711";
  ProcessResult refused =
      s.run({"plugins", "check", "--instance", "at", "--format", "json"}, wrong);
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.find("refused the credentials") != std::string::npos);
  CHECK(refused.out.find("api-meterbridge@msp.example") != std::string::npos);
  CHECK((refused.out + refused.err).find(wrong) == std::string::npos);
  CHECK((refused.out + refused.err).find(s.secret()) == std::string::npos);
}
