// A Datto RMM test bed: emulator-datto-rmm on loopback with the example seed (patched as the
// test asks), a config with the datto-rmm instance "rmm" (key and secret from the
// environment), and the real meterbridge.
#pragma once

#include "../source_bed.hpp"

struct RmmSetup : SourceBed {
  // seed_patch: merged into the example seed; settings: merged into the instance's settings;
  // http: the config's "http" object.
  explicit RmmSetup(const std::string& name, const nlohmann::json& seed_patch = nullptr,
                    const nlohmann::json& settings = nullptr, const nlohmann::json& http = nullptr)
      : SourceBed(name, EMULATOR_DATTO_RMM_EXE, read_seed(DATTO_RMM_SEED_EXAMPLE, seed_patch)) {
    nlohmann::json s = {{"api_url", emulator.url()},
                        {"api_key", "${env:MB_TEST_RMM_KEY}"},
                        {"api_secret", "${env:MB_TEST_RMM_SECRET}"}};
    if (!settings.is_null()) s.merge_patch(settings);
    write_config("rmm", "datto-rmm", s, http);
  }
  ProcessResult run(std::vector<std::string> args, const std::string& secret_value) {
    return run_with(std::move(args),
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
};
