// The default sandbox scenario: Sophos Central to ConnectWise Manage on embedded demo data.
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"
#include "cli/sandbox_scenarios.hpp"
#include "cli/sandbox_steps.hpp"
#include "engine/calendar.hpp"
#include "sandbox/child_process.hpp"
#include "sandbox/demo_data.hpp"

namespace meterbridge::host {
namespace fs = std::filesystem;
using nlohmann::json;
using sandbox::EmulatorChild;
using sandbox::StepResult;
using namespace sandbox_steps;

namespace {

json sandbox_config(const fs::path& dir, const json& sophos, const std::string& sophos_url,
                    const json& cw, const std::string& cw_url) {
  return {{"config_version", 1},
          {"timezone", "UTC"},
          {"data_dir", (dir / "data").string()},
          {"plugins",
           {{"sophos",
             {{"enabled", true},
              {"plugin", "sophos-central"},
              {"settings",
               {{"client_id", sophos["credentials"]["client_id"]},
                {"client_secret",
                 "${file:" + (dir / "secrets" / "sophos-client-secret").string() + "}"},
                {"token_url", sophos_url + "/id/api/v2/oauth2/token"},
                {"api_url", sophos_url + "/api"}}}}},
            {"connectwise",
             {{"enabled", true},
              {"plugin", "connectwise-manage"},
              {"settings",
               {{"site_url", cw_url},
                {"company_id", cw["company_id"]},
                {"public_key", cw["public_key"]},
                {"private_key",
                 "${file:" + (dir / "secrets" / "connectwise-private-key").string() + "}"},
                {"client_id", cw["client_ids"][0]}}}}}}}};
}

}  // namespace

int run_sophos_connectwise(const ScenarioOptions& options) {
  const bool keep = options.keep;
  std::error_code ec;
  const fs::path exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  const std::vector<fs::path>& emulator_dirs = options.emulator_dirs;
  const fs::path sophos_exe = find_emulator(emulator_dirs, "emulator-sophos");
  const fs::path cw_exe = find_emulator(emulator_dirs, "emulator-connectwise");

  const engine::Day today = engine::today_in_zone("UTC", std::chrono::system_clock::now());
  const engine::YearMonth month = engine::year_month_of(today);
  const fs::path dir = options.dir;
  fs::create_directories(dir / "secrets");
  fs::create_directories(dir / "logs");
  sandbox::DemoData demo = sandbox::make_demo_data(month);
  write_private_file(dir / "sophos-seed.json", demo.sophos_seed.dump(2));
  write_private_file(dir / "connectwise-seed.json", demo.connectwise_seed.dump(2));
  write_private_file(dir / "secrets" / "sophos-client-secret",
                     demo.sophos_seed["credentials"]["client_secret"].get<std::string>());
  write_private_file(dir / "secrets" / "connectwise-private-key",
                     demo.connectwise_seed["private_key"].get<std::string>());

  std::cout << "meterbridge sandbox: demo data in " << dir.string() << "\n";
  EmulatorChild sophos(sophos_exe, dir / "sophos-seed.json", dir / "logs", keep);
  EmulatorChild cw(cw_exe, dir / "connectwise-seed.json", dir / "logs", keep);
  std::cout << "emulator-sophos      " << sophos.url() << "  (Sophos Central Partner API, "
            << demo.sophos_seed["tenants"].size() << " tenants)\n"
            << "emulator-connectwise " << cw.url() << "  (ConnectWise Manage, "
            << demo.connectwise_seed["companies"].size() << " companies)\n";
  const fs::path config = dir / "config.json";
  write_private_file(config, with_isolation(sandbox_config(dir, demo.sophos_seed, sophos.url(),
                                                           demo.connectwise_seed, cw.url()),
                                            options.isolated)
                                 .dump(2));
  std::cout << "config               " << config.string() << "\n";

  Sandbox sb(config);
  const std::vector<EmulatorLog> emulators = {{"sophos", sophos.url(), false},
                                              {"connectwise", cw.url(), true}};
  std::map<std::string, size_t> seen;
  bool ok = sb.step({"plugins", "check"}).exit_code == 0;
  ok = sb.step({"discover"}).exit_code == 0 && ok;
  calls_since(emulators, seen);  // the calls above are set-up, not sync
  sb.step({"map", "auto"});
  sb.step({"map", "suggest", "--min-score", "0.7", "--limit", "1"});
  std::cout << "\n== confirming the clear suggestions (score >= " << kConfirmScore << ")\n";
  int confirmed = confirm_suggestions(sb);
  std::cout << confirmed << " customer(s) linked from suggestions\n";
  for (const auto& p : demo.products) {
    if (p.catalog_id.empty()) continue;
    sb.step({"map", "product", "sophos", p.sku, p.catalog_id, "--tracking", "monthly", "--method",
             "last"});
  }

  const std::string period = engine::format_year_month(month);
  StepResult first = sb.step({"sync", "--period", period});
  print_calls("First sync", calls_since(emulators, seen), first.wall);
  StepResult second = sb.step({"sync", "--period", period});
  CallCount again = calls_since(emulators, seen);
  print_calls("Second sync (usage unchanged)", again, second.wall);
  sb.step({"report", "reconcile", "--period", period});
  ok = ok && first.exit_code == 0 && second.exit_code == 0 && again.writes == 0;

  if (options.serve) ok = run_serve_demo(config) && ok;
  std::cout << "\n";
  if (keep) {
    const pid_t pids[] = {sophos.pid(), cw.pid()};
    const std::string mb = (exe_dir / "meterbridge").string() + " --config " + config.string();
    sophos.release();
    cw.release();
    std::cout << "The emulators keep running (pids " << pids[0] << ", " << pids[1]
              << "). Try, for example:\n"
              << "  " << mb << " plan --period " << period << "\n"
              << "  " << mb << " map list\n"
              << "  " << mb << " psa agreements 19001\n"
              << "  " << mb << " journal --period " << period << "\n"
              << "  curl " << cw.url() << "/_emulator/state      (what ConnectWise holds)\n"
              << "Stop them with: kill " << pids[0] << " " << pids[1] << "; remove " << dir.string()
              << " when done.\n";
    return ok ? kExitOk : kExitFailure;
  }
  sophos.stop();
  cw.stop();
  if (!options.dir_given) fs::remove_all(dir, ec);
  std::cout << "Emulators stopped" << (options.dir_given ? "" : ", demo directory removed")
            << ". Run `meterbridge sandbox --keep` to explore the result.\n";
  return ok ? kExitOk : kExitFailure;
}

}  // namespace meterbridge::host
