// The operator's config file: what it accepts, and that every refusal names file, JSON path,
// what was expected and what was found.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "config/config.hpp"

using meterbridge::host::Config;
using meterbridge::host::ConfigError;
using meterbridge::host::load_config;
using meterbridge::host::parse_config;
using nlohmann::json;

namespace {

std::string refusal(const json& doc) {
  try {
    parse_config(doc, "/etc/meterbridge/config.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

json minimal() {
  return json::parse(R"({"config_version": 1})");
}

}  // namespace

TEST_CASE("a full config is read with paths relative to the config file") {
  json doc = json::parse(R"({
    "config_version": 1,
    "plugin_dirs": ["plugins", "/opt/mb/plugins"],
    "data_dir": "../var",
    "timezone": "America/New_York",
    "log": {"level": "debug", "format": "json"},
    "http": {"timeout_ms": 5000, "max_attempts": 2, "ca_file": "ca.pem", "allow_insecure": true},
    "plugins": {
      "sophos-eu": {"enabled": true, "plugin": "sophos-central", "settings": {"region": "eu"}},
      "acme": {"enabled": false, "plugin": "demo-source"}
    }
  })");
  Config c = parse_config(doc, "/etc/mb/config.json");
  REQUIRE(c.plugin_dirs.size() == 2);
  CHECK(c.plugin_dirs[0] == "/etc/mb/plugins");
  CHECK(c.plugin_dirs[1] == "/opt/mb/plugins");
  CHECK(c.data_dir == "/etc/var");
  CHECK(c.timezone == "America/New_York");
  CHECK(c.log_level == "debug");
  CHECK(c.log_format == "json");
  CHECK(c.http.timeout_ms == 5000);
  CHECK(c.http.max_attempts == 2);
  CHECK(c.http.ca_file == "/etc/mb/ca.pem");
  CHECK(c.http.allow_insecure);
  REQUIRE(c.plugins.size() == 2);
  CHECK(c.plugins[0].name == "acme");  // sorted by name
  CHECK_FALSE(c.plugins[0].enabled);
  CHECK(c.plugins[0].settings == json::object());
  CHECK(c.plugins[1].name == "sophos-eu");
  CHECK(c.plugins[1].plugin == "sophos-central");
  CHECK(c.plugins[1].settings["region"] == "eu");
  CHECK(c.find_instance("sophos-eu") == &c.plugins[1]);
  CHECK(c.find_instance("nope") == nullptr);
}

TEST_CASE("defaults apply when optional keys are absent") {
  Config c = parse_config(minimal(), "/x/c.json");
  CHECK(c.timezone == "UTC");
  CHECK(c.plugin_dirs.empty());
  CHECK(c.data_dir.empty());
  CHECK(c.plugins.empty());
  CHECK(c.http.max_attempts == 4);
  CHECK_FALSE(c.http.allow_insecure);  // plain http only to loopback unless the operator says so
}

TEST_CASE("wrong types name the JSON path, the expectation and what was found") {
  json doc = minimal();
  doc["plugins"] = {{"demo", {{"enabled", "yes"}, {"plugin", "demo-source"}}}};
  CHECK(refusal(doc) ==
        "/etc/meterbridge/config.json: /plugins/demo/enabled: expected true or false, found string "
        "\"yes\"");

  doc = minimal();
  doc["http"] = {{"max_attempts", 0}};
  CHECK(refusal(doc) ==
        "/etc/meterbridge/config.json: /http/max_attempts: expected an integer from 1 to 20, found "
        "0");

  doc = minimal();
  doc["http"] = {{"allow_insecure", "yes"}};
  CHECK(refusal(doc) ==
        "/etc/meterbridge/config.json: /http/allow_insecure: expected true or false, found string "
        "\"yes\"");

  doc = minimal();
  doc["http"] = {{"allow_insecure", 1}};
  CHECK_THAT(refusal(doc), Catch::Contains("/http/allow_insecure: expected true or false, found"));

  doc = minimal();
  doc["plugin_dirs"] = {"ok", 3};
  CHECK_THAT(refusal(doc),
             Catch::Contains("/plugin_dirs/1: expected a directory path string, found number 3"));
}

TEST_CASE("missing and unknown keys are refused, typos included") {
  json doc = minimal();
  doc["plugins"] = {{"demo", {{"enabeld", true}, {"enabled", true}, {"plugin", "demo-source"}}}};
  CHECK_THAT(refusal(doc), Catch::Contains("/plugins/demo/enabeld: unknown key 'enabeld'"));

  doc = minimal();
  doc["plugins"] = {{"demo", {{"plugin", "demo-source"}}}};
  CHECK_THAT(refusal(doc), Catch::Contains("/plugins/demo/enabled: missing"));

  doc = minimal();
  doc["plugins"] = {{"demo", {{"enabled", true}}}};
  CHECK_THAT(refusal(doc), Catch::Contains("/plugins/demo/plugin: missing"));

  CHECK_THAT(refusal(json::object()), Catch::Contains("/config_version: missing"));
  doc = minimal();
  doc["config_version"] = 2;
  CHECK_THAT(refusal(doc), Catch::Contains("/config_version: expected 1, found 2"));
  doc = minimal();
  doc["colour"] = "blue";
  CHECK_THAT(refusal(doc), Catch::Contains("/colour: unknown key 'colour'"));
}

TEST_CASE("instance names, time zones and log settings are checked") {
  json doc = minimal();
  doc["plugins"] = {{"Bad Name", {{"enabled", true}, {"plugin", "x"}}}};
  CHECK_THAT(refusal(doc), Catch::Contains("/plugins/Bad Name: instance name 'Bad Name' must be"));

  doc = minimal();
  doc["timezone"] = "Europe/Atlantis";
  CHECK_THAT(refusal(doc), Catch::Contains("/timezone: expected an IANA time zone name"));
  CHECK_THAT(refusal(doc), Catch::Contains("Europe/Atlantis"));

  doc = minimal();
  doc["log"] = {{"level", "loud"}};
  CHECK_THAT(refusal(doc),
             Catch::Contains("/log/level: expected trace, debug, info, warn, error or off"));
  doc["log"] = {{"format", "xml"}};
  CHECK_THAT(refusal(doc), Catch::Contains("/log/format: expected text or json, found \"xml\""));
}

TEST_CASE("files: missing file and invalid JSON give the file and the line") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "mb-config-tests";
  std::filesystem::create_directories(dir);
  const auto missing = dir / "absent.json";
  std::filesystem::remove(missing);
  try {
    load_config(missing);
    FAIL("a missing file was accepted");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == missing.string() + ": (top level): no such file");
  }

  const auto broken = dir / "broken.json";
  std::ofstream(broken) << "{\n  \"config_version\": 1,\n  \"plugins\": {,}\n}\n";
  try {
    load_config(broken);
    FAIL("invalid JSON was accepted");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(),
               Catch::StartsWith(broken.string() + ": (top level): not valid JSON at line 3"));
  }

  // A number too large for a double is nlohmann's out_of_range, not a parse_error: still a
  // ConfigError with its place (found by fuzz_config).
  const auto huge = dir / "huge.json";
  std::ofstream(huge) << "{\n  \"config_version\": 1,\n  \"http\": {\"timeout_ms\": 1e400}\n}\n";
  try {
    load_config(huge);
    FAIL("a number out of range was accepted");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::StartsWith(huge.string() +
                                           ": (top level): not valid JSON at line 3, column 30"));
    CHECK_THAT(e.what(), Catch::Contains("1e400"));
  }

  // nlohmann quotes the last bytes read, here the first byte of a two-byte character: the
  // message is still UTF-8 (found by fuzz_config).
  const auto cut = dir / "cut.json";
  std::ofstream(cut) << "\xC5\x89 {}";
  try {
    load_config(cut);
    FAIL("invalid JSON was accepted");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("not valid JSON at line 1"));
    CHECK_NOTHROW(json(std::string(e.what())).dump());
  }

  const auto good = dir / "good.json";
  std::ofstream(good) << R"({"config_version": 1, "data_dir": "state"})";
  Config c = load_config(good);
  CHECK(c.data_dir == dir / "state");
  CHECK(c.file == good);
}

TEST_CASE("the default data directory follows XDG_STATE_HOME, then HOME") {
  const char* old_xdg = std::getenv("XDG_STATE_HOME");
  std::string saved = old_xdg ? old_xdg : "";
  setenv("XDG_STATE_HOME", "/tmp/xdg-state", 1);
  CHECK(meterbridge::host::default_data_dir() == "/tmp/xdg-state/meterbridge");
  unsetenv("XDG_STATE_HOME");
  const char* old_home = std::getenv("HOME");
  std::string saved_home = old_home ? old_home : "";
  setenv("HOME", "/home/op", 1);
  CHECK(meterbridge::host::default_data_dir() == "/home/op/.local/state/meterbridge");
  if (old_home) setenv("HOME", saved_home.c_str(), 1);
  if (old_xdg) setenv("XDG_STATE_HOME", saved.c_str(), 1);
}
