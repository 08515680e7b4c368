// An Autotask test bed: emulator-autotask on loopback with the example seed, a config with a
// file-drop source (CSV usage) and the autotask sink "at", and the real meterbridge.
#pragma once

#include <catch2/catch.hpp>

#include <cctype>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../../emulators/emulator_process.hpp"
#include "../cli/run_process.hpp"
#include "../emulator_control.hpp"

struct AtSetup {
  // settings: merged into the sink's settings (contract_category, zone_url, ...). By default the
  // sink finds its zone through zoneInformation on the emulator, as it would on the global host.
  explicit AtSetup(const std::string& name, nlohmann::json settings = nlohmann::json::object())
      : emulator(EMULATOR_AUTOTASK_EXE, AUTOTASK_SEED_EXAMPLE),
        control(emulator.url()),
        dir(fresh_dir(name)) {
    std::ifstream in(AUTOTASK_SEED_EXAMPLE);
    seed = nlohmann::json::parse(in);
    std::filesystem::create_directories(dir / "drop");
    write_config(std::move(settings));
  }
  void write_config(nlohmann::json settings) {
    nlohmann::json at = {{"username", user()["userName"]},
                         {"secret", "${env:MB_TEST_AT_SECRET}"},
                         {"integration_code", "${env:MB_TEST_AT_CODE}"},
                         {"global_url", emulator.url() + "/atservicesrest/"}};
    at.merge_patch(settings);
    nlohmann::json c = {{"config_version", 1},
                        {"timezone", "Europe/Rome"},
                        {"data_dir", (dir / "data").string()},
                        {"plugin_dirs", {METERBRIDGE_PLUGIN_DIR}},
                        {"plugins",
                         {{"drop",
                           {{"enabled", true},
                            {"plugin", "file-drop"},
                            {"settings", {{"folder", (dir / "drop").string()}}}}},
                          {"at", {{"enabled", true}, {"plugin", "autotask"}, {"settings", at}}}}}};
    write_file(dir / "config.json", c.dump(2));
  }
  const nlohmann::json& user() const { return seed["apiUsers"][0]; }
  std::string secret() const { return user()["secret"]; }
  void usage(const std::string& rows) {
    write_file(dir / "drop" / "usage.csv",
               "date,customer_id,customer_name,sku,product_name,metric,quantity\n" + rows);
  }
  ProcessResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", (dir / "config.json").string()});
    return run_meterbridge(args,
                           {"MB_TEST_AT_SECRET=" + secret(),
                            "MB_TEST_AT_CODE=" + user()["apiIntegrationCode"].get<std::string>()});
  }
  nlohmann::json run_json(std::vector<std::string> args, int max_exit = 0) {
    args.push_back("--format");
    args.push_back("json");
    auto r = run(args);
    INFO(r.err);
    REQUIRE(r.exit_code <= max_exit);
    return nlohmann::json::parse(r.out);
  }
  // The Autotask API calls the emulator answered since the log was last cleared (the control
  // endpoints aside).
  nlohmann::json api_requests() const {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : control.requests()) {
      std::string path = r["path"];
      for (auto& ch : path) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (path.rfind("/atservicesrest/", 0) == 0) out.push_back(r);
    }
    return out;
  }
  // The units the contract service of (contract, service) holds in the period starting on
  // period_start ("2026-10-01"); -1 when there is no such contract service, -2 when several.
  long long units(long long contract, long long service, const std::string& period_start) {
    const nlohmann::json state = control.state();
    long long id = -1;
    int found = 0;
    for (const auto& cs : state["contract_services"]) {
      if (cs["contractID"] == contract && cs["serviceID"] == service) {
        id = cs["id"];
        ++found;
      }
    }
    if (found != 1) return found == 0 ? -1 : -2;
    for (const auto& u : state["contract_service_units"]) {
      if (u["contractServiceID"] == id && u["startDate"] == period_start + "T00:00:00")
        return u["units"];
    }
    return -1;
  }

  EmulatorProcess emulator;
  EmulatorControl control;
  std::filesystem::path dir;
  nlohmann::json seed;
};
