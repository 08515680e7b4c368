// A Datto test bed: emulator-datto on loopback with the example seed, a config with the
// datto-backup instance "datto" (secret key from the environment), and the real meterbridge.
#pragma once

#include <fstream>

#include <nlohmann/json.hpp>

#include "../../emulators/emulator_process.hpp"
#include "../cli/run_process.hpp"
#include "../emulator_control.hpp"

struct DattoSetup {
  // http: the config's "http" object (timeouts, attempts); none by default.
  explicit DattoSetup(const std::string& name, const nlohmann::json& http = nullptr)
      : emulator(EMULATOR_DATTO_EXE, DATTO_SEED_EXAMPLE),
        control(emulator.url()),
        dir(fresh_dir(name)) {
    std::ifstream in(DATTO_SEED_EXAMPLE);
    seed = nlohmann::json::parse(in);
    nlohmann::json c = {{"config_version", 1},
                        {"timezone", "Europe/Rome"},
                        {"data_dir", (dir / "data").string()},
                        {"plugin_dirs", {METERBRIDGE_PLUGIN_DIR}},
                        {"plugins",
                         {{"datto",
                           {{"enabled", true},
                            {"plugin", "datto-backup"},
                            {"settings",
                             {{"public_key", seed["credentials"]["public_key"]},
                              {"secret_key", "${env:MB_TEST_DATTO_SECRET}"},
                              {"api_url", emulator.url() + "/v1"},
                              {"page_size", 2}}}}}}}};
    if (!http.is_null()) c["http"] = http;
    write_file(dir / "config.json", c.dump(2));
  }
  // Runs meterbridge with this config; the secret key given is what the environment holds.
  ProcessResult run(std::vector<std::string> args, const std::string& secret_value) {
    args.insert(args.begin(), {"--config", (dir / "config.json").string()});
    return run_meterbridge(args, {"MB_TEST_DATTO_SECRET=" + secret_value});
  }
  ProcessResult run(std::vector<std::string> args) { return run(std::move(args), secret()); }
  std::string secret() const { return seed["credentials"]["secret_key"]; }

  EmulatorProcess emulator;
  EmulatorControl control;
  std::filesystem::path dir;
  nlohmann::json seed;
};
