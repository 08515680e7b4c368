// Version negotiation: major mismatch, a plugin that needs a newer host, an older minor.
#include <catch2/catch.hpp>

#include "fake_host.hpp"
#include "loader_test_support.hpp"

using Catch::Contains;

TEST_CASE("a plugin of another ABI major is refused, naming file, id and both versions") {
  auto r = load_with_ok("abi_major_mismatch");
  REQUIRE(r.refusals.size() == 1);
  const std::string m = r.refusals[0].message();
  CHECK(r.refusals[0].plugin_id == "fixture-major");
  CHECK_THAT(m, Contains("plugin 'fixture-major'") &&
                    Contains("abi_major_mismatch/libfixture_abi_major_mismatch.so"));
  CHECK_THAT(m, Contains("built for plugin ABI 2.0") && Contains("this host speaks ABI 1.1"));
  CHECK(has_plugin(r, "fixture-ok"));  // the host goes on with the others
}

TEST_CASE("a plugin that needs a newer host minor is refused with both versions") {
  auto r = load_with_ok("min_host_minor_too_new");
  REQUIRE(r.refusals.size() == 1);
  const std::string m = r.refusals[0].message();
  CHECK(r.refusals[0].plugin_id == "fixture-minor");
  CHECK_THAT(m, Contains("libfixture_min_host_minor_too_new.so") && Contains("plugin ABI 1.99") &&
                    Contains("needs a host of ABI 1.99") && Contains("this host speaks ABI 1.1"));
  CHECK(has_plugin(r, "fixture-ok"));
}

TEST_CASE("a plugin built against an older minor loads, its newer optional hooks are absent") {
  auto r = load_with_ok("older_minor");
  REQUIRE(r.refusals.empty());
  std::shared_ptr<meterbridge::host::PluginModule> older;
  for (const auto& p : r.plugins) {
    if (p->id() == "fixture-older-minor") older = p;
  }
  REQUIRE(older);
  CHECK(older->abi_major() == 1);
  CHECK(older->abi_minor() == 0);
  // The poison pointer after its 1.0 table was not read as validate_settings.
  CHECK_FALSE(older->has_validate_settings());
  CHECK(older->validate_settings("{}").ok());
  FakeHostTable host;
  auto created = older->create_instance(&host.table, "{}");
  REQUIRE(created);
  auto answer = created.instance->invoke("ping", "{}");
  CHECK(answer.ok());
  CHECK(answer.text == "{\"pong\":true}");
}

TEST_CASE("a current plugin offers the 1.1 hook") {
  auto r = load_with_ok("ok");  // the same directory twice: the second is a duplicate
  REQUIRE(!r.plugins.empty());
  CHECK(r.plugins[0]->abi_minor() == MB_ABI_MINOR);
  CHECK(r.plugins[0]->has_validate_settings());
}
