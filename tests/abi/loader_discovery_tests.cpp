// Discovery across directories: duplicates, missing directories, order.
#include <catch2/catch.hpp>

#include "loader_test_support.hpp"

using Catch::Contains;

TEST_CASE("a duplicate id is refused, naming both manifests, the first one found is kept") {
  meterbridge::host::LoaderOptions options;
  options.pin_libraries = false;
  auto r =
      meterbridge::host::load_plugins({fixture_dir("ok"), fixture_dir("duplicate_id")}, options);
  REQUIRE(r.plugins.size() == 1);
  CHECK(r.plugins[0]->version() == "1.0.0");
  CHECK(r.plugins[0]->path().parent_path() == fixture_dir("ok"));
  REQUIRE(r.refusals.size() == 1);
  CHECK(r.refusals[0].plugin_id == "fixture-ok");
  CHECK_THAT(r.refusals[0].message(),
             Contains("duplicate id") &&
                 Contains((fixture_dir("ok") / "fixture-ok.plugin.json").string()) &&
                 Contains((fixture_dir("duplicate_id") / "fixture-ok.plugin.json").string()));
}

TEST_CASE("a missing plugin directory is a refusal, not a crash") {
  auto r = meterbridge::host::load_plugins({fixture_dir("no-such-dir"), fixture_dir("ok")});
  REQUIRE(r.refusals.size() == 1);
  CHECK_THAT(r.refusals[0].message(), Contains("no-such-dir") && Contains("does not exist"));
  CHECK(has_plugin(r, "fixture-ok"));
}

TEST_CASE("every broken fixture together still leaves the good plugin loaded") {
  meterbridge::host::LoaderOptions options;
  options.pin_libraries = false;
  std::vector<std::filesystem::path> dirs = {fixture_dir("ok")};
  for (const char* bad : {"abi_major_mismatch", "min_host_minor_too_new", "missing_entry_symbol",
                          "not_a_shared_library", "missing_dependent_library", "id_mismatch",
                          "version_mismatch", "malformed_manifest", "duplicate_id"}) {
    dirs.push_back(fixture_dir(bad));
  }
  auto r = meterbridge::host::load_plugins(dirs, options);
  CHECK(r.plugins.size() == 1);
  CHECK(has_plugin(r, "fixture-ok"));
  CHECK(r.refusals.size() == 11);
}
