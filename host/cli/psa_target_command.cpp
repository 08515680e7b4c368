#include "cli/psa_target_command.hpp"

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/catalog_lookup.hpp"
#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/psa_sink_support.hpp"
#include "cli/text_table.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

namespace {

const char* const kUsage =
    "Usage: meterbridge psa target COMPANY_ID (--contract ID | --agreement ID | --clear)\n"
    "                              [--sink INSTANCE]\n"
    "       meterbridge psa targets [--format table|json]\n"
    "       meterbridge psa adopt COMPANY_ID LINE_ID [--sink INSTANCE] [--format table|json]\n\n"
    "psa target names the container a sink bills the company into, instead of the single\n"
    "active one it would choose: an Autotask contract (--contract) or a ConnectWise agreement\n"
    "(--agreement, the same thing). It is kept per sink instance and company and sent with\n"
    "every read, write and duplicate removal of that company's lines; the sink answers an\n"
    "error line when it does not fit (another company's, not active, wrong type). A company\n"
    "the store does not know for that sink (not discovered yet) is accepted with a warning.\n"
    "--clear goes back to the sink's own choice. psa targets lists them all.\n"
    "psa adopt lets meterbridge write a PSA line it did not create (an Autotask contract\n"
    "service entered by hand, say), through the sink's adopt operation; a sink that needs no\n"
    "adoption says so (exit 2).\n";

int set_target(CommandContext& context, const ParsedOptions& p) {
  need_positional(p, 1, "psa target COMPANY_ID --contract ID");
  const std::string& company = p.positional[0];
  const bool clear = p.vm.count("clear") > 0;
  const int given = static_cast<int>(p.vm.count("contract") + p.vm.count("agreement")) + clear;
  if (given != 1) usage_error("psa target: give exactly one of --contract, --agreement, --clear");
  std::string target;
  if (!clear) {
    target = p.vm[p.vm.count("contract") ? "contract" : "agreement"].as<std::string>();
    if (target.empty()) usage_error("psa target: the contract or agreement id is empty");
  }
  PluginHost host(context.config(), context.data_dir());
  std::string sink;
  try {
    sink = pick_sink(context, host, p).name;
  } catch (const InstanceError& e) {
    std::cerr << "meterbridge psa: " << e.what() << '\n';
    return kExitUsage;
  }
  auto store = open_store(context);
  if (clear) {
    const bool had = store->mapping().clear_target(sink, company);
    std::cout << (had ? "cleared the target of " : "no target was set for ") << sink << '/'
              << company << (had ? ": the sink chooses again\n" : "\n");
    return kExitOk;
  }
  bool known = false;
  for (const auto& c : store->mapping().psa_companies()) {
    known = known || (c.psa == sink && c.id == company);
  }
  if (!known) {
    std::cerr << "meterbridge psa: warning: sink '" << sink << "' has no company '" << company
              << "' in the store (not discovered yet, or a typo: see `meterbridge psa list`); "
                 "the target is kept and used once the company is billed\n";
  }
  store->mapping().put_target(sink, company, target);
  std::cout << "target of " << sink << '/' << company << ": " << target << '\n';
  return kExitOk;
}

int list_targets(CommandContext& context, const ParsedOptions& p) {
  const std::string format = format_value(p, {"table", "json"});
  auto store = open_store(context);
  std::map<std::string, std::string> names;
  for (const auto& c : store->mapping().psa_companies()) names[c.psa + "/" + c.id] = c.name;
  auto name_of = [&](const store::PsaTarget& t) {
    auto it = names.find(t.psa + "/" + t.company_id);
    return it == names.end() ? std::string() : it->second;
  };
  const auto targets = store->mapping().targets();
  if (format == "json") {
    json out = json::array();
    for (const auto& t : targets) {
      const std::string name = name_of(t);
      out.push_back({{"sink", t.psa},
                     {"company", t.company_id},
                     {"company_name", name.empty() ? json(nullptr) : json(name)},
                     {"target", t.target},
                     {"set_at", t.set_at}});
    }
    std::cout << out.dump(2) << '\n';
    return kExitOk;
  }
  TextTable table({"SINK", "COMPANY", "NAME", "TARGET", "SET AT"});
  for (const auto& t : targets) {
    const std::string name = name_of(t);
    table.add_row(
        {t.psa, t.company_id, name.empty() ? "(not discovered)" : name, t.target, t.set_at});
  }
  if (table.empty()) {
    std::cout << "(no target set: every sink chooses the company's single active container)\n";
  } else {
    table.print(std::cout);
  }
  return kExitOk;
}

int adopt(CommandContext& context, const ParsedOptions& p) {
  need_positional(p, 2, "psa adopt COMPANY_ID LINE_ID");
  const std::string format = format_value(p, {"table", "json"});
  PluginHost host(context.config(), context.data_dir());
  std::unique_ptr<RunningInstance> sink;
  try {
    sink = host.start(pick_sink(context, host, p));
  } catch (const InstanceError& e) {
    std::cerr << "meterbridge psa: " << e.what() << '\n';
    return e.status() == MB_E_CONFIG ? kExitUsage : kExitFailure;
  }
  json request = {{"company_id", p.positional[0]}, {"line_id", p.positional[1]}};
  auto store = open_store(context);
  auto targets = store->mapping().targets_of(sink->config->name);
  if (auto it = targets.find(p.positional[0]); it != targets.end()) request["target"] = it->second;
  CallResult r = sink->plugin->invoke("adopt", request.dump());
  if (r.status == MB_E_UNSUPPORTED) {
    std::cerr << "meterbridge psa: sink '" << sink->config->name << "' (plugin "
              << sink->config->plugin
              << ") does not need or offer adoption: it writes only the lines it finds or "
                 "creates itself ("
              << r.text << ")\n";
    return kExitUsage;
  }
  json parsed = r.ok() ? json::parse(r.text, nullptr, false) : json();
  if (!r.ok() || !parsed.is_object()) {
    std::cerr << "meterbridge psa: " << sink->config->name
              << ": adopt failed: " << (r.ok() ? "the answer is not a JSON object" : r.text)
              << '\n';
    return r.status == MB_E_INVALID_ARGUMENT || r.status == MB_E_CONFIG ? kExitUsage : kExitFailure;
  }
  const json* answer = &parsed;
  const bool adopted = answer->value("adopted", false);
  if (format == "json") {
    std::cout << answer->dump(2) << '\n';
  } else {
    std::cout << (adopted ? "adopted " : "not adopted ") << sink->config->name << '/'
              << p.positional[0] << ' ' << p.positional[1]
              << (answer->contains("ref") ? " (" + text_of((*answer)["ref"]) + ")" : "");
    const std::string message = text_of(answer->value("message", json("")));
    std::cout << (message.empty() ? "" : ": " + message) << '\n';
  }
  return adopted ? kExitOk : kExitFailure;
}

}  // namespace

bool is_psa_target_subcommand(const std::string& sub) {
  return sub == "target" || sub == "targets" || sub == "adopt";
}

int run_psa_target_command(CommandContext& context, const std::string& sub,
                           std::vector<std::string> args) {
  po::options_description options("Options of `meterbridge psa " + sub + "`");
  options.add_options()("sink", po::value<std::string>()->value_name("INSTANCE"),
                        "the sink instance (default: the only enabled one)")(
      "contract", po::value<std::string>()->value_name("ID"),
      "target: the Autotask contract billing goes to")(
      "agreement", po::value<std::string>()->value_name("ID"),
      "target: the ConnectWise agreement (the same as --contract)")(
      "clear", "target: remove the company's target")(
      "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
      "table or json (targets, adopt)");
  ParsedOptions p = parse_options(args, options, true);
  if (p.help) {
    std::cout << kUsage << '\n' << options;
    return kExitOk;
  }
  if (sub == "target") return set_target(context, p);
  if (sub == "targets") return list_targets(context, p);
  return adopt(context, p);
}

}  // namespace meterbridge::host
