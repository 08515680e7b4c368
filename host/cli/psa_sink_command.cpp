#include "cli/psa_sink_command.hpp"

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/catalog_lookup.hpp"
#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/text_table.hpp"
#include "runtime/collector.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

namespace {

const char* const kUsage =
    "Usage: meterbridge psa verify COMPANY_ID [--sink INSTANCE]\n"
    "       meterbridge psa agreements COMPANY_ID [--sink INSTANCE]\n"
    "       meterbridge psa catalog search TEXT [--sink INSTANCE]\n"
    "       meterbridge psa catalog add IDENTIFIER DESCRIPTION --price P [--set FIELD=JSON]...\n"
    "       meterbridge psa catalog edit ID --set FIELD=JSON [--set FIELD=JSON]...\n\n"
    "Asks a sink's PSA directly: whether a company id exists (Verify), a company's agreements\n"
    "and the Default one billing goes to, catalog products by two or more characters, and\n"
    "adding or editing a catalog product. --sink is needed only when several sinks are enabled.\n"
    "--set values are JSON (numbers, true/false, {\"id\": 6}); anything else is taken as text.\n";

// The one enabled sink instance, or the one named by --sink.
std::unique_ptr<RunningInstance> start_sink(CommandContext& context, PluginHost& host,
                                            const ParsedOptions& p) {
  std::vector<std::string> wanted;
  if (p.vm.count("sink")) wanted.push_back(p.vm["sink"].as<std::string>());
  auto sinks = enabled_instances(host, context.config(), MB_KIND_SINK, wanted);
  if (sinks.empty()) usage_error("no enabled sink instance in " + context.config().file.string());
  if (sinks.size() > 1) {
    std::string names;
    for (const auto* s : sinks) names += (names.empty() ? "" : ", ") + s->name;
    usage_error("several sinks are enabled (" + names + "): name one with --sink");
  }
  return host.start(*sinks.front());
}

// Calls op; prints the plugin's message and returns nullopt when it fails.
std::optional<json> call(RunningInstance& sink, const std::string& op, const json& request,
                         int& exit_code) {
  CallResult r = sink.plugin->invoke(op, request.dump());
  if (!r.ok()) {
    std::cerr << "meterbridge psa: " << sink.config->name << ": " << op << " failed: " << r.text
              << '\n';
    exit_code =
        r.status == MB_E_INVALID_ARGUMENT || r.status == MB_E_UNSUPPORTED || r.status == MB_E_CONFIG
            ? kExitUsage
            : kExitFailure;
    return std::nullopt;
  }
  return json::parse(r.text);
}

json field_values(const ParsedOptions& p) {
  json fields = json::object();
  if (!p.vm.count("set")) return fields;
  for (const std::string& kv : p.vm["set"].as<std::vector<std::string>>()) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      usage_error("--set: expected FIELD=VALUE, found '" + kv + "'");
    json value = json::parse(kv.substr(eq + 1), nullptr, false);
    fields[kv.substr(0, eq)] = value.is_discarded() ? json(kv.substr(eq + 1)) : value;
  }
  return fields;
}

std::string text_of(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

void print_products(const json& items) {
  TextTable t({"ID", "IDENTIFIER", "DESCRIPTION", "PRICE", "INACTIVE"});
  for (const auto& i : items) {
    t.add_row({text_of(i.value("id", json())), text_of(i.value("identifier", json())),
               text_of(i.value("description", json())), text_of(i.value("price", json())),
               i.value("inactive", false) ? "yes" : "no"});
  }
  t.print(std::cout);
}

}  // namespace

bool is_psa_sink_subcommand(const std::string& sub) {
  return sub == "verify" || sub == "agreements" || sub == "catalog";
}

int run_psa_sink_command(CommandContext& context, const std::string& sub,
                         std::vector<std::string> args) {
  std::string action;
  if (sub == "catalog") {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
      std::cout << kUsage;
      return args.empty() ? kExitUsage : kExitOk;
    }
    action = args[0];
    args.erase(args.begin());
    if (action != "search" && action != "add" && action != "edit")
      usage_error("psa catalog: unknown action '" + action + "' (search, add or edit)");
  }
  po::options_description options("Options of `meterbridge psa " + sub + "`");
  options.add_options()("sink", po::value<std::string>()->value_name("INSTANCE"),
                        "the sink instance (default: the only enabled one)")(
      "price", po::value<std::string>()->value_name("P"), "catalog add: the unit price")(
      "set", po::value<std::vector<std::string>>()->value_name("FIELD=JSON"),
      "catalog add/edit: a product field (repeatable)")(
      "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
      "table or json");
  ParsedOptions p = parse_options(args, options, true);
  if (p.help) {
    std::cout << kUsage << '\n' << options;
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "json"});
  std::string op;
  json request;
  if (sub == "verify" || sub == "agreements") {
    need_positional(p, 1, "psa " + sub + " COMPANY_ID");
    op = sub == "verify" ? "verify_company" : "agreements";
    request = {{"company_id", p.positional[0]}};
  } else if (action == "search") {
    need_positional(p, 1, "psa catalog search TEXT");
    if (p.positional[0].size() < 2) usage_error("psa catalog search: give at least 2 characters");
    op = "search_catalog";
    request = {{"text", p.positional[0]}};
  } else if (action == "add") {
    need_positional(p, 2, "psa catalog add IDENTIFIER DESCRIPTION --price P");
    if (!p.vm.count("price")) usage_error("psa catalog add: --price is required");
    op = "create_product";
    request = field_values(p);
    request["identifier"] = p.positional[0];
    request["description"] = p.positional[1];
    request["price"] = non_negative(p, "price");
  } else {
    need_positional(p, 1, "psa catalog edit ID --set FIELD=JSON");
    json fields = field_values(p);
    if (p.vm.count("price")) fields["price"] = non_negative(p, "price");
    if (fields.empty()) usage_error("psa catalog edit: give at least one --set FIELD=JSON");
    op = "edit_product";
    request = {{"id", p.positional[0]}, {"fields", fields}};
  }

  PluginHost host(context.config(), context.data_dir());
  std::unique_ptr<RunningInstance> sink;
  try {
    sink = start_sink(context, host, p);
  } catch (const InstanceError& e) {
    std::cerr << "meterbridge psa: " << e.what() << '\n';
    return e.status() == MB_E_CONFIG ? kExitUsage : kExitFailure;
  }
  int exit_code = kExitOk;
  std::optional<json> answer = call(*sink, op, request, exit_code);
  if (!answer) return exit_code;
  if (format == "json") {
    std::cout << answer->dump(2) << '\n';
    return sub == "verify" && !answer->value("exists", false) ? kExitFailure : kExitOk;
  }
  if (sub == "verify") {
    if (!answer->value("exists", false)) {
      std::cout << "company " << p.positional[0] << " does not exist in " << sink->config->name
                << '\n';
      return kExitFailure;
    }
    std::cout << "company " << text_of((*answer)["id"]) << " exists in " << sink->config->name
              << ": " << text_of((*answer)["name"]) << " (" << text_of((*answer)["identifier"])
              << ")\n";
  } else if (sub == "agreements") {
    TextTable t({"ID", "NAME", "TYPE", "STATUS", "DEFAULT"});
    for (const auto& a : (*answer)["agreements"]) {
      t.add_row({text_of(a["id"]), text_of(a["name"]), text_of(a["type"]), text_of(a["status"]),
                 a.value("default", false) ? "default" : ""});
    }
    if (t.empty()) {
      std::cout << "company " << p.positional[0] << " has no agreement\n";
    } else {
      t.print(std::cout);
    }
  } else if (action == "search") {
    print_products((*answer)["items"]);
  } else {
    print_products(json::array({*answer}));
  }
  return kExitOk;
}

}  // namespace meterbridge::host
