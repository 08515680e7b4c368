// An Autotask test bed: emulator-autotask on loopback with a seed built from its example, a
// config with a file-drop source (CSV usage) and the autotask sink "at", and the real meterbridge.
//
// The seed: Contoso (101) with Recurring Service contract 201 (a manual backup-appliance service
// 402 on it), Fabrikam (102) with contract 202, Northwind (103) with only a T&M contract; the
// services 301 (Datto RMM devices) and 302 (Compliance Manager users) on no contract yet. Tests
// add what they need (a second contract, a foreign contract service) before the emulator starts.
#pragma once

#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "../../emulators/emulator_process.hpp"
#include "../cli/run_process.hpp"
#include "../emulator_control.hpp"

struct AtSeed {
  // The emulator's example seed as it is (three contracts of which two are Fabrikam's, and
  // contract services others added).
  static nlohmann::json example() {
    std::ifstream in(AUTOTASK_SEED_EXAMPLE);
    return nlohmann::json::parse(in);
  }
  static nlohmann::json base() {
    nlohmann::json seed = example();
    seed["adjustments"] = nlohmann::json::array();
    nlohmann::json contracts = nlohmann::json::array(), services = nlohmann::json::array();
    for (const auto& c : seed["contracts"]) {
      if (c["id"] != 203) contracts.push_back(c);
    }
    for (const auto& cs : seed["contractServices"]) {
      if (cs["id"] == 402) services.push_back(cs);
    }
    seed["contracts"] = contracts;
    seed["contractServices"] = services;
    return seed;
  }
};

struct AtBed {
  // seed: the emulator's seed (AtSeed::base() by default); extra: emulator options.
  explicit AtBed(const std::string& name, nlohmann::json seed = AtSeed::base(),
                 std::vector<std::string> extra = {}, const std::string& ca_file = "")
      : dir(fresh_dir(name)),
        seed_(write_seed(dir, seed)),
        emulator(EMULATOR_AUTOTASK_EXE, seed_.string(), extra),
        control(emulator.url(), ca_file),
        seed(std::move(seed)) {
    std::filesystem::create_directories(dir / "drop");
    if (!ca_file.empty()) http["ca_file"] = ca_file;
    write_config();
  }

  void write_config() {
    const nlohmann::json& user = seed["apiUsers"][0];
    nlohmann::json settings = {{"username", user["userName"]},
                               {"secret", "${env:MB_TEST_AT_SECRET}"},
                               {"integration_code", "${env:MB_TEST_AT_CODE}"},
                               {"global_url", emulator.url() + "/atservicesrest/"}};
    for (const auto& [k, v] : extra_settings.items()) settings[k] = v;
    nlohmann::json c = {
        {"config_version", 1},
        {"timezone", "Europe/Rome"},
        {"data_dir", (dir / "data").string()},
        {"plugin_dirs", {METERBRIDGE_PLUGIN_DIR}},
        {"plugins",
         {{"drop",
           {{"enabled", true},
            {"plugin", "file-drop"},
            {"settings", {{"folder", (dir / "drop").string()}}}}},
          {"at", {{"enabled", true}, {"plugin", "autotask"}, {"settings", settings}}}}}};
    if (!http.empty()) c["http"] = http;
    if (!sync.empty()) c["sync"] = sync;
    write_file(dir / "config.json", c.dump(2));
  }
  void usage(const std::string& rows) {
    write_file(dir / "drop" / "usage.csv",
               "date,customer_id,customer_name,sku,product_name,metric,quantity\n" + rows);
  }
  ProcessResult run(std::vector<std::string> args, const std::string& secret = "") {
    args.insert(args.begin(), {"--config", (dir / "config.json").string()});
    return run_meterbridge(args, {"MB_TEST_AT_SECRET=" + (secret.empty() ? this->secret() : secret),
                                  "MB_TEST_AT_CODE=" + integration_code()});
  }
  nlohmann::json run_json(std::vector<std::string> args) {
    args.push_back("--format");
    args.push_back("json");
    auto r = run(args);
    INFO(r.err);
    REQUIRE(r.exit_code <= 1);
    return nlohmann::json::parse(r.out);
  }
  nlohmann::json sync_json() { return run_json({"sync", "--period", "2026-11", "--no-collect"}); }
  // November usage collected and mapped: Contoso (t-1 -> 101) 30 RMM devices and 12 Compliance
  // users, Fabrikam (t-2 -> 102) 7 RMM devices. The request log is cleared afterwards.
  // verify false: `map customer --no-verify` (no Autotask call).
  static constexpr const char* kDefaultRows =
      "2026-11-30,t-1,Contoso,RMM,Datto RMM,devices,30\n"
      "2026-11-30,t-1,Contoso,CMU,Compliance,users,12\n"
      "2026-11-30,t-2,Fabrikam,RMM,Datto RMM,devices,7\n";
  void map_customers(const std::string& rows = kDefaultRows, bool verify = true) {
    usage(rows);
    REQUIRE(run({"collect", "--date", "2026-11-30"}).exit_code == 0);
    REQUIRE(run({"discover"}).exit_code == 0);
    for (auto [customer, company] : {std::pair{"t-1", "101"}, {"t-2", "102"}}) {
      std::vector<std::string> args = {"map", "customer", "drop", customer, company};
      if (!verify) args.push_back("--no-verify");
      REQUIRE(run(args).exit_code == 0);
    }
    REQUIRE(run({"map", "product", "drop", "RMM", "301"}).exit_code == 0);
    REQUIRE(run({"map", "product", "drop", "CMU", "302"}).exit_code == 0);
    control.clear_log();
  }
  // Changes the usage of the last day and collects it again.
  void recollect(const std::string& rows) {
    usage(rows);
    REQUIRE(run({"collect", "--date", "2026-11-30"}).exit_code == 0);
    control.clear_log();
  }
  std::string secret() const { return seed["apiUsers"][0]["secret"]; }
  std::string integration_code() const { return seed["apiUsers"][0]["apiIntegrationCode"]; }

  // The units of service on contract in the month (November 2026 by default); null when it has
  // no contract service.
  nlohmann::json units(int contract, int service, const std::string& month = "2026-11") {
    const nlohmann::json state = control.state();  // kept: the loop reads into it
    for (const auto& u : state["contract_service_units"]) {
      if (u["contractID"] == contract && u["serviceID"] == service &&
          u["startDate"].get<std::string>().rfind(month, 0) == 0) {
        return u["units"];
      }
    }
    return nullptr;
  }
  // The adjustments posted (ContractServiceAdjustments POSTs in the request log).
  int adjustment_posts() {
    int n = 0;
    for (const auto& r : control.requests()) {
      n += r["method"] == "POST" &&
           r["path"].get<std::string>().find("ServiceAdjustments") != std::string::npos;
    }
    return n;
  }
  nlohmann::json adjustments() { return control.state()["adjustments"]; }
  // The logged calls of the Autotask API (the zone lookup included), not of the control API.
  nlohmann::json api_requests() const {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : control.requests()) {
      std::string path = r["path"];
      for (auto& ch : path) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (path.rfind("/atservicesrest/", 0) == 0) out.push_back(r);
    }
    return out;
  }
  const nlohmann::json& user() const { return seed["apiUsers"][0]; }

  std::filesystem::path dir;

 private:
  static std::filesystem::path write_seed(const std::filesystem::path& dir,
                                          const nlohmann::json& seed) {
    write_file(dir / "seed.json", seed.dump(2));
    return dir / "seed.json";
  }
  std::filesystem::path seed_;

 public:
  EmulatorProcess emulator;
  EmulatorControl control;
  nlohmann::json seed;
  nlohmann::json http = nlohmann::json::object();
  nlohmann::json sync = nlohmann::json::object();
  nlohmann::json extra_settings = nlohmann::json::object();
};

// The lines of every sink of a sync report, by company/line.
inline std::map<std::string, nlohmann::json> at_lines(const nlohmann::json& report) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& s : report["sinks"]) {
    for (const auto& l : s["lines"]) {
      out[l["company"].get<std::string>() + "/" + l["line"].get<std::string>()] = l;
    }
  }
  return out;
}
