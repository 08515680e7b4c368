// `plugins list` and `plugins check` against the real example plugin and real config files.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "run_process.hpp"

using nlohmann::json;

namespace {

const std::string kPluginDir = METERBRIDGE_PLUGIN_DIR;

std::string config_with(const std::string& instances) {
  return R"({"config_version": 1, "plugin_dirs": [")" + kPluginDir + R"("], "plugins": {)" +
         instances + "}}";
}

const std::string kGoodDemo =
    R"("demo": {"enabled": true, "plugin": "demo-source", "settings": {"customers": [{"id": "c1", "name": "Acme Inc", "seats": 5}]}})";

}  // namespace

TEST_CASE("plugins list --format json describes each plugin") {
  auto dir = fresh_dir("list-json");
  write_file(dir / "c.json",
             config_with(kGoodDemo + R"(, "off": {"enabled": false, "plugin": "demo-source"})"));
  auto r = run_meterbridge({"--config", (dir / "c.json").string(), "--data-dir",
                            (dir / "data").string(), "plugins", "list", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  json list = json::parse(r.out);
  REQUIRE(list.is_array());
  json demo;
  for (const auto& p : list) {
    if (p["id"] == "demo-source") demo = p;
  }
  REQUIRE(demo.is_object());
  CHECK(demo["kind"] == "source");
  CHECK(demo["version"] == "1.0.0");
  CHECK(demo["abi"] == "1.1");
  CHECK(demo["enabled"] == true);
  CHECK(demo["instances"] == json({"demo", "off"}));
  CHECK(demo["path"].get<std::string>() == kPluginDir + "/libdemo_source.so");
  // Listing loads plugins but creates nothing: no state database appears.
  CHECK_FALSE(std::filesystem::exists(dir / "data"));
}

TEST_CASE(
    "plugins list shows enabled=false when every instance is disabled, and a table for people") {
  auto dir = fresh_dir("list-table");
  write_file(dir / "c.json", config_with(R"("off": {"enabled": false, "plugin": "demo-source"})"));
  auto json_run =
      run_meterbridge({"--config", (dir / "c.json").string(), "plugins", "list", "--format=json"});
  REQUIRE(json_run.exit_code == 0);
  bool found = false;
  for (const auto& p : json::parse(json_run.out)) {
    if (p["id"] == "demo-source") {
      found = true;
      CHECK(p["enabled"] == false);
    }
  }
  CHECK(found);

  auto table = run_meterbridge({"--config", (dir / "c.json").string(), "plugins", "list"});
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::StartsWith("ID ") && Catch::Contains("demo-source") &&
                            Catch::Contains("source"));
}

TEST_CASE("plugins list reports an empty directory plainly") {
  auto dir = fresh_dir("list-empty");
  std::filesystem::create_directories(dir / "none");
  write_file(dir / "c.json", R"({"config_version": 1, "plugin_dirs": ["none"]})");
  auto r = run_meterbridge(
      {"--config", (dir / "c.json").string(), "plugins", "list", "--format", "json"});
  CHECK(r.exit_code == 0);
  CHECK(json::parse(r.out) == json::array());
}

TEST_CASE("plugins list reports a plugin whose manifest has another version as refused") {
  auto dir = fresh_dir("list-version-mismatch");
  const std::string stale = std::string(METERBRIDGE_FIXTURE_ROOT) + "/version_mismatch";
  write_file(dir / "c.json", R"({"config_version": 1, "plugin_dirs": [")" + kPluginDir + R"(", ")" +
                                 stale + R"("]})");
  for (const char* format : {"json", "table"}) {
    auto r = run_meterbridge(
        {"--config", (dir / "c.json").string(), "plugins", "list", "--format", format});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("demo-source") && !Catch::Contains("fixture-version"));
    CHECK_THAT(r.err, Catch::Contains("plugin refused: plugin library " + stale +
                                      "/libfixture_version_mismatch.so is version '1.1.0'") &&
                          Catch::Contains("says version '1.0.0'"));
  }
}

TEST_CASE("plugins check runs each enabled instance's check and keeps state") {
  auto dir = fresh_dir("check-ok");
  write_file(dir / "c.json",
             config_with(kGoodDemo + R"(, "off": {"enabled": false, "plugin": "demo-source"})"));
  auto r = run_meterbridge({"--config", (dir / "c.json").string(), "--data-dir",
                            (dir / "data").string(), "plugins", "check", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  json results = json::parse(r.out);
  REQUIRE(results.size() == 2);
  CHECK(results[0]["instance"] == "demo");
  CHECK(results[0]["result"] == "ok");
  CHECK(results[0]["details"]["customers"] == 1);
  CHECK(results[1]["instance"] == "off");
  CHECK(results[1]["result"] == "disabled");
  // The plugin's log line carries its instance id.
  CHECK_THAT(r.err, Catch::Contains("[demo]") && Catch::Contains("check: 1 customers configured"));
  CHECK(std::filesystem::exists(dir / "data" / "state.sqlite"));

  auto one = run_meterbridge({"--config", (dir / "c.json").string(), "--data-dir",
                              (dir / "data").string(), "plugins", "check", "--instance", "demo"});
  CHECK(one.exit_code == 0);
  CHECK_THAT(one.out, Catch::Contains("demo") && Catch::Contains(" ok "));
  auto unknown = run_meterbridge(
      {"--config", (dir / "c.json").string(), "plugins", "check", "--instance", "nope"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("no plugin instance named 'nope'"));
}

TEST_CASE("plugins check: settings that break the plugin's schema are a config error (exit 2)") {
  auto dir = fresh_dir("check-schema");
  write_file(
      dir / "c.json",
      config_with(
          R"("bad": {"enabled": true, "plugin": "demo-source", "settings": {"customers": [{"id": "c1", "name": "A", "seats": "many"}]}},)"
          R"("neg": {"enabled": true, "plugin": "demo-source", "settings": {"customers": [{"id": "c9", "name": "B", "seats": -3}]}},)"
          R"("ghost": {"enabled": true, "plugin": "no-such-plugin"})"));
  auto r = run_meterbridge({"--config", (dir / "c.json").string(), "--data-dir",
                            (dir / "data").string(), "plugins", "check", "--format", "json"});
  CHECK(r.exit_code == 2);
  json results = json::parse(r.out);
  REQUIRE(results.size() == 3);
  CHECK(results[0]["instance"] == "bad");
  CHECK(results[0]["result"] == "config-error");
  CHECK_THAT(
      results[0]["message"].get<std::string>(),
      Catch::Contains(
          "/plugins/bad/settings/customers/0/seats: expected number, found string \"many\""));
  CHECK(results[1]["instance"] == "ghost");
  CHECK(results[1]["result"] == "config-error");
  CHECK_THAT(results[1]["message"].get<std::string>(),
             Catch::Contains("/plugins/ghost/plugin: no loaded plugin has id 'no-such-plugin'"));
  // The plugin's own validate_settings hook (ABI 1.1) refuses negative seats.
  CHECK(results[2]["instance"] == "neg");
  CHECK(results[2]["result"] == "config-error");
  CHECK_THAT(results[2]["message"].get<std::string>(),
             Catch::Contains("seats must not be negative (customer c9)"));
}

TEST_CASE("log format json: writes one JSON object per log line, with the instance id") {
  auto dir = fresh_dir("log-json");
  write_file(dir / "c.json", config_with(kGoodDemo));
  auto r = run_meterbridge({"--config", (dir / "c.json").string(), "--data-dir",
                            (dir / "data").string(), "--log-format", "json", "plugins", "check"});
  REQUIRE(r.exit_code == 0);
  bool saw_plugin_line = false;
  std::istringstream lines(r.err);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    json j = json::parse(line);  // throws (and fails the test) on a non-JSON line
    if (j.value("logger", "") == "demo") saw_plugin_line = true;
  }
  CHECK(saw_plugin_line);
}
