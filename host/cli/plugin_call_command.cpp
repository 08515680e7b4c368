#include "cli/plugin_call_command.hpp"

#include <iostream>

#include <meterbridge/plugin.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "runtime/plugin_host.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

int run_plugin_call_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge plugins call`");
  options.add_options()("request", po::value<std::string>()->value_name("JSON"),
                        "the operation's request object (default {})");
  ParsedOptions p = parse_options(context.args(), options, true);
  if (p.help) {
    std::cout << "Usage: meterbridge plugins call INSTANCE OPERATION [--request JSON]\n\n"
                 "Runs one operation of an enabled plugin instance and prints its JSON answer:\n"
                 "the extra operations a plugin documents in its README (sophos-central's\n"
                 "`licenses`, say), or `discover`, `collect` and `read` to see what a plugin\n"
                 "answers. Nothing is stored. `apply` is refused: PSA writes go through\n"
                 "`meterbridge sync`, which journals them.\n\n"
              << options;
    return kExitOk;
  }
  if (p.positional.size() != 2) usage_error("expected INSTANCE OPERATION");
  const std::string& name = p.positional[0];
  const std::string& op = p.positional[1];
  if (op == "apply") {
    usage_error("apply writes into the PSA without the journal; run `meterbridge sync`");
  }
  json request = json::object();
  if (p.vm.count("request")) {
    request = json::parse(p.vm["request"].as<std::string>(), nullptr, false);
    if (request.is_discarded() || !request.is_object())
      usage_error("--request: expected a JSON object");
  }
  const Config& config = context.config();
  const InstanceConfig* instance = config.find_instance(name);
  if (!instance) usage_error("no plugin instance named '" + name + "' in " + config.file.string());
  if (!instance->enabled) usage_error("plugin instance '" + name + "' is disabled");

  PluginHost host(config, context.data_dir());
  std::unique_ptr<RunningInstance> running;
  try {
    running = host.start(*instance);
  } catch (const InstanceError& e) {
    std::cerr << "meterbridge plugins call: " << e.what() << '\n';
    return e.status() == MB_E_CONFIG ? kExitUsage : kExitFailure;
  }
  CallResult r = running->plugin->invoke(op, request.dump());
  if (!r.ok()) {
    std::cerr << "meterbridge plugins call: " << name << ": " << op << " failed ["
              << meterbridge::status_name(r.status) << "]: " << r.text << '\n';
    return r.status == MB_E_INVALID_ARGUMENT || r.status == MB_E_UNSUPPORTED ||
                   r.status == MB_E_CONFIG
               ? kExitUsage
               : kExitFailure;
  }
  json answer = json::parse(r.text, nullptr, false);
  std::cout << (answer.is_discarded() ? r.text : answer.dump(2)) << '\n';
  return kExitOk;
}

}  // namespace meterbridge::host
