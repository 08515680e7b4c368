// The example's tests, as a plugin author writes them: meterbridge_add_plugin_test() links the
// plugin's own objects into this executable, and the SDK's FakeHost + PluginHarness drive them
// through the entry point as the host would.
#include <catch2/catch.hpp>

#include <meterbridge/testing.hpp>

extern "C" mb_status meterbridge_plugin_entry(const mb_host_version*, const mb_plugin_api**);

using meterbridge::json;
using meterbridge::testing::FakeHost;
using meterbridge::testing::PluginHarness;

TEST_CASE("the table carries the id, kind and version given to meterbridge_add_plugin") {
  FakeHost host;
  PluginHarness plugin(meterbridge_plugin_entry, host);
  REQUIRE(plugin.negotiation() == MB_OK);
  CHECK(std::string(plugin.api().id) == MB_PLUGIN_ID);
  CHECK(plugin.api().kind == MB_PLUGIN_KIND);
  CHECK(std::string(plugin.api().version) == MB_PLUGIN_VERSION);
}

TEST_CASE("collect reports the seats of each configured customer") {
  FakeHost host;
  PluginHarness plugin(meterbridge_plugin_entry, host);
  REQUIRE(plugin.create(json::parse(R"({"customers": [{"id": "c1", "name": "Acme", "seats": 3}]})"))
              .ok());
  auto usage = plugin.invoke("collect", {{"date", "2026-11-01"}});
  REQUIRE(usage.ok());
  REQUIRE(usage.answer["records"].size() == 1);
  CHECK(usage.answer["records"][0]["customer_id"] == "c1");
  CHECK(usage.answer["records"][0]["quantity"] == 3);
}
