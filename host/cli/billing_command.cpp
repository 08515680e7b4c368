#include "cli/billing_command.hpp"

#include <iomanip>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/summaries_command.hpp"
#include "cli/text_table.hpp"
#include "engine/plan.hpp"
#include "engine/reconcile_report.hpp"
#include "engine/sink_sync.hpp"
#include "runtime/collector.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

namespace {

void add_period_option(po::options_description& options) {
  options.add_options()("period", po::value<std::string>()->value_name("YYYY-MM"),
                        "the billing period (default: the one containing today)");
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string source_summary(const engine::PlanLine& l) {
  if (l.no_usage) return "no usage this period (billed before)";
  std::set<std::string> customers;
  for (const auto& s : l.sources) customers.insert(s.source + "/" + s.customer_id);
  return std::to_string(l.sources.size()) + " series from " + std::to_string(customers.size()) +
         " customer(s)";
}

// What a journal entry changed in the PSA: after - before (a create from nothing); unknown
// without an after (an intent, a failed write).
std::optional<double> journal_delta(const store::JournalEntry& e) {
  if (!e.after_qty) return std::nullopt;
  return *e.after_qty - e.before_qty.value_or(0);
}

json journal_entry_json(const store::JournalEntry& e) {
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  return {{"id", e.id},
          {"run", e.run_id},
          {"at", e.at},
          {"entry", e.entry},
          {"psa", e.psa},
          {"company", e.company_id},
          {"line", e.line_id},
          {"period", e.period},
          {"before", opt(e.before_qty)},
          {"desired", opt(e.desired_qty)},
          {"after", opt(e.after_qty)},
          {"delta", opt(journal_delta(e))},
          {"action", e.action},
          {"status", e.status},
          {"ref", e.ref},
          {"message", e.message},
          {"intent", e.intent_id ? json(*e.intent_id) : json(nullptr)},
          {"provenance", e.provenance.empty() ? json(nullptr) : json::parse(e.provenance)}};
}

// The journal table's FROM: the intent an outcome settles, and the usage series behind it.
std::string journal_from(const store::JournalEntry& e) {
  std::string from;
  if (!e.provenance.empty()) {
    json prov = json::parse(e.provenance);
    std::set<std::string> who;
    for (const auto& s : prov.value("sources", json::array())) {
      who.insert(s.value("source", "") + "/" + s.value("customer_id", "") + ":" +
                 s.value("sku", ""));
    }
    for (const auto& w : who) from += (from.empty() ? "" : " ") + w;
  }
  if (e.intent_id)
    from = "intent " + std::to_string(*e.intent_id) + (from.empty() ? "" : " " + from);
  return from;
}

}  // namespace

std::string target_text(const engine::PlanLine& l) {
  if (l.target.empty()) return "(sink's choice)";
  return "agreement " + l.target + (l.target_name.empty() ? "" : " " + l.target_name) +
         (l.target_from == "line" ? "" : " (company)");
}

int run_plan_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge plan`");
  add_period_option(options);
  options.add_options()("format",
                        po::value<std::string>()->default_value("table")->value_name("FORMAT"),
                        "table or json");
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout << "Usage: meterbridge plan [--period YYYY-MM] [--format table|json]\n\n"
                 "The quantity each PSA company should be billed per PSA line for the period,\n"
                 "with the vendor customers, SKUs and days that produced it, and every usage\n"
                 "left out with the reason (unmapped, sync off, excluded, ...). Writes nothing.\n\n"
              << options;
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "json"});
  auto store = open_store(context);
  engine::Plan plan =
      engine::build_plan(*store, period_value(p, context, *store), operator_today(context));
  if (format == "json") {
    engine::write_plan_json(std::cout, plan);
    return kExitOk;
  }
  std::cout << "Plan for period " << plan.period << '\n';
  TextTable t({"COMPANY", "LINE", "PERIOD", "QUANTITY", "MEASURED", "INCLUDED", "METHOD", "TARGET",
               "FROM"});
  for (const auto& l : plan.lines) {
    t.add_row(
        {l.psa + "/" + l.company_id + " " + l.company_name, l.line_id + " " + l.line_name,
         engine::format_iso_date(l.dates.start) + ".." + engine::format_iso_date(l.dates.end) +
             (l.complete ? "" : " (running)"),
         format_quantity(l.quantity), format_quantity(l.measured), format_quantity(l.included),
         l.method + (l.rounding.empty() || l.rounding == "none" ? "" : ", round " + l.rounding),
         target_text(l), source_summary(l)});
  }
  if (t.empty()) {
    std::cout << "(no billable line: map customers and products first)\n";
  } else {
    t.print(std::cout);
  }
  if (!plan.exceptions.empty()) {
    std::cout << "\nLeft out (" << plan.exceptions.size() << ")\n";
    TextTable x({"KIND", "SOURCE", "CUSTOMER", "SKU", "METRIC", "QUANTITY", "REASON"});
    for (const auto& e : plan.exceptions) {
      x.add_row({e.kind, e.source,
                 e.customer_id.empty() ? "" : e.customer_id + " " + e.customer_name, e.sku,
                 e.metric, format_quantity(e.quantity), e.reason});
    }
    x.print(std::cout);
  }
  return kExitOk;
}

void print_reconcile_csv(const engine::Plan& plan, const engine::ReconcileReport& report) {
  std::cout << "section,psa,company,company_name,line,line_name,source,customer_id,customer_name,"
               "sku,metric,period_start,period_end,measured,planned,billed,difference,unit_price,"
               "money,reason,value,target\n";
  for (const auto& rl : report.lines) {
    const auto& l = *rl.line;
    std::cout << "line," << csv_field(l.psa) << ',' << csv_field(l.company_id) << ','
              << csv_field(l.company_name) << ',' << csv_field(l.line_id) << ','
              << csv_field(l.line_name) << ",,,,,," << engine::format_iso_date(l.dates.start) << ','
              << engine::format_iso_date(l.dates.end) << ',' << format_quantity(l.measured) << ','
              << format_quantity(l.quantity) << ',' << format_optional(rl.billed, "") << ','
              << format_optional(rl.difference, "") << ',' << format_optional(l.unit_price, "")
              << ',' << format_optional(rl.money, "") << ",," << format_optional(rl.value, "")
              << ',' << csv_field(l.target) << '\n';
  }
  for (const auto& e : plan.exceptions) {
    std::cout << csv_field(e.kind) << ',' << csv_field(e.psa) << ',' << csv_field(e.company_id)
              << ",,,," << csv_field(e.source) << ',' << csv_field(e.customer_id) << ','
              << csv_field(e.customer_name) << ',' << csv_field(e.sku) << ',' << csv_field(e.metric)
              << ",,," << format_quantity(e.quantity) << ",,,,,," << csv_field(e.reason) << ",,\n";
  }
}

int run_report_command(CommandContext& context) {
  const auto& args = context.args();
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? std::cerr : std::cout)
        << "Usage: meterbridge report reconcile [--period YYYY-MM] [--format table|csv|json]\n"
           "       meterbridge report executive --company ID --period YYYY-MM [--out FILE]\n";
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "executive") return run_executive_report(context, {args.begin() + 1, args.end()});
  if (args[0] != "reconcile") {
    usage_error("unknown report '" + args[0] + "' (reports: reconcile, executive)");
  }
  po::options_description options("Options of `meterbridge report reconcile`");
  add_period_option(options);
  options.add_options()("format",
                        po::value<std::string>()->default_value("table")->value_name("FORMAT"),
                        "table, csv or json");
  ParsedOptions p = parse_options({args.begin() + 1, args.end()}, options);
  if (p.help) {
    std::cout
        << "Usage: meterbridge report reconcile [--period YYYY-MM] [--format table|csv|json]\n\n"
           "Per PSA line: the measured quantity, the planned one, the last quantity known\n"
           "to be billed in the PSA (from the journal, else unknown), the difference and\n"
           "its money value where a unit price is known; then the usage not billed.\n\n"
        << options;
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "csv", "json"});
  auto store = open_store(context);
  engine::Plan plan =
      engine::build_plan(*store, period_value(p, context, *store), operator_today(context));
  engine::ReconcileReport report = engine::build_reconcile_report(plan, store->journal());
  if (format == "json") {
    std::cout << std::setw(2) << engine::reconcile_report_to_json(report) << '\n';
    return kExitOk;
  }
  if (format == "csv") {
    print_reconcile_csv(plan, report);
    return kExitOk;
  }
  std::cout << "Reconciliation for period " << plan.period << '\n';
  for (const auto& rl : report.lines) {
    if (rl.duplicate.empty()) continue;
    std::cout << "DUPLICATE " << rl.line->psa << '/' << rl.line->company_id << ' '
              << rl.line->line_id << ": " << rl.duplicate << '\n';
  }
  TextTable t({"COMPANY", "LINE", "TARGET", "MEASURED", "PLANNED", "BILLED", "DIFFERENCE",
               "UNIT PRICE", "MONEY", "VALUE"});
  for (const auto& rl : report.lines) {
    const auto& l = *rl.line;
    t.add_row({l.psa + "/" + l.company_id + " " + l.company_name, l.line_id + " " + l.line_name,
               target_text(l), format_quantity(l.measured), format_quantity(l.quantity),
               format_optional(rl.billed, "unknown"), format_delta(rl.difference),
               format_optional(l.unit_price), format_optional(rl.money),
               format_optional(rl.value)});
  }
  if (t.empty()) {
    std::cout << "(no billable line)\n";
  } else {
    t.print(std::cout);
  }
  std::cout << report.lines.size() << " lines, " << report.lines_differing
            << " differ from the PSA, " << report.lines_unknown
            << " never billed through meterbridge, " << report.lines_duplicated
            << " with duplicates in the PSA; money difference "
            << format_quantity(report.money_total) << ", planned value "
            << format_quantity(report.value_total) << '\n';
  std::set<std::string> delta_sinks;
  for (const auto& rl : report.lines) {
    if (store->mapping().setting("quantity_model/" + rl.line->psa).value_or("") == "delta")
      delta_sinks.insert(rl.line->psa);
  }
  for (const auto& sink : delta_sinks) {
    std::cout << "Sink " << sink << " takes signed changes: its DIFFERENCE (planned - billed) is "
              << "the adjustment the next sync posts\n";
  }
  std::vector<const engine::PlanException*> unbilled;
  for (const auto& e : plan.exceptions) unbilled.push_back(&e);
  if (!unbilled.empty()) {
    std::cout << "\nNot billed (" << unbilled.size() << ")\n";
    TextTable x({"KIND", "SOURCE", "CUSTOMER", "SKU", "METRIC", "USAGE", "REASON"});
    for (const auto* e : unbilled) {
      x.add_row({e->kind, e->source,
                 e->customer_id.empty() ? "" : e->customer_id + " " + e->customer_name, e->sku,
                 e->metric, format_quantity(e->quantity), e->reason});
    }
    x.print(std::cout);
  }
  return kExitOk;
}

int run_journal_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge journal`");
  options.add_options()("period", po::value<std::string>()->value_name("YYYY-MM"),
                        "only this period")("company", po::value<std::string>()->value_name("ID"),
                                            "only this PSA company")(
      "line", po::value<std::string>()->value_name("ID"), "only this PSA line")(
      "run", po::value<int64_t>()->value_name("ID"), "only this run")(
      "limit", po::value<int64_t>()->default_value(0)->value_name("N"),
      "at most N entries (0: all)")(
      "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
      "table or json");
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout
        << "Usage: meterbridge journal [--period YYYY-MM] [--company ID] [--line ID] [--run ID]\n\n"
           "What was written into the PSAs, when, by which run, and from which usage: an\n"
           "intent before each write, its outcome after it, approvals and recoveries.\n\n"
        << options;
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "json"});
  store::JournalStore::Filter f;
  if (p.vm.count("period")) {
    f.period = p.vm["period"].as<std::string>();
    if (!engine::parse_year_month(f.period))
      usage_error("--period: expected YYYY-MM, found '" + f.period + "'");
  }
  if (p.vm.count("company")) f.company_id = p.vm["company"].as<std::string>();
  if (p.vm.count("line")) f.line_id = p.vm["line"].as<std::string>();
  if (p.vm.count("run")) f.run_id = p.vm["run"].as<int64_t>();
  f.limit = p.vm["limit"].as<int64_t>();
  auto store = open_store(context);
  auto entries = store->journal().entries(f);
  if (format == "json") {
    json out = json::array();
    for (const auto& e : entries) out.push_back(journal_entry_json(e));
    std::cout << out.dump(2) << '\n';
    return kExitOk;
  }
  TextTable t({"ID", "RUN", "AT", "ENTRY", "COMPANY", "LINE", "PERIOD", "BEFORE", "DESIRED",
               "DELTA", "AFTER", "ACTION", "STATUS", "FROM"});
  for (const auto& e : entries) {
    t.add_row({std::to_string(e.id), std::to_string(e.run_id), e.at, e.entry,
               e.psa + "/" + e.company_id, e.line_id, e.period, format_optional(e.before_qty),
               format_optional(e.desired_qty), format_delta(journal_delta(e)),
               format_optional(e.after_qty), e.action, e.status, journal_from(e)});
  }
  if (t.empty()) {
    std::cout << "(the journal has no entry" << (f.period.empty() ? "" : " for " + f.period)
              << ")\n";
  } else {
    t.print(std::cout);
  }
  return kExitOk;
}

int run_approve_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge approve`");
  add_period_option(options);
  options.add_options()("company", po::value<std::string>()->value_name("ID"), "the PSA company")(
      "line", po::value<std::string>()->value_name("ID"), "the PSA line")(
      "all", "approve every line of the period at its planned quantity");
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout
        << "Usage: meterbridge approve --period YYYY-MM (--company ID [--line ID] | --all)\n\n"
           "Approves the planned quantity of held lines (steep decreases, drops to zero);\n"
           "the next sync writes them. An approval holds for that quantity only.\n\n"
        << options;
    return kExitOk;
  }
  if (!p.vm.count("period")) usage_error("--period is required");
  if (!p.vm.count("all") && !p.vm.count("company"))
    usage_error("give --company (and --line), or --all");
  auto store = open_store(context);
  engine::Plan plan =
      engine::build_plan(*store, period_value(p, context, *store), operator_today(context));
  std::string company = p.vm.count("company") ? p.vm["company"].as<std::string>() : "";
  std::string line = p.vm.count("line") ? p.vm["line"].as<std::string>() : "";
  int64_t run = store->journal().begin_run("approve " + plan.period);
  int64_t n = engine::approve_lines(*store, plan, company, line, run);
  store->journal().finish_run(run, "ok", json{{"approved", n}}.dump());
  if (n == 0) {
    std::cerr << "meterbridge approve: no planned line of " << plan.period << " matches"
              << (company.empty() ? "" : " company " + company)
              << (line.empty() ? "" : " line " + line) << '\n';
    return kExitUsage;
  }
  std::cout << "approved " << n << " line(s) of " << plan.period << " at their planned quantity\n";
  return kExitOk;
}

}  // namespace meterbridge::host
