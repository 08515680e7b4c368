// Command-line usage: version, help on every command, exit codes for usage errors.
#include <catch2/catch.hpp>

#include <meterbridge/abi.h>

#include "run_process.hpp"

TEST_CASE("version: names the host version and the plugin ABI") {
  auto r = run_meterbridge({"--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "meterbridge " METERBRIDGE_TEST_VERSION " (plugin ABI " +
                     std::to_string(MB_ABI_MAJOR) + "." + std::to_string(MB_ABI_MINOR) + ")\n");
}

TEST_CASE("help: works on every command and exits 0") {
  auto main_help = run_meterbridge({"--help"});
  CHECK(main_help.exit_code == 0);
  CHECK_THAT(main_help.out, Catch::Contains("plugins list") && Catch::Contains("--log-format"));

  auto plugins_help = run_meterbridge({"plugins", "--help"});
  CHECK(plugins_help.exit_code == 0);
  CHECK_THAT(plugins_help.out, Catch::Contains("meterbridge plugins list|check"));

  auto list_help = run_meterbridge({"plugins", "list", "--help"});
  CHECK(list_help.exit_code == 0);
  CHECK_THAT(list_help.out, Catch::Contains("--format"));

  auto check_help = run_meterbridge({"plugins", "check", "-h"});
  CHECK(check_help.exit_code == 0);
  CHECK_THAT(check_help.out, Catch::Contains("--instance"));
}

TEST_CASE("usage errors exit 2 with a message saying what was wrong") {
  auto none = run_meterbridge({});
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.err, Catch::Contains("Usage: meterbridge"));

  auto unknown = run_meterbridge({"frobnicate"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown command 'frobnicate'"));

  auto sub = run_meterbridge({"plugins", "explode"});
  CHECK(sub.exit_code == 2);
  CHECK_THAT(sub.err, Catch::Contains("unknown subcommand 'explode'"));

  auto format = run_meterbridge({"plugins", "list", "--format", "xml"});
  CHECK(format.exit_code == 2);
  CHECK_THAT(format.err, Catch::Contains("--format: expected table or json, found 'xml'"));

  auto option = run_meterbridge({"plugins", "list", "--colour"});
  CHECK(option.exit_code == 2);
  CHECK_THAT(option.err, Catch::Contains("colour"));

  auto level = run_meterbridge({"--log-level", "loud", "plugins", "list"});
  CHECK(level.exit_code == 2);
  CHECK_THAT(level.err,
             Catch::Contains(
                 "--log-level: expected trace, debug, info, warn, error or off, found 'loud'"));

  auto log_format = run_meterbridge({"--log-format", "xml", "plugins", "list"});
  CHECK(log_format.exit_code == 2);

  auto missing_value = run_meterbridge({"plugins", "list", "--config"});
  CHECK(missing_value.exit_code == 2);
}

TEST_CASE("a config error exits 2 and names the file and JSON path") {
  auto dir = fresh_dir("config-error");
  write_file(
      dir / "c.json",
      R"({"config_version": 1, "plugins": {"x": {"enabled": "yes", "plugin": "demo-source"}}})");
  auto r = run_meterbridge({"--config", (dir / "c.json").string(), "plugins", "check"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err,
             Catch::Contains((dir / "c.json").string() +
                             ": /plugins/x/enabled: expected true or false, found string \"yes\""));

  auto missing = run_meterbridge({"--config", (dir / "absent.json").string(), "plugins", "list"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("absent.json: (top level): no such file"));

  auto no_config = run_meterbridge({"plugins", "check"}, {"METERBRIDGE_CONFIG="});
  CHECK(no_config.exit_code == 2);
  CHECK_THAT(no_config.err, Catch::Contains("pass --config PATH or set METERBRIDGE_CONFIG"));
}
