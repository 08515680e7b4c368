// A ConnectWise test bed: emulator-connectwise on loopback with the example seed, a config with a
// file-drop source (CSV usage) and the connectwise-manage sink "cw", and the real meterbridge.
#pragma once

#include <catch2/catch.hpp>

#include <fstream>

#include <httplib.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "../../emulators/emulator_process.hpp"
#include "../cli/run_process.hpp"
#include "../emulator_control.hpp"

struct CwSetup {
  // http: the config's "http" object (timeouts, attempts); none by default.
  explicit CwSetup(const std::string& name, nlohmann::json http = nullptr)
      : emulator(EMULATOR_CONNECTWISE_EXE, CONNECTWISE_SEED_EXAMPLE),
        control(emulator.url()),
        dir(fresh_dir(name)),
        http_(std::move(http)) {
    std::ifstream in(CONNECTWISE_SEED_EXAMPLE);
    seed = nlohmann::json::parse(in);
    std::filesystem::create_directories(dir / "drop");
    write_config("${env:MB_TEST_CW_KEY}");
  }
  void write_config(const std::string& private_key) {
    nlohmann::json c = {{"config_version", 1},
                        {"timezone", "Europe/Rome"},
                        {"data_dir", (dir / "data").string()},
                        {"plugin_dirs", {METERBRIDGE_PLUGIN_DIR}},
                        {"plugins",
                         {{"drop",
                           {{"enabled", true},
                            {"plugin", "file-drop"},
                            {"settings", {{"folder", (dir / "drop").string()}}}}},
                          {"cw",
                           {{"enabled", true},
                            {"plugin", "connectwise-manage"},
                            {"settings",
                             {{"site_url", emulator.url()},
                              {"company_id", seed["company_id"]},
                              {"public_key", seed["public_key"]},
                              {"private_key", private_key},
                              {"client_id", seed["client_ids"][0]}}}}}}}};
    if (!cw_extra_.is_null()) c["plugins"]["cw"]["settings"].update(cw_extra_);
    if (!http_.is_null()) c["http"] = http_;
    if (!sync_.is_null()) c["sync"] = sync_;
    write_file(dir / "config.json", c.dump(2));
  }
  // Extra settings of the "cw" sink (summary_delivery, say); rewrites the config.
  void set_cw_settings(nlohmann::json extra) {
    cw_extra_ = std::move(extra);
    write_config("${env:MB_TEST_CW_KEY}");
  }
  // The config's "sync" object (pending_grace_ms, stop_after_failures); rewrites the config.
  void set_sync(nlohmann::json sync) {
    sync_ = std::move(sync);
    write_config("${env:MB_TEST_CW_KEY}");
  }
  void usage(const std::string& rows) {
    write_file(dir / "drop" / "usage.csv",
               "date,customer_id,customer_name,sku,product_name,metric,quantity\n" + rows);
  }
  ProcessResult run(std::vector<std::string> args, const std::string& key = "") {
    args.insert(args.begin(), {"--config", (dir / "config.json").string()});
    return run_meterbridge(args, {"MB_TEST_CW_KEY=" + (key.empty() ? private_key() : key)});
  }
  nlohmann::json run_json(std::vector<std::string> args) {
    args.push_back("--format");
    args.push_back("json");
    auto r = run(args);
    INFO(r.err);
    REQUIRE(r.exit_code <= 1);
    return nlohmann::json::parse(r.out);
  }
  // October usage of three customers, collected and mapped: Acme (company 250, agreement 500)
  // 12 seats, Blue River (251, 502) 7, Delta (253, 505) 5, all to the line EDR-SEAT. The request
  // log is cleared afterwards, so that it holds only what the test does next.
  void map_three_customers() {
    usage(
        "2026-10-31,t-1,Acme Manufacturing,EP,Endpoint,seats,12\n"
        "2026-10-31,t-2,Blue River Dental Group,EP,Endpoint,seats,7\n"
        "2026-10-31,t-4,Delta Dental,EP,Endpoint,seats,5\n");
    REQUIRE(run({"collect", "--date", "2026-10-31"}).exit_code == 0);
    REQUIRE(run({"discover"}).exit_code == 0);
    REQUIRE(run({"map", "customer", "drop", "t-1", "250"}).exit_code == 0);
    REQUIRE(run({"map", "customer", "drop", "t-2", "251"}).exit_code == 0);
    REQUIRE(run({"map", "customer", "drop", "t-4", "253"}).exit_code == 0);
    REQUIRE(run({"map", "product", "drop", "EP", "EDR-SEAT"}).exit_code == 0);
    control.clear_log();
  }
  std::string private_key() const { return seed["private_key"]; }
  // Creates an addition through ConnectWise's own API, as a person or another tool would.
  nlohmann::json plant_addition(int agreement, const std::string& product, double quantity,
                                const std::string& invoice_description) {
    const std::string user = seed["company_id"].get<std::string>() + "+" +
                             seed["public_key"].get<std::string>() + ":" + private_key();
    std::string b64(4 * ((user.size() + 2) / 3) + 1, '\0');
    b64.resize(static_cast<size_t>(EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(b64.data()),
        reinterpret_cast<const unsigned char*>(user.data()), static_cast<int>(user.size()))));
    httplib::Client c(emulator.url());
    httplib::Headers h = {{"Authorization", "Basic " + b64},
                          {"clientId", seed["client_ids"][0].get<std::string>()}};
    nlohmann::json body = {{"product", {{"identifier", product}}},
                           {"quantity", quantity},
                           {"billCustomer", "Billable"},
                           {"effectiveDate", "2026-10-01"},
                           {"invoiceDescription", invoice_description}};
    auto res = c.Post(
        ("/v4_6_release/apis/3.0/finance/agreements/" + std::to_string(agreement) + "/additions")
            .c_str(),
        h, body.dump(), "application/json");
    REQUIRE(res);
    INFO(res->body);
    REQUIRE(res->status == 201);
    return nlohmann::json::parse(res->body);
  }
  nlohmann::json emulator_get(const std::string& path) { return control.get(path); }
  int writes() { return control.writes(); }  // POST, PUT, PATCH and DELETE calls answered
  // The active addition of product on agreement, the manual 9001 aside; null when none.
  nlohmann::json addition_of(const std::string& product, int agreement) {
    const auto all = active_additions(product, agreement);
    return all.empty() ? nlohmann::json(nullptr) : all[0];
  }
  // Every active addition of product on agreement (the manual 9001 aside).
  nlohmann::json active_additions(const std::string& product, int agreement) {
    nlohmann::json out = nlohmann::json::array();
    const nlohmann::json state = control.state();
    for (const auto& a : state["additions"]) {
      if (a["product"]["identifier"] == product && a["agreementId"] == agreement &&
          a.value("agreementStatus", "") == "Active" && a["id"] != 9001) {
        out.push_back(a);
      }
    }
    return out;
  }

  EmulatorProcess emulator;
  EmulatorControl control;
  std::filesystem::path dir;
  nlohmann::json seed;

 private:
  nlohmann::json http_;
  nlohmann::json sync_;
  nlohmann::json cw_extra_;
};

// The lines of every sink of a sync report.
inline nlohmann::json sync_lines(const nlohmann::json& report) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& s : report["sinks"]) {
    for (const auto& l : s["lines"]) all.push_back(l);
  }
  return all;
}
