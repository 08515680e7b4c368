// The datto-backup plugin in the real host against emulator-datto over loopback HTTP: the
// operator's commands (check, discover, collect) and wrong keys.
#include <catch2/catch.hpp>

#include <map>

#include <nlohmann/json.hpp>

#include "datto_setup.hpp"

using nlohmann::json;

namespace {

bool shows(const ProcessResult& r, const std::string& text) {
  return (r.out + r.err).find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("check, discover and collect Datto usage per customer and SKU") {
  DattoSetup s("datto-collect");
  auto check = s.run({"plugins", "check", "--format", "json"});
  INFO(check.out << check.err);
  REQUIRE(check.exit_code == 0);
  json checked = json::parse(check.out)[0];
  CHECK(checked["status"] == "ok");

  auto discover = s.run({"discover", "--format", "json"});
  INFO(discover.err);
  REQUIRE(discover.exit_code == 0);
  CHECK(json::parse(discover.out)[0]["customers"] == 4);  // orgs 1001-1003 BCDR, 1004 SaaS only

  auto call =
      s.run({"plugins", "call", "datto", "collect", "--request", R"({"date": "2026-12-01"})"});
  INFO(call.err);
  REQUIRE(call.exit_code == 0);
  json records = json::parse(call.out)["records"];
  std::map<std::pair<std::string, std::string>, double> got;
  for (const json& r : records) got[{r["customer_id"], r["sku"]}] = r["quantity"].get<double>();
  const std::map<std::pair<std::string, std::string>, double> expected = {
      {{"org:1001", "BCDR-APPLIANCE"}, 2},      {{"org:1001", "BCDR-AGENT"}, 2},
      {{"org:1001", "BCDR-OFFSITE-GB"}, 513.5}, {{"org:1001", "SAAS-M365-SEATS"}, 18},
      {{"org:1002", "BCDR-APPLIANCE"}, 1},      {{"org:1002", "BCDR-AGENT"}, 2},
      {{"org:1002", "BCDR-OFFSITE-GB"}, 250},   {{"org:1003", "BCDR-APPLIANCE"}, 1},
      {{"org:1003", "BCDR-AGENT"}, 0},          {{"org:1003", "BCDR-OFFSITE-GB"}, 3328},
      {{"org:1004", "SAAS-M365-SEATS"}, 9},     {{"org:1004", "SAAS-GOOGLE-SEATS"}, 4}};
  CHECK(got == expected);
  // The hidden device was neither listed nor asked for its agents.
  CHECK(s.control.requests_to("/v1/bcdr/device/D9E0F1A2B3C4").empty());
  const json pages = s.control.requests_to("/v1/bcdr/device");
  CHECK(pages[0]["query"].dump().find("showHiddenDevices") != std::string::npos);

  auto collect = s.run({"collect", "--format", "json"});
  INFO(collect.err);
  REQUIRE(collect.exit_code == 0);
  json day = json::parse(collect.out)["days"][0];
  CHECK(day["ok"] == true);
  CHECK(day["records"] == expected.size());
  auto again = s.run({"collect", "--format", "json"});
  CHECK(json::parse(again.out)["days"][0]["unchanged"] == expected.size());
  for (const auto* r : {&check, &discover, &call, &collect}) CHECK_FALSE(shows(*r, s.secret()));
}

TEST_CASE("wrong keys are an auth failure naming the instance and never the secret key") {
  DattoSetup s("datto-wrong-keys");
  const std::string wrong = "not-the-secret-4711";
  auto check = s.run({"plugins", "check"}, wrong);
  CHECK(check.exit_code == 1);
  CHECK(shows(check, "datto"));
  CHECK(shows(check, "refused the credentials"));
  CHECK(shows(check, "check public_key and secret_key"));
  CHECK_FALSE(shows(check, wrong));
  auto collect = s.run({"collect"}, wrong);
  CHECK(collect.exit_code == 1);
  CHECK(collect.err.find("instance 'datto'") != std::string::npos);
  CHECK(shows(collect, "HTTP 401"));
  CHECK_FALSE(shows(collect, wrong));
  // The emulator saw only Basic credentials, and logged none of them.
  const json calls = s.control.requests_to("/v1/");
  REQUIRE(calls.size() >= 1);
  CHECK(calls[0]["status"] == 401);
  CHECK(calls[0]["headers"]["Authorization"] == "Basic REDACTED");
}
