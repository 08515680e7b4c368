// What the vendor-source test beds share: a fresh directory, the emulator's seed written there
// and the emulator started from it on loopback, its control endpoints, a config with one source
// instance, and the real meterbridge run with that config and the secrets in its environment.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../emulators/emulator_process.hpp"
#include "cli/run_process.hpp"
#include "emulator_control.hpp"

inline nlohmann::json read_seed(const std::string& file, const nlohmann::json& patch = nullptr) {
  std::ifstream in(file);
  nlohmann::json seed = nlohmann::json::parse(in);
  if (patch.is_object()) seed.merge_patch(patch);
  return seed;
}

// Writes the seed before the emulator starts from it (members are built in this order).
struct SeedFile {
  SeedFile(const std::string& name, nlohmann::json seed_json)
      : dir(fresh_dir(name)), seed(std::move(seed_json)) {
    write_file(dir / "seed.json", seed.dump());
  }
  std::filesystem::path dir;
  nlohmann::json seed;
};

struct SourceBed : SeedFile {
  SourceBed(const std::string& name, const std::string& emulator_exe, nlohmann::json seed_json)
      : SeedFile(name, std::move(seed_json)),
        emulator(emulator_exe, (dir / "seed.json").string()),
        control(emulator.url()) {}

  // config.json with the one enabled instance `instance` of `plugin`; http: the config's "http"
  // object (timeouts, attempts), none when null.
  void write_config(const std::string& instance, const std::string& plugin,
                    const nlohmann::json& settings, const nlohmann::json& http,
                    const std::string& timezone = "UTC") {
    nlohmann::json c = {
        {"config_version", 1},
        {"timezone", timezone},
        {"data_dir", (dir / "data").string()},
        {"plugin_dirs", {METERBRIDGE_PLUGIN_DIR}},
        {"plugins", {{instance, {{"enabled", true}, {"plugin", plugin}, {"settings", settings}}}}}};
    if (!http.is_null()) c["http"] = http;
    write_file(dir / "config.json", c.dump(2));
  }
  // Runs meterbridge with this config; env holds the secrets ("NAME=value").
  ProcessResult run_with(std::vector<std::string> args, const std::vector<std::string>& env) {
    args.insert(args.begin(), {"--config", (dir / "config.json").string()});
    return run_meterbridge(args, env);
  }

  EmulatorProcess emulator;
  EmulatorControl control;
};
