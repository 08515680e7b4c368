// The datto-rmm plugin in the real host against emulator-datto-rmm over loopback HTTP: check,
// discover, collect, the token across runs and mid-run, a wrong secret, and pacing.
#include <catch2/catch.hpp>

#include <map>

#include <nlohmann/json.hpp>

#include "datto_rmm_setup.hpp"

using nlohmann::json;

namespace {

const std::string kBakery = "b1c0a8e2-0001", kDental = "d3n7a1-0002", kHarbor = "h4rb0r-0003";

std::map<std::pair<std::string, std::string>, double> by_site_sku(const json& records) {
  std::map<std::pair<std::string, std::string>, double> out;
  for (const auto& r : records) out[{r["customer_id"], r["sku"]}] = r["quantity"].get<double>();
  return out;
}

}  // namespace

TEST_CASE("check and discover: every site, with psa_hint where Datto links Autotask") {
  RmmSetup s("rmm-discover");
  auto check = s.run({"plugins", "check", "--format", "json"});
  INFO(check.err);
  REQUIRE(check.exit_code == 0);
  const json checked = json::parse(check.out);
  CHECK(checked[0]["status"] == "ok");
  auto discover = s.run({"plugins", "call", "rmm", "discover"});
  INFO(discover.err);
  REQUIRE(discover.exit_code == 0);
  const json catalog = json::parse(discover.out);
  const json customers = catalog["customers"];
  REQUIRE(customers.size() == 3);
  CHECK(customers[0] == json({{"id", kBakery},
                              {"name", "Bakery Schmidt"},
                              {"psa_hint",
                               {{"psa", "autotask"},
                                {"company_id", "29683"},
                                {"company_name", "Bakery Schmidt GmbH"}}}}));
  CHECK_FALSE(customers[1].contains("psa_hint"));
  CHECK(customers[2]["psa_hint"]["company_id"] == "30112");
  CHECK(catalog["products"].size() == 9);
  auto stored = s.run({"discover", "--format", "json"});
  CHECK(stored.exit_code == 0);
}

TEST_CASE("collect: devices per site and SKU, _NotBillable_ and non-billable devices left out") {
  RmmSetup s("rmm-collect");
  auto raw = s.run({"plugins", "call", "rmm", "collect", "--request", R"({"date": "2026-12-01"})"});
  INFO(raw.err);
  REQUIRE(raw.exit_code == 0);
  const json answer = json::parse(raw.out);
  const std::map<std::pair<std::string, std::string>, double> expected = {
      {{kBakery, "RMM-DEVICES-TOTAL"}, 5},  {{kBakery, "RMM-DESKTOP-LAPTOP"}, 3},
      {{kBakery, "RMM-DESKTOP"}, 2},        {{kBakery, "RMM-LAPTOP"}, 1},
      {{kBakery, "RMM-SERVER"}, 1},         {{kBakery, "RMM-PRINTER"}, 1},
      {{kDental, "RMM-DEVICES-TOTAL"}, 3},  {{kDental, "RMM-ESXI-HOST"}, 1},
      {{kDental, "RMM-NETWORK-DEVICE"}, 1}, {{kDental, "RMM-UNKNOWN"}, 1},
      {{kHarbor, "RMM-DEVICES-TOTAL"}, 0}};
  CHECK(by_site_sku(answer["records"]) == expected);
  CHECK(s.control.requests_to("/api/v2/account/devices").size() == 1);  // the _NotBillable_ filter

  auto collect = s.run({"collect", "--format", "json"});
  INFO(collect.err);
  REQUIRE(collect.exit_code == 0);
  const json day = json::parse(collect.out)["days"][0];
  CHECK(day["ok"] == true);
  CHECK(day["records"] == 11);
  // The token of the first run is in the instance's state: later runs ask for none.
  CHECK(s.control.requests_to("/api/auth/oauth/token").size() == 1);
  const std::string all = raw.out + raw.err + collect.out + collect.err;
  CHECK(all.find(s.secret()) == std::string::npos);
}

TEST_CASE("a token that dies mid-run is renewed once and the run goes on") {
  // The token lives 1 s but claims 100 h; a slow answer outlives it.
  RmmSetup s("rmm-token-expiry", {{"token_lifetime_seconds", 1}, {"token_expires_in", 360000}});
  s.control.add_fault(
      {{"kind", "slow"}, {"delay_ms", 1500}, {"path_prefix", "/api/v2/site/" + kDental}});
  auto collect = s.run({"collect", "--format", "json"});
  INFO(collect.err);
  REQUIRE(collect.exit_code == 0);
  CHECK(json::parse(collect.out)["days"][0]["records"] == 11);
  CHECK(s.control.requests_to("/api/auth/oauth/token").size() == 2);
  CHECK(s.answered("/api/v2/", 401) == 1);
}

TEST_CASE("a wrong secret is an auth failure naming the instance and never the secret") {
  RmmSetup s("rmm-wrong-secret");
  const std::string wrong = "not-the-secret-4711";
  auto check = s.run({"plugins", "check"}, wrong);
  CHECK(check.exit_code == 1);
  const std::string all = check.out + check.err;
  CHECK(all.find("rmm") != std::string::npos);
  CHECK(all.find("Bad credentials") != std::string::npos);
  CHECK(all.find("check api_key and api_secret") != std::string::npos);
  CHECK(all.find(wrong) == std::string::npos);
}

TEST_CASE("pacing: 2,000 devices under a limit the run would exceed finish without a 429") {
  // 40 sites of 50 devices at 25 a page: about 85 calls against 40 per 4 s. Unpaced, the 41st
  // call would be refused; paced, the window never holds more than 36.
  RmmSetup s("rmm-pacing",
             {{"generate", {{"sites", 40}, {"devices", 2000}}},
              {"rate_limit", {{"limit", 40}, {"window_seconds", 4}, {"delay_ms", 1000}}}},
             {{"page_size", 25}});
  auto collect = s.run({"collect", "--format", "json"});
  INFO(collect.err);
  REQUIRE(collect.exit_code == 0);
  CHECK(json::parse(collect.out)["days"][0]["ok"] == true);
  const json calls = s.control.requests_to("/api/v2/");
  CHECK(calls.size() > 80);
  CHECK(s.answered("/api/v2/", 429) == 0);
  const json state = s.control.state();
  CHECK(state["rate"]["refused"] == 0);
  CHECK(state["rate"]["delayed"] == 0);  // never even at Datto's 90 %
  CHECK(state["devices"] == 2011);
}
