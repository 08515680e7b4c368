#include "cli/command_line.hpp"

#include <cstdlib>
#include <iostream>

#include <meterbridge/abi.h>
#include <boost/program_options.hpp>

#include "cli/billing_command.hpp"
#include "cli/collect_command.hpp"
#include "cli/duplicates_command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/insights_command.hpp"
#include "cli/mapping_command.hpp"
#include "cli/plugins_command.hpp"
#include "cli/sandbox_command.hpp"
#include "cli/serve_command.hpp"
#include "cli/summaries_command.hpp"
#include "cli/sync_command.hpp"
#include "services/host_clock.hpp"
#include "services/logging.hpp"
#include "store/sqlite_db.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;

namespace {

po::options_description global_options_description() {
  po::options_description d("Global options (before or after the command)");
  d.add_options()("help,h", "show help (for the command, when one is given)")(
      "version", "print the meterbridge version and plugin ABI version")(
      "config", po::value<std::string>()->value_name("PATH"),
      "config file (default: $METERBRIDGE_CONFIG)")(
      "data-dir", po::value<std::string>()->value_name("PATH"),
      "data directory for state and store (overrides the config's data_dir)")(
      "log-level", po::value<std::string>()->value_name("LEVEL"),
      "trace, debug, info, warn, error or off (default: config, then info)")(
      "log-format", po::value<std::string>()->value_name("FORMAT"),
      "text or json log lines on stderr (default: config, then text)");
  return d;
}

void print_main_help(std::ostream& out) {
  out << "meterbridge " METERBRIDGE_VERSION
         " - MSP usage billing host\n\n"
         "Usage: meterbridge [global options] COMMAND [command options]\n\n"
         "Commands:\n"
         "  sandbox          a full Sophos to ConnectWise run on demo data and API emulators\n"
         "  plugins list     list the plugins found in the plugin directories\n"
         "  plugins check    run the check of every enabled plugin instance\n"
         "  plugins call     run one operation of a plugin instance (its extra operations)\n"
         "  discover         store the customers, products and PSA companies the plugins know\n"
         "  collect          store a day's usage from every enabled source\n"
         "  psa              PSA companies and lines (list, add by hand)\n"
         "  map              map vendor customers and products to PSA companies and lines\n"
         "  billing          billing day, hold threshold, per-company overrides\n"
         "  plan             what each company should be billed for a period, and why\n"
         "  report reconcile measured vs planned vs billed, with money, and what is unbilled\n"
         "  report executive a company's month as a self-contained HTML page with charts\n"
         "  summaries        detection and executive summaries to the PSA (send, list)\n"
         "  sync             write the plan into the PSA sinks (--dry-run to preview)\n"
         "  send-now         sync at once, for every customer or one (--customer)\n"
         "  approve          release lines held for approval\n"
         "  resolve-duplicates  remove the extra PSA lines a lost answer left (see sync)\n"
         "  journal          what was written, when, by which run, from which usage\n"
         "  insights         what to act on (unmapped usage, new customers, held lines, ...)\n"
         "  serve            the headless service: scheduled collect and sync, health, metrics\n"
         "  status           what the running service and the store say about the schedule\n\n"
      << global_options_description()
      << "\nExit codes: 0 ok, 1 failure, 2 usage or config error.\n"
         "Run `meterbridge COMMAND --help` for a command's options.\n";
}

void apply_logging(const std::string& level_text, const std::string& format_text) {
  auto level = parse_log_level(level_text.empty() ? "info" : level_text);
  auto format = parse_log_format(format_text.empty() ? "text" : format_text);
  configure_logging(level.value_or(spdlog::level::info), format.value_or(LogFormat::text));
}

// $METERBRIDGE_TEST_CLOCK moves every command's clock (services/host_clock.hpp), which only a
// test may do: a config without testing.allow_test_clock refuses it, so that a stray variable
// never bills a real customer for the wrong day.
void apply_test_clock_from_environment(const Config& config) {
  const char* spec = std::getenv("METERBRIDGE_TEST_CLOCK");
  if (!spec || !*spec || test_clock()) return;
  if (!config.testing.allow_test_clock) {
    throw ConfigError(config.file, "/testing/allow_test_clock",
                      "METERBRIDGE_TEST_CLOCK is set, but a test clock is for tests only and this "
                      "config does not allow one; unset METERBRIDGE_TEST_CLOCK");
  }
  try {
    install_test_clock(parse_test_clock(spec));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(config.file, "", std::string("METERBRIDGE_TEST_CLOCK: ") + e.what());
  }
}

}  // namespace

CommandContext::CommandContext(GlobalOptions global, std::vector<std::string> args)
    : global_(std::move(global)), args_(std::move(args)) {}

const Config& CommandContext::config() {
  if (config_) return *config_;
  std::optional<std::filesystem::path> file = global_.config_file;
  if (!file) {
    if (const char* env = std::getenv("METERBRIDGE_CONFIG"); env && *env) file = env;
  }
  if (!file) {
    throw ConfigError({}, "", "no config file: pass --config PATH or set METERBRIDGE_CONFIG");
  }
  config_ = load_config(*file);
  apply_test_clock_from_environment(*config_);
  apply_logging(global_.log_level.empty() ? config_->log_level : global_.log_level,
                global_.log_format.empty() ? config_->log_format : global_.log_format);
  return *config_;
}

const Config& CommandContext::config_or_defaults() {
  if (global_.config_file ||
      (std::getenv("METERBRIDGE_CONFIG") && *std::getenv("METERBRIDGE_CONFIG"))) {
    return config();
  }
  if (!config_) {
    config_ = Config{};
    apply_test_clock_from_environment(*config_);
  }
  return *config_;
}

std::filesystem::path CommandContext::data_dir() {
  if (global_.data_dir) return std::filesystem::absolute(*global_.data_dir);
  const Config& c = config_or_defaults();
  return c.data_dir.empty() ? default_data_dir() : c.data_dir;
}

int run_command_line(int argc, const char* const* argv) {
  po::options_description global = global_options_description();
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::string>())("args",
                                                            po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(global).add(hidden);
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);

  po::variables_map vm;
  std::vector<std::string> rest;
  try {
    po::parsed_options parsed = po::command_line_parser(argc, argv)
                                    .options(all)
                                    .positional(positional)
                                    .allow_unregistered()
                                    .run();
    po::store(parsed, vm);
    po::notify(vm);
    rest = po::collect_unrecognized(parsed.options, po::include_positional);
  } catch (const po::error& e) {
    std::cerr << "meterbridge: " << e.what() << "\nRun `meterbridge --help` for usage.\n";
    return kExitUsage;
  }

  GlobalOptions g;
  if (vm.count("config")) g.config_file = vm["config"].as<std::string>();
  if (vm.count("data-dir")) g.data_dir = vm["data-dir"].as<std::string>();
  if (vm.count("log-level")) {
    g.log_level = vm["log-level"].as<std::string>();
    if (!parse_log_level(g.log_level)) {
      std::cerr
          << "meterbridge: --log-level: expected trace, debug, info, warn, error or off, found '"
          << g.log_level << "'\n";
      return kExitUsage;
    }
  }
  if (vm.count("log-format")) {
    g.log_format = vm["log-format"].as<std::string>();
    if (!parse_log_format(g.log_format)) {
      std::cerr << "meterbridge: --log-format: expected text or json, found '" << g.log_format
                << "'\n";
      return kExitUsage;
    }
  }
  apply_logging(g.log_level, g.log_format);

  if (vm.count("version")) {
    std::cout << "meterbridge " METERBRIDGE_VERSION " (plugin ABI " << MB_ABI_MAJOR << "."
              << MB_ABI_MINOR << ")\n";
    return kExitOk;
  }
  const bool help = vm.count("help") > 0;
  if (rest.empty()) {
    print_main_help(help ? std::cout : std::cerr);
    return help ? kExitOk : kExitUsage;
  }
  const std::string command = rest.front();
  rest.erase(rest.begin());
  if (help) rest.push_back("--help");
  CommandContext context(std::move(g), std::move(rest));

  try {
    if (command == "plugins") return run_plugins_command(context);
    if (command == "collect") return run_collect_command(context);
    if (command == "discover") return run_discover_command(context);
    if (command == "map") return run_map_command(context);
    if (command == "psa") return run_psa_command(context);
    if (command == "billing") return run_billing_settings_command(context);
    if (command == "plan") return run_plan_command(context);
    if (command == "report") return run_report_command(context);
    if (command == "journal") return run_journal_command(context);
    if (command == "insights") return run_insights_command(context);
    if (command == "sync") return run_sync_command(context);
    if (command == "send-now") return run_send_now_command(context);
    if (command == "approve") return run_approve_command(context);
    if (command == "resolve-duplicates") return run_resolve_duplicates_command(context);
    if (command == "sandbox") return run_sandbox_command(context);
    if (command == "serve") return run_serve_command(context);
    if (command == "summaries") return run_summaries_command(context);
    if (command == "status") return run_status_command(context);
    if (command == "help") {
      print_main_help(std::cout);
      return kExitOk;
    }
    std::cerr << "meterbridge: unknown command '" << command
              << "'\nRun `meterbridge --help` for the commands.\n";
    return kExitUsage;
  } catch (const ConfigError& e) {
    std::cerr << "meterbridge: config error: " << e.what() << '\n';
    return kExitUsage;
  } catch (const store::StoreError& e) {
    std::cerr << "meterbridge " << command << ": " << e.what() << '\n';
    return kExitFailure;
  } catch (const po::error& e) {
    std::cerr << "meterbridge " << command << ": " << e.what() << "\nRun `meterbridge " << command
              << " --help` for usage.\n";
    return kExitUsage;
  }
}

}  // namespace meterbridge::host
