// A Sophos test bed: emulator-sophos on loopback with the example seed, a config with the
// sophos-central instance "sophos" (secret from the environment), and the real meterbridge.
#pragma once

#include "../source_bed.hpp"

struct SophosSetup : SourceBed {
  // http: the config's "http" object (timeouts, attempts); none by default.
  explicit SophosSetup(const std::string& name, const nlohmann::json& http = nullptr)
      : SourceBed(name, EMULATOR_SOPHOS_EXE, read_seed(SOPHOS_SEED_EXAMPLE)) {
    write_config("sophos", "sophos-central",
                 {{"client_id", seed["credentials"]["client_id"]},
                  {"client_secret", "${env:MB_TEST_SOPHOS_SECRET}"},
                  {"token_url", emulator.url() + "/id/api/v2/oauth2/token"},
                  {"api_url", emulator.url() + "/api"}},
                 http, "Europe/Rome");
  }
  // Runs meterbridge with this config; the secret given is what the environment holds.
  ProcessResult run(std::vector<std::string> args, const std::string& secret_value) {
    return run_with(std::move(args), {"MB_TEST_SOPHOS_SECRET=" + secret_value});
  }
  ProcessResult run(std::vector<std::string> args) { return run(std::move(args), secret()); }
  std::string secret() const { return seed["credentials"]["client_secret"]; }
};
