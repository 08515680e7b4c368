// The example plugin unit-tested the way a plugin author would: FakeHost + PluginHarness.
#include <catch2/catch.hpp>

#include <meterbridge/testing.hpp>

extern "C" mb_status meterbridge_plugin_entry(const mb_host_version*, const mb_plugin_api**);

using meterbridge::json;
using meterbridge::testing::FakeHost;
using meterbridge::testing::PluginHarness;

namespace {
const json kSettings = json::parse(R"({"sku": "SEATS", "customers": [
  {"id": "c1", "name": "Acme Inc", "seats": 12}, {"id": "c2", "name": "Beta GmbH", "seats": 0}]})");
}

TEST_CASE("example: negotiation declares a source of the current ABI") {
  FakeHost host;
  PluginHarness plugin(meterbridge_plugin_entry, host);
  CHECK(plugin.negotiation() == MB_OK);
  CHECK(std::string(plugin.api().id) == "demo-source");
  CHECK(plugin.api().kind == MB_KIND_SOURCE);
  CHECK(plugin.api().abi_minor == MB_ABI_MINOR);
  CHECK(plugin.api().validate_settings != nullptr);
}

TEST_CASE("example: discover and collect answer catalog.v1 and usage.v1, and state is kept") {
  FakeHost host;
  PluginHarness plugin(meterbridge_plugin_entry, host);
  REQUIRE(plugin.create(kSettings).ok());
  auto catalog = plugin.invoke("discover");
  REQUIRE(catalog.ok());
  CHECK(catalog.answer["schema"] == "catalog.v1");
  CHECK(catalog.answer["customers"].size() == 2);
  CHECK(catalog.answer["products"][0]["sku"] == "SEATS");

  auto usage = plugin.invoke("collect", {{"date", "2026-11-01"}});
  REQUIRE(usage.ok());
  CHECK(usage.answer["schema"] == "usage.v1");
  CHECK(usage.answer["date"] == "2026-11-01");
  REQUIRE(usage.answer["records"].size() == 2);
  CHECK(usage.answer["records"][0]["quantity"] == 12);
  CHECK(usage.answer["records"][1]["customer_name"] == "Beta GmbH");
  CHECK(host.state["last_date"] == "2026-11-01");

  auto check = plugin.check();
  REQUIRE(check.ok());
  CHECK(check.answer["details"]["last_collected"] == "2026-11-01");
  CHECK(host.logged("check: 2 customers configured"));
}

TEST_CASE("example: bad requests and settings come back as statuses with messages") {
  FakeHost host;
  PluginHarness plugin(meterbridge_plugin_entry, host);
  auto refused = plugin.validate_settings(
      json::parse(R"({"customers": [{"id": "c9", "name": "N", "seats": -1}]})"));
  CHECK(refused.status == MB_E_CONFIG);
  CHECK(refused.message == "customers[].seats must not be negative (customer c9)");
  CHECK(plugin.validate_settings(kSettings).ok());

  // The host refuses settings without customers (the schema requires them) before create.
  auto refused_create = plugin.create(json::object());
  CHECK(refused_create.status == MB_E_CONFIG);
  CHECK_THAT(refused_create.message, Catch::Contains("missing required setting 'customers'"));
  // Past the host's checks, the plugin's own .at() throws and the barrier contains it.
  auto missing = plugin.create_unchecked(json::object());
  CHECK(missing.status == MB_E_INTERNAL);
  CHECK_FALSE(missing.message.empty());

  REQUIRE(plugin.create(kSettings).ok());
  auto no_date = plugin.invoke("collect", json::object());
  CHECK(no_date.status == MB_E_INVALID_ARGUMENT);
  CHECK(no_date.message == "collect needs a string field 'date' (YYYY-MM-DD)");
  auto unknown = plugin.invoke("reconcile");
  CHECK(unknown.status == MB_E_UNSUPPORTED);
  CHECK(unknown.message == "operation 'reconcile' is not supported by this plugin");
}
