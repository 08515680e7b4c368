#include "cli/psa_sink_command.hpp"

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/agreement_support.hpp"
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
    "Usage: meterbridge psa verify COMPANY_ID [--sink INSTANCE]\n"
    "       meterbridge psa agreements COMPANY_ID [--refresh] [--sink INSTANCE]\n"
    "       meterbridge psa contracts COMPANY_ID [--sink INSTANCE]\n"
    "       meterbridge psa catalog search TEXT [--sink INSTANCE]\n"
    "       meterbridge psa catalog add NAME [DESCRIPTION] --price P [--set FIELD=JSON]...\n"
    "       meterbridge psa catalog edit ID [--price P] [--set FIELD=JSON]...\n\n"
    "Asks a sink's PSA directly: whether a company id exists (Verify), a company's agreements\n"
    "(ConnectWise) or contracts (Autotask) and the Default one billing goes to, catalog\n"
    "products or services by two or more characters, and adding or editing one.\n"
    "`agreements` shows the ones the store loaded (by the Verify of `map customer`, or an\n"
    "earlier --refresh) and asks the PSA when none were loaded or with --refresh;\n"
    "`contracts` always asks the PSA, with Autotask's dates. Each command asks the ConnectWise\n"
    "operation first (agreements, search_catalog, create_product, edit_product) and, when the\n"
    "sink does not know it, the Autotask one (contracts, search_services, create_service,\n"
    "edit_service).\n"
    "catalog add: ConnectWise takes NAME as the product identifier and DESCRIPTION (default:\n"
    "NAME) as its description; Autotask takes NAME as the service name and DESCRIPTION, when\n"
    "given, as its description.\n"
    "--sink is needed only when several sinks are enabled. --set values are JSON (numbers,\n"
    "true/false, {\"id\": 6}); anything else is taken as text.\n";

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

// ConnectWise products and Autotask services answer the same item shape.
void print_products(const json& items) {
  TextTable t({"ID", "IDENTIFIER", "DESCRIPTION", "PRICE", "INACTIVE"});
  for (const auto& i : items) {
    t.add_row({text_of(i.value("id", json())), text_of(i.value("identifier", json())),
               text_of(i.value("description", json())), text_of(i.value("price", json())),
               i.value("inactive", false) ? "yes" : "no"});
  }
  t.print(std::cout);
}

// Agreements (ConnectWise) or contracts (Autotask, with their start and end dates).
void print_containers(const json& answer, const std::string& company) {
  const bool contracts = answer.contains("contracts");
  const json list = answer.value(contracts ? "contracts" : "agreements", json::array());
  TextTable t = contracts ? TextTable({"ID", "NAME", "TYPE", "STATUS", "START", "END", "DEFAULT"})
                          : TextTable({"ID", "NAME", "TYPE", "STATUS", "DEFAULT"});
  for (const auto& a : list) {
    std::vector<std::string> row = {
        text_of(a.value("id", json())), text_of(a.value("name", json())),
        text_of(a.value("type", json())), text_of(a.value("status", json()))};
    if (contracts) {
      row.push_back(text_of(a.value("start", json())));
      row.push_back(text_of(a.value("end", json())));
    }
    row.push_back(a.value("default", false) ? "default" : "");
    t.add_row(row);
  }
  if (t.empty()) {
    std::cout << "company " << company << " has no " << (contracts ? "contract" : "agreement")
              << '\n';
  } else {
    t.print(std::cout);
  }
}

// The operations that answer the subcommand, ConnectWise's first, Autotask's as the fallback.
std::vector<SinkOp> operations(const std::string& sub, const std::string& action,
                               const ParsedOptions& p) {
  if (sub == "verify") {
    need_positional(p, 1, "psa verify COMPANY_ID");
    return {{"verify_company", {{"company_id", p.positional[0]}}}};
  }
  if (sub == "agreements" || sub == "contracts") {
    need_positional(p, 1, "psa " + sub + " COMPANY_ID");
    json request = {{"company_id", p.positional[0]}};
    return {{"agreements", request}, {"contracts", request}};
  }
  if (action == "search") {
    need_positional(p, 1, "psa catalog search TEXT");
    if (p.positional[0].size() < 2) usage_error("psa catalog search: give at least 2 characters");
    json request = {{"text", p.positional[0]}};
    return {{"search_catalog", request}, {"search_services", request}};
  }
  if (action == "add") {
    if (p.positional.empty() || p.positional.size() > 2)
      usage_error("usage: psa catalog add NAME [DESCRIPTION] --price P");
    if (!p.vm.count("price")) usage_error("psa catalog add: --price is required");
    const std::string& name = p.positional[0];
    const std::string description = p.positional.size() > 1 ? p.positional[1] : "";
    json product = field_values(p);
    json service = product;
    product["identifier"] = name;
    product["description"] = description.empty() ? name : description;
    product["price"] = service["price"] = non_negative(p, "price");
    service["name"] = name;
    if (!description.empty()) service["description"] = description;
    return {{"create_product", product}, {"create_service", service}};
  }
  need_positional(p, 1, "psa catalog edit ID --set FIELD=JSON");
  json fields = field_values(p);
  if (p.vm.count("price")) fields["price"] = non_negative(p, "price");
  if (fields.empty()) usage_error("psa catalog edit: give --price or at least one --set");
  json request = {{"id", p.positional[0]}, {"fields", fields}};
  return {{"edit_product", request}, {"edit_service", request}};
}

int print_answer(const std::string& sub, const std::string& action, const ParsedOptions& p,
                 const RunningInstance& sink, const json& answer) {
  if (sub == "verify") {
    if (!answer.value("exists", false)) {
      std::cout << "company " << p.positional[0] << " does not exist in " << sink.config->name
                << '\n';
      return kExitFailure;
    }
    std::cout << "company " << text_of(answer.value("id", json())) << " exists in "
              << sink.config->name << ": " << text_of(answer.value("name", json())) << " ("
              << text_of(answer.value("identifier", json())) << ")\n";
  } else if (sub == "agreements" || sub == "contracts") {
    print_containers(answer, p.positional[0]);
  } else if (action == "search") {
    print_products(answer.value("items", json::array()));
  } else {
    print_products(json::array({answer}));
  }
  return kExitOk;
}

// psa agreements: from the store unless --refresh or never loaded; the PSA's answer is stored.
int agreements_command(CommandContext& context, const ParsedOptions& p, const std::string& format) {
  need_positional(p, 1, "psa agreements COMPANY_ID");
  const std::string& company = p.positional[0];
  PluginHost host(context.config(), context.data_dir());
  const InstanceConfig* instance = nullptr;
  try {
    instance = &pick_sink(context, host, p);
  } catch (const InstanceError& e) {
    std::cerr << "meterbridge psa: " << e.what() << '\n';
    return kExitUsage;
  }
  auto store = open_store(context);
  store::AgreementStore agreements(store->db());
  std::optional<std::vector<store::PsaAgreement>> list;
  if (!p.vm.count("refresh")) list = agreements.of(instance->name, company);
  const bool from_store = list.has_value();
  if (!list) {
    std::unique_ptr<RunningInstance> sink;
    try {
      sink = host.start(*instance);
    } catch (const InstanceError& e) {
      std::cerr << "meterbridge psa: " << e.what() << '\n';
      return e.status() == MB_E_CONFIG ? kExitUsage : kExitFailure;
    }
    int exit_code = kExitOk;
    list = refresh_agreements(*sink, *store, company, exit_code);
    if (!list) return exit_code;
  }
  const std::string loaded_at = agreements.loaded_at(instance->name, company).value_or("");
  if (format == "json") {
    json out = json::array();
    for (const auto& a : *list) {
      out.push_back({{"id", a.id},
                     {"name", a.name},
                     {"type", a.type},
                     {"status", a.status},
                     {"default", a.is_default}});
    }
    std::cout << json{{"sink", instance->name},
                      {"company", company},
                      {"loaded_at", loaded_at},
                      {"from", from_store ? "store" : "psa"},
                      {"agreements", out}}
                     .dump(2)
              << '\n';
    return kExitOk;
  }
  print_agreements(*list, company);
  std::cout << (from_store ? "(from the store, loaded " : "(asked " + instance->name + " now, ")
            << loaded_at << (from_store ? "; --refresh asks the PSA again)\n" : ")\n");
  return kExitOk;
}

}  // namespace

bool is_psa_sink_subcommand(const std::string& sub) {
  return sub == "verify" || sub == "agreements" || sub == "contracts" || sub == "catalog";
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
      "price", po::value<std::string>()->value_name("P"), "catalog add/edit: the unit price")(
      "set", po::value<std::vector<std::string>>()->value_name("FIELD=JSON"),
      "catalog add/edit: a product field (repeatable)")(
      "refresh", "agreements: ask the PSA again and store its answer")(
      "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
      "table or json");
  ParsedOptions p = parse_options(args, options, true);
  if (p.help) {
    std::cout << kUsage << '\n' << options;
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "json"});
  if (sub == "agreements") return agreements_command(context, p, format);
  const std::vector<SinkOp> ops = operations(sub, action, p);

  PluginHost host(context.config(), context.data_dir());
  std::unique_ptr<RunningInstance> sink;
  try {
    sink = host.start(pick_sink(context, host, p));
  } catch (const InstanceError& e) {
    std::cerr << "meterbridge psa: " << e.what() << '\n';
    return e.status() == MB_E_CONFIG ? kExitUsage : kExitFailure;
  }
  int exit_code = kExitOk;
  std::optional<json> answer = call_sink_op(*sink, ops, exit_code);
  if (!answer) return exit_code;
  if (format == "json") {
    std::cout << answer->dump(2) << '\n';
    return sub == "verify" && !answer->value("exists", false) ? kExitFailure : kExitOk;
  }
  return print_answer(sub, action, p, *sink, *answer);
}

}  // namespace meterbridge::host
