// A Trend Micro test bed: emulator-trendmicro on loopback with the example seed (patched as the
// test asks), a config with the trendmicro-rm instance "trendmicro" (access token and secret key
// from the environment), and the real meterbridge.
#pragma once

#include "../source_bed.hpp"

// n generated customers with one Worry-Free licence each: seats 1 + i % 50 in use.
inline nlohmann::json generated_customers(int n) {
  nlohmann::json list = nlohmann::json::array();
  for (int i = 0; i < n; ++i) {
    const std::string id = "gen-" + std::to_string(10000 + i);
    const std::string ac = "WS-GEN-" + std::to_string(10000 + i);
    list.push_back({{"id", id},
                    {"name", "Generated Customer " + std::to_string(i)},
                    {"subscriptions",
                     {{{"subscription_id", "sub-" + id},
                       {"licenses", {{{"ac_code", ac}, {"product_id", "WFBSS"}, {"units", 50}}}}}}},
                    {"seat_usages", {{{"activationcode", ac}, {"used", 1 + i % 50}}}}});
  }
  return list;
}

struct TrendMicroSetup : SourceBed {
  // seed_patch: merged into the example seed; http: the config's "http" object.
  explicit TrendMicroSetup(const std::string& name, const nlohmann::json& seed_patch = nullptr,
                           const nlohmann::json& http = nullptr)
      : SourceBed(name, EMULATOR_TRENDMICRO_EXE, read_seed(TRENDMICRO_SEED_EXAMPLE, seed_patch)) {
    write_config("trendmicro", "trendmicro-rm",
                 {{"api_url", emulator.url()},
                  {"access_token", "${env:MB_TEST_TM_TOKEN}"},
                  {"secret_key", "${env:MB_TEST_TM_SECRET}"}},
                 http, "Europe/Rome");
  }
  // Lets meterbridge run with METERBRIDGE_TEST_CLOCK (the config must allow it).
  void allow_test_clock() {
    std::ifstream in(dir / "config.json");
    nlohmann::json c = nlohmann::json::parse(in);
    c["testing"] = {{"allow_test_clock", true}};
    write_file(dir / "config.json", c.dump(2));
  }
  // Runs meterbridge with this config; extra: more environment ("METERBRIDGE_TEST_CLOCK=...").
  ProcessResult run(std::vector<std::string> args, const std::string& secret_value,
                    std::vector<std::string> extra = {}) {
    extra.push_back("MB_TEST_TM_TOKEN=" + token());
    extra.push_back("MB_TEST_TM_SECRET=" + secret_value);
    return run_with(std::move(args), extra);
  }
  ProcessResult run(std::vector<std::string> args) { return run(std::move(args), secret()); }
  std::string token() const { return seed["credentials"]["access_token"]; }
  std::string secret() const { return seed["credentials"]["secret_key"]; }
  bool leaks(const ProcessResult& r) const {
    const std::string all = r.out + r.err;
    return all.find(secret()) != std::string::npos || all.find(token()) != std::string::npos;
  }
};
