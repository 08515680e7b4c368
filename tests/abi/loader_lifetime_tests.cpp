// Lifetimes: the library outlives its instances; a failing create leaks nothing and is never
// destroyed (the fixture aborts if it is); ASan/LSan watch every step.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "fake_host.hpp"
#include "loader_test_support.hpp"

TEST_CASE("an instance keeps its library loaded after the loader's report is gone") {
  FakeHostTable host;
  std::unique_ptr<meterbridge::host::PluginInstance> instance;
  {
    auto r = load_with_ok("older_minor");
    auto created = r.plugins.front()->create_instance(&host.table, "{}");
    REQUIRE(created);
    instance = std::move(created.instance);
  }  // every shared_ptr but the instance's is gone here; unpinned, so dlclose would run now
  auto answer = instance->invoke("ping", "{}");
  CHECK(answer.ok());
  CHECK(answer.text == "{\"pong\":true}");
  instance.reset();  // destroy runs, then the library unloads
}

TEST_CASE("create that fails reports its message, leaks nothing and is never destroyed") {
  auto r = load_with_ok("create_fails");
  std::shared_ptr<meterbridge::host::PluginModule> m;
  for (const auto& p : r.plugins) {
    if (p->id() == "fixture-create-fails") m = p;
  }
  REQUIRE(m);
  FakeHostTable host;
  for (int i = 0; i < 3; ++i) {
    auto created = m->create_instance(&host.table, "{}");
    CHECK_FALSE(created);
    CHECK(created.error.status == MB_E_CONFIG);
    CHECK(created.error.text == "api_key setting is wrong");
  }
}

TEST_CASE("the in-tree example plugin answers discover through the loader") {
  meterbridge::host::LoaderOptions options;
  options.pin_libraries = false;
  auto r = meterbridge::host::load_plugins({PLUGIN_DIR}, options);
  REQUIRE(has_plugin(r, "demo-source"));
  std::shared_ptr<meterbridge::host::PluginModule> demo;
  for (const auto& p : r.plugins) {
    if (p->id() == "demo-source") demo = p;
  }
  FakeHostTable host;
  auto created = demo->create_instance(
      &host.table, R"({"customers": [{"id": "c1", "name": "Acme", "seats": 4}]})");
  REQUIRE(created);
  auto answer = created.instance->invoke("discover", "{}");
  REQUIRE(answer.ok());
  auto j = nlohmann::json::parse(answer.text);
  CHECK(j["schema"] == "catalog.v1");
  CHECK(j["customers"][0]["name"] == "Acme");
  auto check = created.instance->check();
  CHECK(check.ok());
  REQUIRE(host.lines.size() == 1);
  CHECK(host.lines[0] == "check: 1 customers configured");
}
