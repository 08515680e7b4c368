// Unit tests of the datto-backup source: FakeHost plays the host and the Datto API (BCDR devices
// and agents, SaaS Protection domains), PluginHarness drives the plugin as meterbridge does.
#include <catch2/catch.hpp>

#include <meterbridge/testing.hpp>

using meterbridge::json;
using namespace meterbridge::testing;  // FakeHost, PluginHarness, reply, reply_json

namespace {

const std::string kApi = "https://datto.test/v1";
const std::string kDevices = kApi + "/bcdr/device?_page=";
const json kSettings = {{"api_url", kApi},
                        {"public_key", "pub"},
                        {"secret_key", "${env:DATTO_SECRET_KEY}"},
                        {"page_size", 2}};

json device(const char* serial, json org_id, const char* org, json offsite, bool hidden = false) {
  return {{"serialNumber", serial},        {"name", serial},   {"organizationId", org_id},
          {"organizationName", org},       {"hidden", hidden}, {"offsiteStorageUsed", offsite},
          {"clientCompanyName", "ignored"}};
}
json size(double value, const char* units) {
  return {{"size", value}, {"units", units}};
}
json page(int number, std::vector<json> items) {
  return {{"pagination", {{"page", number}, {"perPage", 2}, {"totalPages", 2}, {"count", 3}}},
          {"items", items}};
}
json agent(const char* name, bool archived = false, bool paused = false) {
  return {{"name", name}, {"isArchived", archived}, {"isPaused", paused}};
}
json domain(json org_id, const char* customer_id, const char* type, int seats) {
  return {{"saasCustomerId", customer_id},
          {"saasCustomerName", std::string("SaaS ") + customer_id},
          {"organizationId", org_id},
          {"organizationName", "Org from SaaS"},
          {"domain", "example.com"},
          {"productType", type},
          {"seatsUsed", seats}};
}

// Two pages of devices: org 42 has two (1.5 GB and 1 TB offsite), org 7 one, and one hidden
// device of org 7 that must not count; then SaaS domains of org 42 and of a SaaS-only customer.
struct Datto {
  FakeHost host;
  PluginHarness plugin{host};
  explicit Datto(json settings = kSettings) {
    host.secrets["secret_key"] = "sec";
    host.route("GET", kDevices + "1&_perPage=2&showHiddenDevices=0",
               {reply_json(200, page(1, {device("S1", 42, "Bakery", size(1536, "MB")),
                                         device("S2", 7, "Dental", nullptr)}))});
    host.route("GET", kDevices + "2&_perPage=2&showHiddenDevices=0",
               {reply_json(200, page(2, {device("S3", 42, "Bakery", size(1, "TB")),
                                         device("S4", 7, "Dental", size(5, "GB"), true)}))});
    host.route(
        "GET", kApi + "/bcdr/device/S1/asset/agent",
        {reply_json(200, json::array({agent("a"), agent("b", true), agent("c", false, true)}))});
    host.route("GET", kApi + "/bcdr/device/S2/asset/agent",
               {reply_json(200, json::array({agent("d"), agent("e")}))});
    host.route("GET", kApi + "/bcdr/device/S3/asset/agent", {reply_json(200, json::array())});
    host.route("GET", kApi + "/saas/domains",
               {reply_json(200, json::array({domain(42, "900", "Office365", 25),
                                             domain(42, "900", "GoogleApps", 3),
                                             domain(nullptr, "901", "Office365", 10),
                                             domain(nullptr, "901", "Office365", 2)}))});
    REQUIRE(plugin.create(settings).ok());
  }
  json collect() {
    auto usage = plugin.invoke("collect", {{"date", "2026-12-01"}, {"today", "2026-12-01"}});
    INFO(usage.message);
    REQUIRE(usage.ok());
    return usage.answer["records"];
  }
};

// The quantity of (customer, sku); -1 when there is no such record.
double quantity(const json& records, const std::string& customer, const std::string& sku) {
  for (const json& r : records) {
    if (r["customer_id"] == customer && r["sku"] == sku) return r["quantity"].get<double>();
  }
  return -1;
}

}  // namespace

TEST_CASE("every request carries the exact Basic header of public_key and secret_key") {
  Datto datto;
  datto.collect();
  REQUIRE(datto.host.requests.size() == 6);
  for (const auto& r : datto.host.requests)
    CHECK(r.headers.at("Authorization") == "Basic cHViOnNlYw==");  // base64("pub:sec")
  CHECK(datto.host.replies_left() == 0);
}

TEST_CASE("devices are read over both pages and a hidden device is left out") {
  Datto datto;
  json records = datto.collect();
  CHECK(datto.host.requests[0].url == kDevices + "1&_perPage=2&showHiddenDevices=0");
  CHECK(quantity(records, "org:42", "BCDR-APPLIANCE") == 2);
  CHECK(quantity(records, "org:7", "BCDR-APPLIANCE") == 1);  // S4 is hidden
  for (const auto& r : datto.host.requests)
    CHECK(r.url.find("/bcdr/device/S4/") == std::string::npos);
  CHECK(quantity(records, "org:7", "BCDR-OFFSITE-GB") == 0);  // S2 has no offsite, S4 hidden
}

TEST_CASE("only protected agents count, neither archived nor paused ones") {
  Datto datto;
  json records = datto.collect();
  CHECK(quantity(records, "org:42", "BCDR-AGENT") == 1);  // a; b archived, c paused; S3 none
  CHECK(quantity(records, "org:7", "BCDR-AGENT") == 2);
}

TEST_CASE("offsite storage is converted to GB with 1024 MB to the GB") {
  Datto datto;
  json records = datto.collect();
  CHECK(quantity(records, "org:42", "BCDR-OFFSITE-GB") == 1025.5);  // 1536 MB + 1 TB
  json first = records[0];
  CHECK(first["metric"] == "agents");
}

TEST_CASE("SaaS seats are summed per customer and product") {
  Datto datto;
  json records = datto.collect();
  CHECK(quantity(records, "org:42", "SAAS-M365-SEATS") == 25);
  CHECK(quantity(records, "org:42", "SAAS-GOOGLE-SEATS") == 3);
  CHECK(quantity(records, "saas:901", "SAAS-M365-SEATS") == 12);
  CHECK(quantity(records, "saas:901", "SAAS-GOOGLE-SEATS") == -1);
  CHECK(records.size() == 3 + 2 + 3 + 1);  // org 42: 3 BCDR + 2 SaaS; org 7: 3; saas:901: 1
  for (const json& r : records) {
    if (r["sku"] == "SAAS-M365-SEATS") CHECK(r["metric"] == "seats");
  }
}

TEST_CASE("one organization in BCDR and SaaS is one customer, named as BCDR names it") {
  Datto datto;
  auto discovered = datto.plugin.invoke("discover", json::object());
  REQUIRE(discovered.ok());
  json customers = discovered.answer["customers"];
  CHECK(customers == json::parse(R"([{"id": "org:42", "name": "Bakery"},
    {"id": "org:7", "name": "Dental"}, {"id": "saas:901", "name": "SaaS 901"}])"));
  CHECK(discovered.answer["products"].size() == 5);
  CHECK(discovered.answer["past_days"] == false);
}

TEST_CASE("products limits what is read") {
  json settings = kSettings;
  settings["products"] = {"saas"};
  Datto datto(settings);
  json records = datto.collect();
  REQUIRE(datto.host.requests.size() == 1);
  CHECK(datto.host.requests[0].url == kApi + "/saas/domains");
  CHECK(records.size() == 3);
  json bad = kSettings;
  bad["products"] = {"rmm"};
  FakeHost host;
  PluginHarness plugin(host);
  CHECK(plugin.create(bad).status == MB_E_CONFIG);
}

TEST_CASE("refused keys, rate limits and server errors name the call") {
  FakeHost host;
  host.secrets["secret_key"] = "sec";
  host.script({reply_json(401, {{"code", 401}, {"message", "Invalid credentials"}}),
               reply(429, "", {{"Retry-After", "30"}}), reply(503)});
  PluginHarness plugin(host);
  REQUIRE(plugin.create(kSettings).ok());
  auto check = plugin.check();
  CHECK(check.status == MB_E_AUTH);
  CHECK(check.message ==
        "Datto refused the credentials for GET "
        "/v1/bcdr/device?_page=1&_perPage=1&showHiddenDevices=0 (HTTP 401, Invalid "
        "credentials); check public_key and secret_key (Datto Partner Portal > Admin > "
        "Integrations > API Keys)");
  auto limited = plugin.invoke("collect", {{"date", "2026-12-01"}});
  CHECK(limited.status == MB_E_RATE_LIMITED);
  CHECK(limited.message ==
        "Datto is rate limiting GET "
        "/v1/bcdr/device?_page=1&_perPage=2&showHiddenDevices=0 (HTTP 429); "
        "Retry-After 30; a later run will try again");
  auto failed = plugin.invoke("discover", json::object());
  CHECK(failed.status == MB_E_TRANSIENT);
  CHECK(failed.message ==
        "Datto failed GET /v1/bcdr/device?_page=1&_perPage=2&showHiddenDevices=0 "
        "(HTTP 503); a later run will try again");
}

TEST_CASE("an unreadable storage unit fails the day instead of billing part of it") {
  FakeHost host;
  host.secrets["secret_key"] = "sec";
  json one = page(1, {device("S1", 1, "A", size(3, "parsecs"))});
  one["pagination"]["totalPages"] = 1;
  host.route("GET", kDevices + "1&_perPage=2&showHiddenDevices=0", {reply_json(200, one)});
  host.route("GET", kApi + "/bcdr/device/S1/asset/agent", {reply_json(200, json::array())});
  PluginHarness plugin(host);
  REQUIRE(plugin.create(kSettings).ok());
  auto usage = plugin.invoke("collect", {{"date", "2026-12-01"}});
  CHECK(usage.status == MB_E_TRANSIENT);
  CHECK(usage.message.find("device S1") != std::string::npos);
  CHECK(usage.message.find("PARSECS") != std::string::npos);
}

TEST_CASE("a past day stays missing, since Datto only tells current counts") {
  Datto datto;
  auto past = datto.plugin.invoke("collect", {{"date", "2026-11-20"}, {"today", "2026-12-01"}});
  CHECK(past.status == MB_E_UNSUPPORTED);
  CHECK(datto.host.requests.empty());
}
