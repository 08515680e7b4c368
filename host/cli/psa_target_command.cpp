#include "cli/psa_target_command.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <map>

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
    "Usage: meterbridge psa target COMPANY_ID (--contract ID | --agreement ID | --clear)\n"
    "                              [--sink INSTANCE]\n"
    "       meterbridge psa target COMPANY_ID --line LINE_ID\n"
    "                              (--agreement-type TYPE --agreement NAME|ID | --default |\n"
    "                               --clear) [--sink INSTANCE]\n"
    "       meterbridge psa targets [--format table|json]\n"
    "       meterbridge psa adopt COMPANY_ID LINE_ID [--sink INSTANCE] [--format table|json]\n\n"
    "psa target names the container a sink bills the company into, instead of the single\n"
    "active one it would choose: an Autotask contract (--contract) or a ConnectWise agreement\n"
    "(--agreement, the same thing). It is kept per sink instance and company and sent with\n"
    "every read, write and duplicate removal of that company's lines; the sink answers an\n"
    "error line when it does not fit (another company's, not active, wrong type). A company\n"
    "the store does not know for that sink (not discovered yet) is accepted with a warning.\n"
    "--clear goes back to the sink's own choice. psa targets lists them all.\n"
    "With --line the agreement is the PSA line's (a ConnectWise product: each Trend Micro\n"
    "product its agreement, as in Remote Manager's Agreements screen): first its type, then\n"
    "its name (or id), among the company's agreements as `psa agreements` shows them (loaded\n"
    "from the PSA when the store has none); --default takes the one marked Default. A line's\n"
    "agreement wins over the company's target; without either the sink's agreement_type rule\n"
    "applies. An agreement that is not active is refused here, and one that stops being\n"
    "active, moves to another company or is deleted later is an error line at the sync,\n"
    "never a silent fallback to another agreement.\n"
    "A line meterbridge bills now into another container is not moved silently (the old\n"
    "addition or contract service would keep billing): end it in the PSA, then give --move.\n"
    "psa adopt lets meterbridge write a PSA line it did not create (an Autotask contract\n"
    "service entered by hand, say), through the sink's adopt operation; a sink that needs no\n"
    "adoption says so (exit 2).\n";

bool same_text(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string agreement_list(const std::vector<store::PsaAgreement>& list) {
  std::string out;
  for (const auto& a : list) {
    out += (out.empty() ? "" : ", ") + a.id + " '" + a.name + "' (" + a.type + ", " + a.status +
           (a.is_default ? ", default" : "") + ")";
  }
  return out.empty() ? "none" : out;
}

// The agreement --agreement-type/--agreement or --default names among the company's ones.
store::PsaAgreement choose_agreement(const ParsedOptions& p, const std::string& company,
                                     const std::vector<store::PsaAgreement>& list) {
  std::vector<store::PsaAgreement> hits;
  std::string wanted;
  if (p.vm.count("default")) {
    for (const auto& a : list) {
      if (a.is_default) hits.push_back(a);
    }
    wanted = "the Default agreement";
    if (hits.empty()) {
      throw InputError("company " + company +
                       " has no Default agreement: the PSA offers one only when the company has "
                       "a single active agreement of type 'TMRM management solution' or "
                       "'Managed Service' (or the sink's agreement_type); its agreements: " +
                       agreement_list(list) + "; name one with --agreement-type and --agreement");
    }
  } else {
    const std::string named = p.vm["agreement"].as<std::string>();
    const std::string type =
        p.vm.count("agreement-type") ? p.vm["agreement-type"].as<std::string>() : "";
    for (const auto& a : list) {
      if (!type.empty() && !same_text(a.type, type)) continue;
      if (a.id == named || (!type.empty() && same_text(a.name, named))) hits.push_back(a);
    }
    wanted = "agreement '" + named + "'" + (type.empty() ? "" : " of type '" + type + "'");
    if (hits.empty()) {
      throw InputError("company " + company + " has no " + wanted +
                       (type.empty() ? " (an agreement is named by its type first: give "
                                       "--agreement-type, or its id)"
                                     : "") +
                       "; its agreements: " + agreement_list(list) +
                       " (`meterbridge psa agreements " + company + " --refresh` reloads them)");
    }
    if (hits.size() > 1) {
      throw InputError("company " + company + " has several " + wanted + ": " +
                       agreement_list(hits) + "; name it by id");
    }
  }
  if (!same_text(hits.front().status, "active")) {
    throw InputError(wanted + " of company " + company + " is " + hits.front().status +
                     ", not active: billing into it would be lost; choose an active one");
  }
  return hits.front();
}

// Moving a line that meterbridge bills into one container to another would leave the first one
// billing too: a sink looks only at the line's target, so the old addition or contract service
// would stay and the customer would pay twice. Refused when the old container is a target the
// store knows, unless --move says the operator ended it in the PSA; a warning when it was the
// sink's own choice (the store cannot tell which one that was). line "" stands for every line
// of the company without an agreement of its own.
void refuse_double_billing(store::BillingStore& store, const ParsedOptions& p,
                           const std::string& psa, const std::string& company,
                           const std::string& line, const std::string& new_target) {
  if (p.vm.count("move")) return;
  const store::TargetMap targets = store::AgreementStore(store.db()).targets_of(psa);
  std::map<std::string, store::JournalEntry> last;  // line -> its latest successful write
  for (auto& e : store.journal().entries({"", company, line, 0, 0})) {
    if (e.psa != psa || e.entry != "outcome" || e.status != "ok") continue;
    if (line.empty() && targets.lines.count({company, e.line_id})) continue;
    last[e.line_id] = std::move(e);  // oldest first: the last one stays
  }
  // When the target in force now was set: a write after it went into it. The journal mark
  // (the last entry id then) tells; set_at (whole seconds) only for targets set before it.
  struct Since {
    std::string at;
    std::optional<int64_t> mark;
    bool before(const store::JournalEntry& e) const { return mark ? e.id <= *mark : e.at < at; }
  };
  std::map<std::string, Since> line_since;
  for (const auto& t : store::AgreementStore(store.db()).line_targets()) {
    if (t.psa == psa && t.company_id == company) line_since[t.line_id] = {t.set_at, t.journal_mark};
  }
  Since company_since;
  for (const auto& t : store.mapping().targets()) {
    if (t.psa == psa && t.company_id == company) company_since = {t.set_at, t.journal_mark};
  }
  for (const auto& [id, e] : last) {
    std::string old = targets.of(company, id);
    if (!e.after_qty || *e.after_qty <= 0 || old == new_target) continue;
    const Since& since = targets.source_of(company, id) == "line" ? line_since[id] : company_since;
    if (!old.empty() && since.before(e)) old.clear();  // billed before this target: unknown where
    if (old.empty()) {
      // The store does not know which container the sink chose: most often the one now named.
      std::cerr << "meterbridge psa: warning: line " << id << " of " << psa << '/' << company
                << " is billed now (" << format_quantity(*e.after_qty) << " for period " << e.period
                << ", PSA ref " << e.ref << ") into the container the sink chose; if that is not "
                << new_target << ", end it in the PSA, or it keeps billing beside the new one\n";
      continue;
    }
    throw InputError(
        "line " + id + " of " + psa + "/" + company + " is billed now: meterbridge wrote " +
        format_quantity(*e.after_qty) + " for period " + e.period + " (PSA ref " + e.ref +
        ") into " + (old.empty() ? "the container the sink chose" : "target " + old) +
        "; billing it into " + (new_target.empty() ? "the sink's own choice" : new_target) +
        " from now on would leave that one billing too. End or cancel it in the PSA first, "
        "then run this again with --move");
  }
}

int set_line_target(CommandContext& context, const ParsedOptions& p, const InstanceConfig& instance,
                    PluginHost& host) {
  const std::string& sink_name = instance.name;
  const std::string& company = p.positional[0];
  const std::string line = p.vm["line"].as<std::string>();
  if (line.empty()) usage_error("psa target: --line needs a PSA line id");
  const bool clear = p.vm.count("clear") > 0;
  const int given = static_cast<int>(p.vm.count("agreement") + p.vm.count("default")) + clear;
  if (given != 1 || p.vm.count("contract")) {
    usage_error(
        "psa target --line: give exactly one of --agreement (with --agreement-type), "
        "--default, --clear");
  }
  auto store = open_store(context);
  store::AgreementStore agreements(store->db());
  if (clear) {
    const store::TargetMap targets = agreements.targets_of(sink_name);
    auto company_target = targets.companies.find(company);
    refuse_double_billing(
        *store, p, sink_name, company, line,
        company_target == targets.companies.end() ? std::string() : company_target->second);
    const bool had = agreements.clear_line_target(sink_name, company, line);
    std::cout << (had ? "cleared the agreement of " : "no agreement was set for ") << sink_name
              << '/' << company << " line " << line << '\n';
    return kExitOk;
  }
  std::optional<std::vector<store::PsaAgreement>> list = agreements.of(sink_name, company);
  if (!list) {
    std::unique_ptr<RunningInstance> sink = host.start(instance);
    int exit_code = kExitOk;
    list = refresh_agreements(*sink, *store, company, exit_code);
    if (!list) return exit_code;
  }
  const store::PsaAgreement chosen = choose_agreement(p, company, *list);
  bool known_line = false;
  for (const auto& l : store->mapping().psa_lines())
    known_line = known_line || (l.psa == sink_name && l.id == line);
  if (!known_line) {
    std::cerr << "meterbridge psa: warning: sink '" << sink_name << "' has no line '" << line
              << "' in the store (not discovered yet, or a typo: see `meterbridge psa list`)\n";
  }
  refuse_double_billing(*store, p, sink_name, company, line, chosen.id);
  agreements.put_line_target({sink_name, company, line, chosen.id,
                              p.vm.count("default") ? "default" : "explicit", chosen.type,
                              chosen.name, ""});
  std::cout << "line " << line << " of " << sink_name << '/' << company << " -> agreement "
            << chosen.id << " '" << chosen.name << "' (" << chosen.type
            << (p.vm.count("default") ? ", the Default" : "") << ")\n";
  return kExitOk;
}

int set_target(CommandContext& context, const ParsedOptions& p) {
  need_positional(p, 1, "psa target COMPANY_ID --contract ID");
  if (p.vm.count("line")) {
    PluginHost host(context.config(), context.data_dir());
    try {
      return set_line_target(context, p, pick_sink(context, host, p), host);
    } catch (const InstanceError& e) {
      std::cerr << "meterbridge psa: " << e.what() << '\n';
      return kExitUsage;
    }
  }
  if (p.vm.count("agreement-type") || p.vm.count("default")) {
    usage_error(
        "psa target: --agreement-type and --default choose a line's agreement: give --line");
  }
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
  refuse_double_billing(*store, p, sink, company, "", target);
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
  const auto lines = store::AgreementStore(store->db()).line_targets();
  if (format == "json") {
    json out = json::array();
    for (const auto& t : targets) {
      const std::string name = name_of(t);
      out.push_back({{"sink", t.psa},
                     {"company", t.company_id},
                     {"company_name", name.empty() ? json(nullptr) : json(name)},
                     {"line", nullptr},
                     {"target", t.target},
                     {"set_at", t.set_at}});
    }
    for (const auto& l : lines) {
      const std::string name = name_of({l.psa, l.company_id, "", ""});
      out.push_back({{"sink", l.psa},
                     {"company", l.company_id},
                     {"company_name", name.empty() ? json(nullptr) : json(name)},
                     {"line", l.line_id},
                     {"target", l.target},
                     {"agreement_type", l.agreement_type},
                     {"agreement_name", l.agreement_name},
                     {"how", l.how},
                     {"set_at", l.set_at}});
    }
    std::cout << out.dump(2) << '\n';
    return kExitOk;
  }
  TextTable table({"SINK", "COMPANY", "NAME", "LINE", "TARGET", "SET AT"});
  for (const auto& t : targets) {
    const std::string name = name_of(t);
    table.add_row({t.psa, t.company_id, name.empty() ? "(not discovered)" : name, "(all)", t.target,
                   t.set_at});
  }
  for (const auto& l : lines) {
    const std::string name = name_of({l.psa, l.company_id, "", ""});
    table.add_row({l.psa, l.company_id, name.empty() ? "(not discovered)" : name, l.line_id,
                   l.target + " " + l.agreement_type + " / " + l.agreement_name +
                       (l.how == "default" ? " (Default)" : ""),
                   l.set_at});
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
      "clear", "target: remove the company's (or with --line the line's) target")(
      "line", po::value<std::string>()->value_name("LINE_ID"),
      "target: the PSA line whose agreement this is")(
      "agreement-type", po::value<std::string>()->value_name("TYPE"),
      "target --line: the agreement's type (then --agreement names it)")(
      "default", "target --line: the company's Default agreement")(
      "move",
      "target: the line (or company) is billed into another container, which the operator "
      "ended in the PSA: bill into this one from now on")(
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
