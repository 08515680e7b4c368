// Unit tests of the Acme reference source: the SDK's FakeHost plays the host and the Acme API,
// PluginHarness drives the plugin through its entry point as meterbridge does.
#include <catch2/catch.hpp>

#include <meterbridge/testing.hpp>

using meterbridge::json;
using namespace meterbridge::testing;  // FakeHost, PluginHarness, reply, reply_json

namespace {

const std::string kClients = "https://acme.test/v1/clients?page=";
const json kSettings = {{"api_url", "https://acme.test"}, {"api_key", "${env:ACME_API_KEY}"}};

json client(const char* id, const char* name, int seats) {
  return {{"id", id}, {"name", name}, {"seats", seats}};
}
json page(int number, std::vector<json> clients) {
  return {{"clients", clients}, {"page", number}, {"total_pages", 2}, {"total", 3}};
}

struct Acme {
  FakeHost host;
  PluginHarness plugin{host};
  Acme() {
    host.secrets["api_key"] = "k-123";
    host.route("GET", kClients + "1",
               {reply_json(200, page(1, {client("c1", "Bakery", 12), client("c2", "Dental", 7)}))});
    host.route("GET", kClients + "2",
               {reply(429, "", {{"Retry-After", "1"}}),
                reply_json(200, page(2, {client("c3", "Harbor", 31)}))});
    host.emulate_host_retries = true;  // the host retries a 429 itself, as in production
    REQUIRE(plugin.create(kSettings).ok());
  }
};

}  // namespace

TEST_CASE("acme: collect reads every page and reports seats per client") {
  Acme acme;
  auto usage = acme.plugin.invoke("collect", {{"date", "2026-12-01"}, {"today", "2026-12-01"}});
  REQUIRE(usage.ok());
  REQUIRE(usage.answer["records"].size() == 3);
  CHECK(usage.answer["records"][2] == json::parse(R"({"customer_id": "c3", "customer_name":
    "Harbor", "sku": "ACME-SEATS", "product_name": "Acme seats", "metric": "seats", "quantity": 31})"));
  REQUIRE(acme.host.requests.size() == 2);
  CHECK(acme.host.requests[0].headers.at("X-Api-Key") == "k-123");
  CHECK(acme.host.attempts[1] == 2);  // page 2: the 429, then the answer
}

TEST_CASE("acme: a refused key is an auth failure naming the call, never the key") {
  FakeHost host;
  host.secrets["api_key"] = "k-123";
  host.script({reply_json(401, {{"error", "invalid api key"}})});
  PluginHarness plugin(host);
  REQUIRE(plugin.create(kSettings).ok());
  auto check = plugin.check();
  CHECK(check.status == MB_E_AUTH);
  CHECK(check.message ==
        "Acme refused the credentials for GET /v1/clients?page=1 (HTTP 401, invalid api key); "
        "check api_key");
}

TEST_CASE("acme: settings are checked as the host checks them") {
  FakeHost host;
  PluginHarness plugin(host);
  auto plain_key = plugin.create({{"api_url", "https://acme.test"}, {"api_key", "k-123"}});
  CHECK(plain_key.status == MB_E_CONFIG);
  CHECK(plain_key.message.find("/api_key") != std::string::npos);
  CHECK(plain_key.message.find("k-123") == std::string::npos);
  CHECK(plugin.create({{"api_key", "${env:K}"}}).status == MB_E_CONFIG);  // api_url missing
}

TEST_CASE("acme: a past day stays missing, since Acme only tells current counts") {
  Acme acme;
  auto past = acme.plugin.invoke("collect", {{"date", "2026-11-20"}, {"today", "2026-12-01"}});
  CHECK(past.status == MB_E_UNSUPPORTED);
  CHECK(acme.host.requests.empty());
}
