// A Sophos test bed: emulator-sophos on loopback with the example seed, a config with the
// sophos-central instance "sophos" (secret from the environment), and the real meterbridge.
#pragma once

#include <fstream>

#include <nlohmann/json.hpp>

#include "../../emulators/emulator_process.hpp"
#include "../cli/run_process.hpp"
#include "../emulator_control.hpp"

struct SophosSetup {
  // http: the config's "http" object (timeouts, attempts); none by default.
  explicit SophosSetup(const std::string& name, const nlohmann::json& http = nullptr)
      : emulator(EMULATOR_SOPHOS_EXE, SOPHOS_SEED_EXAMPLE),
        control(emulator.url()),
        dir(fresh_dir(name)) {
    std::ifstream in(SOPHOS_SEED_EXAMPLE);
    seed = nlohmann::json::parse(in);
    nlohmann::json c = {{"config_version", 1},
                        {"timezone", "Europe/Rome"},
                        {"data_dir", (dir / "data").string()},
                        {"plugin_dirs", {METERBRIDGE_PLUGIN_DIR}},
                        {"plugins",
                         {{"sophos",
                           {{"enabled", true},
                            {"plugin", "sophos-central"},
                            {"settings",
                             {{"client_id", seed["credentials"]["client_id"]},
                              {"client_secret", "${env:MB_TEST_SOPHOS_SECRET}"},
                              {"token_url", emulator.url() + "/id/api/v2/oauth2/token"},
                              {"api_url", emulator.url() + "/api"}}}}}}}};
    if (!http.is_null()) c["http"] = http;
    write_file(dir / "config.json", c.dump(2));
  }
  // Runs meterbridge with this config; the secret given is what the environment holds.
  ProcessResult run(std::vector<std::string> args, const std::string& secret_value) {
    args.insert(args.begin(), {"--config", (dir / "config.json").string()});
    return run_meterbridge(args, {"MB_TEST_SOPHOS_SECRET=" + secret_value});
  }
  ProcessResult run(std::vector<std::string> args) { return run(std::move(args), secret()); }
  std::string secret() const { return seed["credentials"]["client_secret"]; }

  EmulatorProcess emulator;
  EmulatorControl control;
  std::filesystem::path dir;
  nlohmann::json seed;
};
