// Files that are not usable plugins: each refusal names the file and the reason, and the host
// goes on with the good plugin.
#include <catch2/catch.hpp>

#include "fake_host.hpp"
#include "loader_test_support.hpp"

using Catch::Contains;

TEST_CASE("a library without the entry symbol is refused") {
  auto r = load_with_ok("missing_entry_symbol");
  REQUIRE(r.refusals.size() == 1);
  CHECK(r.refusals[0].plugin_id == "fixture-no-entry");
  CHECK_THAT(r.refusals[0].message(), Contains("libfixture_missing_entry_symbol.so") &&
                                          Contains("does not export meterbridge_plugin_entry"));
  CHECK(has_plugin(r, "fixture-ok"));
}

TEST_CASE("a file that is not a shared library is refused with the loader's reason") {
  auto r = load_with_ok("not_a_shared_library");
  REQUIRE(r.refusals.size() == 1);
  CHECK(r.refusals[0].plugin_id == "fixture-text");
  CHECK_THAT(r.refusals[0].message(),
             Contains("libnot-a-library.so") && Contains("cannot be loaded") && Contains("ldd"));
  CHECK(has_plugin(r, "fixture-ok"));
}

TEST_CASE("a missing dependent library is refused, naming the dependency") {
  auto r = load_with_ok("missing_dependent_library");
  REQUIRE(r.refusals.size() == 1);
  CHECK(r.refusals[0].plugin_id == "fixture-missing-dep");
  CHECK_THAT(r.refusals[0].message(), Contains("libfixture_missing_dependent_library.so") &&
                                          Contains("libmb_fixture_dependency.so") &&
                                          Contains("ldd"));
  CHECK(has_plugin(r, "fixture-ok"));
}

TEST_CASE("manifest and library disagreeing on the id is refused") {
  auto r = load_with_ok("id_mismatch");
  REQUIRE(r.refusals.size() == 1);
  CHECK(r.refusals[0].plugin_id == "fixture-manifest-name");
  CHECK_THAT(r.refusals[0].message(), Contains("calls itself 'fixture-real-name'") &&
                                          Contains("fixture-manifest-name.plugin.json") &&
                                          Contains("says 'fixture-manifest-name'"));
}

TEST_CASE("manifest and library disagreeing on the version is refused") {
  auto r = load_with_ok("version_mismatch");
  REQUIRE(r.refusals.size() == 1);
  CHECK(r.refusals[0].plugin_id == "fixture-version");
  CHECK(r.refusals[0].file == fixture_dir("version_mismatch") / "fixture-version.plugin.json");
  CHECK_THAT(
      r.refusals[0].message(),
      Contains("plugin library " +
               (fixture_dir("version_mismatch") / "libfixture_version_mismatch.so").string() +
               " is version '1.1.0'") &&
          Contains("its manifest " +
                   (fixture_dir("version_mismatch") / "fixture-version.plugin.json").string() +
                   " says version '1.0.0'") &&
          Contains("rebuild the plugin or regenerate its manifest"));
  CHECK(has_plugin(r, "fixture-ok"));
}

TEST_CASE("malformed manifests are refused with the file and the field") {
  auto r = load_with_ok("malformed_manifest");
  REQUIRE(r.refusals.size() == 3);
  // Sorted by file name: badkind, broken, incomplete.
  CHECK_THAT(r.refusals[0].message(), Contains("badkind.plugin.json") && Contains("field 'kind'") &&
                                          Contains("\"gateway\""));
  CHECK_THAT(r.refusals[1].message(), Contains("broken.plugin.json") && Contains("not valid JSON"));
  CHECK_THAT(r.refusals[2].message(),
             Contains("incomplete.plugin.json") && Contains("missing field 'library'"));
  CHECK(has_plugin(r, "fixture-ok"));
}

TEST_CASE("a plugin that throws from every hook answers with statuses and messages") {
  auto r = load_with_ok("throws_everywhere");
  REQUIRE(r.refusals.empty());
  std::shared_ptr<meterbridge::host::PluginModule> m;
  for (const auto& p : r.plugins) {
    if (p->id() == "fixture-throws") m = p;
  }
  REQUIRE(m);
  FakeHostTable host;

  auto v = m->validate_settings("{}");
  CHECK(v.status == MB_E_INTERNAL);
  CHECK(v.text == "unexpected non-standard exception inside plugin");

  auto std_create = m->create_instance(&host.table, R"({"throw_in_create": "std"})");
  CHECK_FALSE(std_create);
  CHECK(std_create.error.status == MB_E_INTERNAL);
  CHECK_THAT(std_create.error.text, Contains("constructor failed (std)"));
  auto int_create = m->create_instance(&host.table, R"({"throw_in_create": "int"})");
  CHECK_FALSE(int_create);
  CHECK(int_create.error.status == MB_E_INTERNAL);
  auto bad_json = m->create_instance(&host.table, "{not json");
  CHECK(bad_json.error.status == MB_E_INVALID_ARGUMENT);

  auto created = m->create_instance(&host.table, "{}");
  REQUIRE(created);
  auto& inst = *created.instance;
  auto check = inst.check();
  CHECK(check.status == MB_E_INTERNAL);
  CHECK_THAT(check.text, Contains("check exploded"));
  CHECK(inst.invoke("int", "{}").status == MB_E_INTERNAL);
  auto auth = inst.invoke("auth", "{}");
  CHECK(auth.status == MB_E_AUTH);
  CHECK(auth.text == "token refused by vendor");
  auto alloc = inst.invoke("alloc", "{}");
  CHECK(alloc.status == MB_E_INTERNAL);
  CHECK(alloc.text == "out of memory inside plugin");
  auto other = inst.invoke("sync", "{}");
  CHECK(other.status == MB_E_INTERNAL);
  CHECK_THAT(other.text, Contains("invoke exploded in sync"));
  CHECK(inst.invoke("x", "[broken").status == MB_E_INVALID_ARGUMENT);
}
