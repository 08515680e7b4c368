// Lifetimes: the library outlives its instances; a failing create leaks nothing and is never
// destroyed (the fixture aborts if it is); ASan/LSan watch every step.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "fake_host.hpp"
#include "loader_test_support.hpp"
#include "services/redactor.hpp"

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

TEST_CASE("every text a plugin hands the loader comes back with the host's secrets redacted") {
  // A secret the host resolved earlier (secret_get registers it); JSON must escape its quote.
  meterbridge::host::Redactor::global().add("Sekr\"t-0x5eed");
  meterbridge::host::LoaderOptions options;
  options.pin_libraries = false;
  auto r = meterbridge::host::load_plugins({PLUGIN_DIR, fixture_dir("throws_everywhere")}, options);
  std::shared_ptr<meterbridge::host::PluginModule> demo, thrower;
  for (const auto& p : r.plugins) {
    if (p->id() == "demo-source") demo = p;
    if (p->id() == "fixture-throws") thrower = p;
  }
  REQUIRE(demo);
  REQUIRE(thrower);
  FakeHostTable host;

  // An answer: redacted as JSON, so it stays JSON.
  auto created = demo->create_instance(
      &host.table, R"({"customers": [{"id": "c1", "name": "Acme Sekr\"t-0x5eed", "seats": 4}]})");
  REQUIRE(created);
  auto answer = created.instance->invoke("discover", "{}");
  REQUIRE(answer.ok());
  CHECK(answer.text.find("0x5eed") == std::string::npos);
  CHECK(nlohmann::json::parse(answer.text)["customers"][0]["name"] == "Acme ***");

  // An error message: redacted as text. (Check, create and validate_settings messages take the
  // same path; tests/integration/secrets runs them through the real host.)
  auto made = thrower->create_instance(&host.table, "{}");
  REQUIRE(made);
  auto failed = made.instance->invoke("op-Sekr\"t-0x5eed", "{}");
  CHECK(failed.status == MB_E_INTERNAL);
  CHECK(failed.text == "unexpected error inside plugin: invoke exploded in op-***");
}
