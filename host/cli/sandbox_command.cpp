#include "cli/sandbox_command.hpp"

#include <iostream>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/sandbox_scenarios.hpp"
#include "cli/sandbox_steps.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

int run_scenarios(const po::variables_map& vm) {
  const std::string scenario = vm["scenario"].as<std::string>();
  if (scenario != "sophos-connectwise" && scenario != "kaseya-autotask" &&
      scenario != "trendmicro-connectwise" && scenario != "all") {
    usage_error("--scenario: '" + scenario +
                "' is not a scenario; use sophos-connectwise, kaseya-autotask, "
                "trendmicro-connectwise or all");
  }
  ScenarioOptions options;
  options.keep = vm.count("keep") > 0;
  options.serve = vm.count("serve") > 0;
  options.dir_given = vm.count("dir") > 0;
  const std::string isolation = vm["isolation"].as<std::string>();
  if (isolation != "in-process" && isolation != "process") {
    usage_error("--isolation: '" + isolation + "' is not an isolation; use in-process or process");
  }
  options.isolated = isolation == "process";
  options.emulator_dirs = sandbox_steps::emulator_dirs(vm);
  const fs::path dir = sandbox_steps::make_work_dir(vm);
  int status = kExitOk;
  auto run = [&](const std::string& name, int (*scenario_fn)(const ScenarioOptions&)) {
    // With --scenario all each scenario gets a directory of its own inside the work directory.
    options.dir = scenario == "all" ? dir / name : dir;
    fs::create_directories(options.dir);
    int s = scenario_fn(options);
    if (s != kExitOk) status = s;
  };
  if (scenario == "sophos-connectwise" || scenario == "all")
    run("sophos-connectwise", &run_sophos_connectwise);
  if (scenario == "kaseya-autotask" || scenario == "all")
    run("kaseya-autotask", &run_kaseya_autotask);
  if (scenario == "trendmicro-connectwise" || scenario == "all")
    run("trendmicro-connectwise", &run_trendmicro_connectwise);
  std::error_code ec;
  if (scenario == "all" && !options.keep && !options.dir_given) fs::remove_all(dir, ec);
  return status;
}

}  // namespace

int run_sandbox_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge sandbox`");
  options.add_options()(
      "scenario", po::value<std::string>()->default_value("sophos-connectwise")->value_name("NAME"),
      "sophos-connectwise, kaseya-autotask, trendmicro-connectwise, or all")(
      "keep", "leave the emulators running and the demo directory in place")(
      "isolation", po::value<std::string>()->default_value("in-process")->value_name("HOW"),
      "in-process, or process: run every plugin instance in a meterbridge-runner")(
      "serve",
      "then run `meterbridge serve` on the same config with a fast test clock: its scheduled "
      "collect and sync, /metrics, `meterbridge status`, and a stop by SIGTERM")(
      "dir", po::value<std::string>()->value_name("DIR"),
      "put the demo here (must be empty or absent; default: a new temporary directory)")(
      "emulators", po::value<std::string>()->value_name("DIR"),
      "where the emulator executables are (default: next to meterbridge)");
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout
        << "Usage: meterbridge sandbox [--scenario NAME] [--isolation HOW] [--serve] [--keep] "
           "[--dir DIR] [--emulators DIR]\n\n"
           "A full billing run on demo data, with no account needed: starts the API\n"
           "emulators on free loopback ports, writes a config in a temporary directory, then\n"
           "runs discover, map auto, suggestions, product mappings, a sync, a second sync\n"
           "(which must write nothing) and the reports, printing the API calls and wall time\n"
           "of each sync. Scenarios:\n"
           "  sophos-connectwise  Sophos Central to ConnectWise Manage (the default)\n"
           "  kaseya-autotask     Datto RMM, Datto BCDR and SaaS Protection and a Kaseya\n"
           "                      module export to Autotask, one contract per customer\n"
           "  trendmicro-connectwise  Trend Micro Remote Manager to ConnectWise Manage: Verify,\n"
           "                      an agreement per product, billing days, Send now, detection\n"
           "                      and executive summaries as tickets\n"
           "  all                 all three, one after the other\n\n"
        << options;
    return kExitOk;
  }
  try {
    return run_scenarios(p.vm);
  } catch (const std::runtime_error& e) {
    std::cerr << "meterbridge sandbox: " << e.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace meterbridge::host
