// The Kaseya-to-Autotask sandbox scenario: Datto RMM, Datto BCDR and SaaS Protection and a
// BullPhish ID export (file-drop `module`) billed into one Autotask contract per customer.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/sandbox_scenarios.hpp"
#include "cli/sandbox_steps.hpp"
#include "cli/text_table.hpp"
#include "engine/calendar.hpp"
#include "sandbox/child_process.hpp"
#include "sandbox/kaseya_demo_data.hpp"

namespace meterbridge::host {
namespace fs = std::filesystem;
using nlohmann::json;
using sandbox::EmulatorChild;
using sandbox::StepResult;
using namespace sandbox_steps;

namespace {

std::string secret_file(const fs::path& dir, const std::string& name) {
  return "${file:" + (dir / "secrets" / name).string() + "}";
}

json kaseya_config(const fs::path& dir, const sandbox::KaseyaDemo& demo, const std::string& at_url,
                   const std::string& rmm_url, const std::string& backup_url) {
  const json& at_user = demo.autotask_seed["apiUsers"][0];
  auto instance = [](const char* plugin, json settings) {
    return json{{"enabled", true}, {"plugin", plugin}, {"settings", std::move(settings)}};
  };
  return {
      {"config_version", 1},
      {"timezone", "UTC"},
      {"data_dir", (dir / "data").string()},
      {"plugins",
       {{"rmm", instance("datto-rmm", {{"api_url", rmm_url},
                                       {"api_key", secret_file(dir, "rmm-api-key")},
                                       {"api_secret", secret_file(dir, "rmm-api-secret")}})},
        {"backup",
         instance("datto-backup", {{"api_url", backup_url + "/v1"},
                                   {"public_key", demo.backup_seed["credentials"]["public_key"]},
                                   {"secret_key", secret_file(dir, "datto-secret-key")}})},
        {"bullphish", instance("file-drop", {{"folder", (dir / "bullphish").string()},
                                             {"module", "bullphish-id"}})},
        {"autotask",
         instance("autotask", {{"username", at_user["userName"]},
                               {"secret", secret_file(dir, "autotask-secret")},
                               {"integration_code", secret_file(dir, "autotask-integration-code")},
                               {"global_url", at_url + "/atservicesrest/"}})}}}};
}

void write_demo(const fs::path& dir, const sandbox::KaseyaDemo& demo) {
  fs::create_directories(dir / "secrets");
  fs::create_directories(dir / "logs");
  fs::create_directories(dir / "bullphish");
  write_private_file(dir / "autotask-seed.json", demo.autotask_seed.dump(2));
  write_private_file(dir / "datto-rmm-seed.json", demo.rmm_seed.dump(2));
  write_private_file(dir / "datto-seed.json", demo.backup_seed.dump(2));
  write_private_file(dir / "bullphish" / "bullphish-export.csv", demo.bullphish_csv);
  const json& at_user = demo.autotask_seed["apiUsers"][0];
  write_private_file(dir / "secrets" / "autotask-secret", at_user["secret"]);
  write_private_file(dir / "secrets" / "autotask-integration-code", at_user["apiIntegrationCode"]);
  const json& rmm_user = demo.rmm_seed["api_users"][0];
  write_private_file(dir / "secrets" / "rmm-api-key", rmm_user["api_key"]);
  write_private_file(dir / "secrets" / "rmm-api-secret", rmm_user["api_secret"]);
  write_private_file(dir / "secrets" / "datto-secret-key",
                     demo.backup_seed["credentials"]["secret_key"]);
}

// What Autotask holds per customer after the syncs: one contract with every module's services
// (each service's units on the period's row, from the emulator's state).
void print_consolidated(const std::string& at_url, const json& seed) {
  std::map<int64_t, std::string> company_of_contract, company_names;
  for (const json& c : seed["companies"]) company_names[c["id"]] = c["companyName"];
  for (const json& k : seed["contracts"])
    company_of_contract[k["id"]] = company_names[k["companyID"]];
  std::map<int64_t, std::map<int64_t, double>> units;            // contract -> service -> units
  const json state = request_json(at_url + "/_emulator/state");  // kept: iterated below
  for (const json& u : state["contract_service_units"])
    units[u.value("contractID", int64_t{0})][u.value("serviceID", int64_t{0})] =
        u.value("units", 0.0);
  std::cout
      << "\n== consolidated: each customer's one Autotask contract, every module's services\n";
  TextTable t({"CONTRACT", "COMPANY", "SERVICES (id x units)"});
  for (const auto& [contract, services] : units) {
    std::string text;
    for (const auto& [service, n] : services)
      text += (text.empty() ? "" : "  ") + std::to_string(service) + " x" + format_quantity(n);
    t.add_row({std::to_string(contract), company_of_contract[contract], text});
  }
  t.print(std::cout);
}

}  // namespace

int run_kaseya_autotask(const ScenarioOptions& options) {
  const fs::path at_exe = find_emulator(options.emulator_dirs, "emulator-autotask");
  const fs::path rmm_exe = find_emulator(options.emulator_dirs, "emulator-datto-rmm");
  const fs::path backup_exe = find_emulator(options.emulator_dirs, "emulator-datto");
  const engine::Day today = engine::today_in_zone("UTC", std::chrono::system_clock::now());
  const fs::path& dir = options.dir;
  sandbox::KaseyaDemo demo = sandbox::make_kaseya_demo(today);
  write_demo(dir, demo);

  std::cout << "meterbridge sandbox (kaseya-autotask): demo data in " << dir.string() << "\n";
  EmulatorChild at(at_exe, dir / "autotask-seed.json", dir / "logs", options.keep);
  EmulatorChild rmm(rmm_exe, dir / "datto-rmm-seed.json", dir / "logs", options.keep);
  EmulatorChild backup(backup_exe, dir / "datto-seed.json", dir / "logs", options.keep);
  std::cout << "emulator-autotask   " << at.url() << "  (Autotask, "
            << demo.autotask_seed["companies"].size() << " companies)\n"
            << "emulator-datto-rmm  " << rmm.url() << "  (Datto RMM, "
            << demo.rmm_seed["sites"].size() << " sites)\n"
            << "emulator-datto      " << backup.url() << "  (Datto BCDR and SaaS Protection)\n";
  const fs::path config = dir / "config.json";
  write_private_file(
      config,
      with_isolation(kaseya_config(dir, demo, at.url(), rmm.url(), backup.url()), options.isolated)
          .dump(2));
  std::cout << "config              " << config.string() << "\n";

  Sandbox sb(config);
  const std::vector<EmulatorLog> emulators = {{"datto-rmm", rmm.url(), false},
                                              {"datto", backup.url(), false},
                                              {"autotask", at.url(), true}};
  std::map<std::string, size_t> seen;
  bool ok = sb.step({"plugins", "check"}).exit_code == 0;
  ok = sb.step({"discover"}).exit_code == 0 && ok;
  sb.step({"map", "auto"});
  sb.step({"map", "suggest", "--min-score", "0.7", "--limit", "1"});
  std::cout << "\n== confirming the clear suggestions (score >= " << kConfirmScore << ")\n";
  std::cout << confirm_suggestions(sb) << " customer(s) linked from suggestions\n";
  for (const auto& p : demo.products) {
    sb.step({"map", "product", p.instance, p.sku, std::to_string(p.service_id), "--tracking",
             "daily", "--method", "max"});
  }
  calls_since(emulators, seen);  // the calls above are set-up, not sync

  const std::string period = engine::format_year_month(engine::year_month_of(today));
  StepResult first = sb.step({"sync", "--period", period});
  print_calls("First sync", calls_since(emulators, seen), first.wall);
  StepResult second = sb.step({"sync", "--period", period});
  CallCount again = calls_since(emulators, seen);
  print_calls("Second sync (usage unchanged)", again, second.wall);
  print_consolidated(at.url(), demo.autotask_seed);
  sb.step({"insights"});
  ok = ok && first.exit_code == 0 && second.exit_code == 0 && again.writes == 0;
  if (options.serve) ok = run_serve_demo(config) && ok;

  std::cout << "\n";
  if (options.keep) {
    std::cout << "The emulators keep running (pids " << at.pid() << ", " << rmm.pid() << ", "
              << backup.pid() << "); config " << config.string() << "\n";
    at.release();
    rmm.release();
    backup.release();
    return ok ? kExitOk : kExitFailure;
  }
  at.stop();
  rmm.stop();
  backup.stop();
  std::error_code ec;
  if (!options.dir_given) fs::remove_all(dir, ec);
  std::cout << "Emulators stopped. Run `meterbridge sandbox --scenario kaseya-autotask --keep` to "
               "explore the result.\n";
  return ok ? kExitOk : kExitFailure;
}

}  // namespace meterbridge::host
