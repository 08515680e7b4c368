// A Datto test bed: emulator-datto on loopback with the example seed, a config with the
// datto-backup instance "datto" (secret key from the environment), and the real meterbridge.
#pragma once

#include "../source_bed.hpp"

struct DattoSetup : SourceBed {
  // http: the config's "http" object (timeouts, attempts); none by default.
  explicit DattoSetup(const std::string& name, const nlohmann::json& http = nullptr)
      : SourceBed(name, EMULATOR_DATTO_EXE, read_seed(DATTO_SEED_EXAMPLE)) {
    write_config("datto", "datto-backup",
                 {{"public_key", seed["credentials"]["public_key"]},
                  {"secret_key", "${env:MB_TEST_DATTO_SECRET}"},
                  {"api_url", emulator.url() + "/v1"},
                  {"page_size", 2}},
                 http, "Europe/Rome");
  }
  // Runs meterbridge with this config; the secret key given is what the environment holds.
  ProcessResult run(std::vector<std::string> args, const std::string& secret_value) {
    return run_with(std::move(args), {"MB_TEST_DATTO_SECRET=" + secret_value});
  }
  ProcessResult run(std::vector<std::string> args) { return run(std::move(args), secret()); }
  std::string secret() const { return seed["credentials"]["secret_key"]; }
};
