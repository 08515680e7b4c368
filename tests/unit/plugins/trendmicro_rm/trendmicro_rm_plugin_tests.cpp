// The trendmicro-rm plugin through its entry point, as the host does, against SMPI/LMPI answers
// from the FakeHost's http_handler: settings, the signed headers with the host's clock, the
// clock-skew message, and the usage mapping.
#include <catch2/catch.hpp>

#include <meterbridge/testing.hpp>

#include "tm_products.hpp"

#include <set>
#include <string>

using meterbridge::HttpRequest;
using meterbridge::HttpResponse;
using meterbridge::json;
using meterbridge::testing::FakeHost;
using meterbridge::testing::Outcome;
using meterbridge::testing::PluginHarness;

namespace {

const std::string kBase = "https://tm.test";

HttpResponse respond(int32_t status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.headers = {{"content-type", "application/json"}};
  r.body = body.dump();
  return r;
}

json settings() {
  return {{"api_url", kBase},
          {"access_token", "${env:TM_UNIT_TOKEN}"},
          {"secret_key", "${env:TM_UNIT_SECRET}"}};
}

void secrets(FakeHost& host) {
  host.secrets = {{"access_token", "unit-token"}, {"secret_key", "unit-secret-key"}};
}

}  // namespace

TEST_CASE("settings: secrets as references, api_version vN.N, api_url http(s)") {
  FakeHost host;
  PluginHarness plugin(host);
  CHECK(plugin.validate(settings()).ok());
  json plain = settings();
  plain["secret_key"] = "hunter2";
  CHECK(plugin.validate(plain).status == MB_E_CONFIG);
  for (const char* bad : {"2.8", "v2", "v2.8.1", "V2.8"}) {
    json s = settings();
    s["api_version"] = bad;
    CHECK(plugin.validate(s).status == MB_E_CONFIG);
  }
  json ftp = settings();
  ftp["api_url"] = "ftp://tm.test";
  CHECK(plugin.validate(ftp).status == MB_E_CONFIG);
  json missing = settings();
  missing.erase("access_token");
  CHECK(plugin.validate(missing).status == MB_E_CONFIG);
}

TEST_CASE("every call is signed with the host clock's seconds and a fresh trace id") {
  FakeHost host;
  secrets(host);
  host.now_unix_ms = 1764547200987;  // the host's (test) clock, not the system's
  host.http_handler = [](const HttpRequest&) {
    return respond(200, {{"paging", {{"total", 1}, {"limit", 100}, {"page", 1}}},
                         {"customers", {{{"id", "c1"}, {"name", "One"}}}}});
  };
  PluginHarness plugin(host);
  REQUIRE(plugin.create(settings()).ok());
  REQUIRE(plugin.check().ok());
  REQUIRE(plugin.check().ok());
  REQUIRE(host.requests.size() == 2);
  const HttpRequest& r = host.requests[0];
  CHECK(r.url == kBase + "/SMPI/v2.8/service/wfbss/api/customers?page=1&limit=100");
  CHECK(r.headers.at("x-access-token") == "unit-token");
  CHECK(r.headers.at("x-posix-time") == "1764547200");
  // printf '%s' '1764547200GET/SMPI/v2.8/service/wfbss/api/customers?page=1&limit=100' |
  //   openssl dgst -sha256 -hmac 'unit-secret-key' -binary | base64
  CHECK(r.headers.at("x-signature") == "N5mYKo3Q8kt6ttkC63rCOW3Di2QGLvSPUTwpOHt4uRc=");
  CHECK(r.headers.at("content-type") == "application/json; charset=utf-8");
  CHECK(r.headers.at("x-traceid").size() == 36);
  CHECK(r.headers.at("x-traceid") != host.requests[1].headers.at("x-traceid"));
}

TEST_CASE("a refused request time says the host clock is more than 15 minutes off") {
  FakeHost host;
  secrets(host);
  host.http_handler = [](const HttpRequest&) {
    return respond(401, {{"error_subject", "AuthenticationFailurePosixTime"},
                         {"error_message", "time out of range"}});
  };
  PluginHarness plugin(host);
  REQUIRE(plugin.create(settings()).ok());
  Outcome o = plugin.check();
  CHECK(o.status == MB_E_AUTH);
  CHECK(o.message.find("the host clock differs from Trend Micro's by more than 15 minutes") !=
        std::string::npos);
  CHECK(o.message.find("unit-secret-key") == std::string::npos);
}

TEST_CASE("usage mapping: seats summed per product, known zeros, unknown codes rejected") {
  using namespace trendmicro_rm;
  UsageMapper m;
  m.add_customer({"c1", "One"}, {{"AC-1", "WFBSS", true},
                                 {"AC-2", "WFBSS", true},
                                 {"AC-3", "HES", true},
                                 {"AC-4", "TMEMS-STD", false},
                                 {"AC-5", "NEWPRODUCT", true}});
  m.add_usage({"c1", {{"AC-1", 10}, {"AC-2", 5}, {"AC-9", 3}, {"AC-5", 2}}});
  const std::vector<UsageRecord> records = m.records();
  REQUIRE(records.size() == 3);  // the disabled TMEMS-STD licence without seats is no record
  CHECK(records[0].sku == "HES");
  CHECK(records[0].quantity == 0);  // licensed, nothing in use: a known zero
  CHECK(records[1].sku == "NEWPRODUCT");
  CHECK(records[1].product_name == "NEWPRODUCT");  // unknown ids bill under themselves
  CHECK(records[2].sku == "WFBSS");
  CHECK(records[2].quantity == 15);
  CHECK(records[2].product_name == "Worry-Free Business Security Services");
  REQUIRE(m.rejections().size() == 1);
  CHECK(m.rejections()[0].line == 3);
  CHECK(m.rejections()[0].customer_id == "c1");
  CHECK(is_email_product("HES"));
  CHECK_FALSE(is_email_product("WFBS-ADV"));
}
