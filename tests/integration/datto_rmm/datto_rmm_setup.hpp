// A Datto RMM test bed: emulator-datto-rmm on loopback with the example seed (patched as the
// test asks), a config with the datto-rmm instance "rmm" (key and secret from the
// environment), and the real meterbridge.
#pragma once

#include <fstream>

#include <nlohmann/json.hpp>

#include "../../emulators/emulator_process.hpp"
#include "../cli/run_process.hpp"
#include "../emulator_control.hpp"

inline nlohmann::json rmm_seed(const nlohmann::json& patch) {
  std::ifstream in(DATTO_RMM_SEED_EXAMPLE);
  nlohmann::json seed = nlohmann::json::parse(in);
  if (patch.is_object()) seed.merge_patch(patch);
  return seed;
}

// Writes the seed first, so that the emulator can start from it.
struct RmmSeedFile {
  RmmSeedFile(const std::string& name, const nlohmann::json& patch)
      : dir(fresh_dir(name)), seed(rmm_seed(patch)) {
    write_file(dir / "seed.json", seed.dump());
  }
  std::filesystem::path dir;
  nlohmann::json seed;
};

struct RmmSetup : RmmSeedFile {
  // seed_patch: merged into the example seed; settings: merged into the instance's settings;
  // http: the config's "http" object.
  explicit RmmSetup(const std::string& name, const nlohmann::json& seed_patch = nullptr,
                    const nlohmann::json& settings = nullptr, const nlohmann::json& http = nullptr)
      : RmmSeedFile(name, seed_patch),
        emulator(EMULATOR_DATTO_RMM_EXE, (dir / "seed.json").string()),
        control(emulator.url()) {
    nlohmann::json s = {{"api_url", emulator.url()},
                        {"api_key", "${env:MB_TEST_RMM_KEY}"},
                        {"api_secret", "${env:MB_TEST_RMM_SECRET}"}};
    if (!settings.is_null()) s.merge_patch(settings);
    nlohmann::json c = {
        {"config_version", 1},
        {"timezone", "UTC"},
        {"data_dir", (dir / "data").string()},
        {"plugin_dirs", {METERBRIDGE_PLUGIN_DIR}},
        {"plugins", {{"rmm", {{"enabled", true}, {"plugin", "datto-rmm"}, {"settings", s}}}}}};
    if (!http.is_null()) c["http"] = http;
    write_file(dir / "config.json", c.dump(2));
  }
  ProcessResult run(std::vector<std::string> args, const std::string& secret_value) {
    args.insert(args.begin(), {"--config", (dir / "config.json").string()});
    return run_meterbridge(args,
                           {"MB_TEST_RMM_KEY=" + seed["api_users"][0]["api_key"].get<std::string>(),
                            "MB_TEST_RMM_SECRET=" + secret_value});
  }
  ProcessResult run(std::vector<std::string> args) { return run(std::move(args), secret()); }
  std::string secret() const { return seed["api_users"][0]["api_secret"]; }
  // How many logged requests to path_prefix were answered with status.
  int answered(const std::string& path_prefix, int status) const {
    int n = 0;
    const nlohmann::json calls = control.requests_to(path_prefix);
    for (const auto& c : calls) n += c["status"] == status ? 1 : 0;
    return n;
  }

  EmulatorProcess emulator;
  EmulatorControl control;
};
