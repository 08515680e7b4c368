#include "cli/plugins_command.hpp"

#include <iostream>
#include <set>

#include <boost/program_options.hpp>
#include <meterbridge/plugin.hpp>
#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"
#include "cli/plugin_call_command.hpp"
#include "cli/text_table.hpp"
#include "runtime/plugin_host.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

namespace {

struct Parsed {
  po::variables_map vm;
  bool help = false;
};

// Parses a subcommand's own options; unknown options are usage errors.
Parsed parse(const std::vector<std::string>& args, const po::options_description& options) {
  po::options_description all = options;
  all.add_options()("help,h", "show this help");
  Parsed p;
  po::store(po::command_line_parser(args).options(all).run(), p.vm);
  po::notify(p.vm);
  p.help = p.vm.count("help") > 0;
  return p;
}

std::string format_option(const po::variables_map& vm) {
  std::string f = vm["format"].as<std::string>();
  if (f != "table" && f != "json") {
    throw po::error("--format: expected table or json, found '" + f + "'");
  }
  return f;
}

std::string abi_text(const PluginModule& m) {
  return std::to_string(m.abi_major()) + "." + std::to_string(m.abi_minor());
}

int plugins_list(CommandContext& context) {
  po::options_description options("Options of `meterbridge plugins list`");
  options.add_options()("format",
                        po::value<std::string>()->default_value("table")->value_name("FORMAT"),
                        "table or json");
  Parsed p = parse(context.args(), options);
  if (p.help) {
    std::cout << "Usage: meterbridge [--config PATH] plugins list [--format table|json]\n\n"
                 "Lists the plugins found through the manifests in the plugin directories\n"
                 "(the config's plugin_dirs, else the directory beside the executable).\n"
                 "Refused plugins are reported on stderr with the reason.\n\n"
              << options;
    return kExitOk;
  }
  const std::string format = format_option(p.vm);
  const Config& config = context.config_or_defaults();
  PluginHost host(config, context.data_dir());

  std::map<std::string, std::vector<std::string>> instances_by_plugin;
  std::set<std::string> enabled_plugins;
  for (const auto& inst : config.plugins) {
    instances_by_plugin[inst.plugin].push_back(inst.name);
    if (inst.enabled) enabled_plugins.insert(inst.plugin);
  }

  if (format == "json") {
    json out = json::array();
    for (const auto& m : host.load_report().plugins) {
      out.push_back({{"id", m->id()},
                     {"kind", m->kind()},
                     {"version", m->version()},
                     {"abi", abi_text(*m)},
                     {"path", m->path().string()},
                     {"manifest", m->manifest_path().string()},
                     {"description", m->description()},
                     {"enabled", enabled_plugins.count(m->id()) > 0},
                     {"instances", instances_by_plugin[m->id()]}});
    }
    std::cout << out.dump(2) << '\n';
  } else {
    TextTable table({"ID", "KIND", "VERSION", "ABI", "ENABLED", "INSTANCES", "PATH"});
    for (const auto& m : host.load_report().plugins) {
      std::string names;
      for (const auto& n : instances_by_plugin[m->id()]) names += (names.empty() ? "" : ",") + n;
      table.add_row({m->id(), m->kind(), m->version(), abi_text(*m),
                     enabled_plugins.count(m->id()) ? "yes" : "no", names.empty() ? "-" : names,
                     m->path().string()});
    }
    table.print(std::cout);
    if (host.load_report().plugins.empty()) {
      std::cout << "(no plugins found in:";
      for (const auto& d : host.plugin_dirs()) std::cout << ' ' << d.string();
      std::cout << ")\n";
    }
  }
  for (const auto& r : host.load_report().refusals) {
    std::cerr << "meterbridge: plugin refused: " << r.message() << '\n';
  }
  return kExitOk;
}

struct CheckResult {
  std::string instance, plugin, result, status, message;
  json details;
  json capabilities;  // check.v1 "capabilities" (a source's "past_days")
};

CheckResult check_one(PluginHost& host, const InstanceConfig& inst) {
  CheckResult r{inst.name, inst.plugin, "", "", "", json::object(), json::object()};
  if (!inst.enabled) {
    r.result = "disabled";
    return r;
  }
  try {
    auto running = host.start(inst);
    CallResult answer = running->plugin->check();
    if (answer.ok()) {
      r.result = "ok";
      r.status = "ok";
      json parsed = json::parse(answer.text, nullptr, false);
      r.details = parsed.is_object() ? parsed.value("details", json::object()) : json::object();
      r.capabilities =
          parsed.is_object() ? parsed.value("capabilities", json::object()) : json::object();
    } else {
      // The plugin found the settings wrong (PROTOCOL.md P3.3): the operator fixes the config,
      // exactly as when the host refuses them itself.
      r.result = answer.status == MB_E_CONFIG ? "config-error" : "failed";
      r.status = status_name(answer.status);
      r.message = answer.text;
    }
  } catch (const InstanceError& e) {
    r.result = e.status() == MB_E_CONFIG ? "config-error" : "failed";
    r.status = status_name(e.status());
    r.message = e.what();
  }
  return r;
}

int plugins_check(CommandContext& context) {
  po::options_description options("Options of `meterbridge plugins check`");
  options.add_options()("format",
                        po::value<std::string>()->default_value("table")->value_name("FORMAT"),
                        "table or json")("instance", po::value<std::string>()->value_name("NAME"),
                                         "check only this plugin instance");
  Parsed p = parse(context.args(), options);
  if (p.help) {
    std::cout << "Usage: meterbridge --config PATH plugins check [--instance NAME] [--format "
                 "table|json]\n\n"
                 "Creates each enabled plugin instance of the config and runs its check\n"
                 "(settings, credentials, reachability). Exit code 0 when all pass, 1 when a\n"
                 "check fails, 2 when the config or an instance's settings are wrong.\n\n"
              << options;
    return kExitOk;
  }
  const std::string format = format_option(p.vm);
  const Config& config = context.config();
  std::vector<const InstanceConfig*> selected;
  if (p.vm.count("instance")) {
    const std::string name = p.vm["instance"].as<std::string>();
    const InstanceConfig* inst = config.find_instance(name);
    if (!inst)
      throw ConfigError(config.file, "/plugins", "no plugin instance named '" + name + "'");
    selected.push_back(inst);
  } else {
    for (const auto& inst : config.plugins) selected.push_back(&inst);
  }

  PluginHost host(config, context.data_dir());
  std::vector<CheckResult> results;
  for (const auto* inst : selected) results.push_back(check_one(host, *inst));

  bool config_error = false, failure = false;
  for (const auto& r : results) {
    config_error = config_error || r.result == "config-error";
    failure = failure || r.result == "failed";
  }
  if (format == "json") {
    json out = json::array();
    for (const auto& r : results) {
      json j = {{"instance", r.instance}, {"plugin", r.plugin}, {"result", r.result}};
      if (!r.status.empty()) j["status"] = r.status;
      if (!r.message.empty()) j["message"] = r.message;
      if (r.result == "ok") j["details"] = r.details;
      if (r.result == "ok" && !r.capabilities.empty()) j["capabilities"] = r.capabilities;
      out.push_back(j);
    }
    std::cout << out.dump(2) << '\n';
  } else {
    TextTable table({"INSTANCE", "PLUGIN", "RESULT", "DETAIL"});
    for (const auto& r : results) {
      std::string detail = r.result == "ok" ? r.details.dump() : r.message;
      if (!r.status.empty() && r.result != "ok") detail = "[" + r.status + "] " + detail;
      table.add_row({r.instance, r.plugin, r.result, detail});
    }
    table.print(std::cout);
    if (results.empty()) std::cout << "(no plugin instances in " << config.file.string() << ")\n";
  }
  if (config_error) return kExitUsage;
  return failure ? kExitFailure : kExitOk;
}

}  // namespace

int run_plugins_command(CommandContext& context) {
  const auto& args = context.args();
  if (args.empty() || args.front() == "--help" || args.front() == "-h") {
    std::cout << "Usage: meterbridge plugins list|check|call [options]\n\n"
                 "  list     list the plugins found in the plugin directories\n"
                 "  check    run the check of every enabled plugin instance\n"
                 "  call     run one operation of a plugin instance (INSTANCE OP [--request])\n\n"
                 "Run `meterbridge plugins list --help` or `meterbridge plugins check --help`.\n";
    return args.empty() ? kExitUsage : kExitOk;
  }
  CommandContext sub(context.global(), std::vector<std::string>(args.begin() + 1, args.end()));
  if (args.front() == "list") return plugins_list(sub);
  if (args.front() == "check") return plugins_check(sub);
  if (args.front() == "call") return run_plugin_call_command(sub);
  std::cerr << "meterbridge plugins: unknown subcommand '" << args.front()
            << "' (expected list, check or call)\n";
  return kExitUsage;
}

}  // namespace meterbridge::host
