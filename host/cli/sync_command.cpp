#include "cli/sync_command.hpp"

#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/text_table.hpp"
#include "engine/plan.hpp"
#include "engine/sink_sync.hpp"
#include "runtime/collector.hpp"
#include "store/run_lock.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

namespace {

struct SyncRequest {
  std::string command;  // sync or send-now: names the journal run and the messages
  bool dry_run = false;
  bool collect = true;
  std::string customer;  // send-now --customer: a PSA company id or a vendor customer id
  std::vector<std::string> sinks;
  std::string format;
};

void add_sync_options(po::options_description& options) {
  options.add_options()("period", po::value<std::string>()->value_name("YYYY-MM"),
                        "the billing period (default: the one containing today)")(
      "dry-run", "read the PSAs and show what would change; write nothing, collect nothing")(
      "no-collect", "do not collect today's usage first, even when it is missing")(
      "sink", po::value<std::vector<std::string>>()->value_name("INSTANCE"),
      "only this sink instance (repeatable)")(
      "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
      "table or json");
}

// The day a sync needs collected: today while the period runs, else its last day. A period
// that has not started needs nothing.
std::optional<engine::Day> day_to_collect(engine::Day today, engine::YearMonth period,
                                          int32_t billing_day) {
  engine::Period dates = engine::billing_period(period, billing_day);
  if (today < dates.start) return std::nullopt;
  return std::min(today, dates.end);
}

// Collects `day` from every enabled source that has not stored it yet: what a scheduled run
// does before billing, so a sync never writes yesterday's numbers when today's can be had.
std::vector<DayCollection> collect_missing(PluginHost& host, const Config& config,
                                           store::BillingStore& store, engine::Day day) {
  std::vector<std::string> missing;
  for (const InstanceConfig* source : enabled_instances(host, config, MB_KIND_SOURCE, {})) {
    if (store.usage().collected_days(source->name, day, day).empty())
      missing.push_back(source->name);
  }
  if (missing.empty()) return {};
  int64_t run = store.journal().begin_run("collect (for sync)");
  std::vector<DayCollection> results = collect_usage(host, config, store, missing, {day}, run);
  bool ok = true;
  json summary = json::array();
  for (const auto& r : results) {
    ok = ok && r.ok;
    summary.push_back({{"source", r.instance},
                       {"date", engine::format_iso_date(r.day)},
                       {"ok", r.ok},
                       {"error", r.ok ? json(nullptr) : json(r.error)},
                       {"records", r.records}});
  }
  store.journal().finish_run(run, ok ? "ok" : "failed", summary.dump());
  return results;
}

// Keeps the lines of one customer: its PSA company id, or a vendor customer id feeding it.
void keep_customer(engine::Plan& plan, const std::string& customer) {
  std::vector<engine::PlanLine> kept;
  for (auto& l : plan.lines) {
    bool match = l.company_id == customer;
    for (const auto& s : l.sources) {
      match = match || s.customer_id == customer || s.source + "/" + s.customer_id == customer;
    }
    if (match) kept.push_back(std::move(l));
  }
  plan.lines = std::move(kept);
}

int run_sync(CommandContext& context, const ParsedOptions& p, const SyncRequest& request) {
  const Config& config = context.config();
  // One writing sync per store at a time; a dry run writes nothing and needs no lock.
  std::optional<store::RunLock> lock;
  if (!request.dry_run) {
    try {
      lock.emplace(store_path(context), "meterbridge " + request.command);
    } catch (const std::runtime_error& e) {
      std::cerr << "meterbridge " << request.command << ": " << e.what() << '\n';
      return kExitFailure;
    }
  }
  auto store = open_store(context);
  const engine::Day today = operator_today(context);
  const engine::YearMonth period = period_value(p, context, *store);
  PluginHost host(config, context.data_dir());
  std::vector<const InstanceConfig*> sinks;
  try {
    sinks = enabled_instances(host, config, MB_KIND_SINK, request.sinks);
  } catch (const InstanceError& e) {
    std::cerr << "meterbridge " << request.command << ": " << e.what() << '\n';
    return kExitUsage;
  }

  bool failed = false, config_error = false;
  std::vector<DayCollection> collected;
  std::optional<engine::Day> collect_day =
      day_to_collect(today, period, engine::global_billing_day(store->mapping()));
  if (request.collect && !request.dry_run && collect_day) {
    try {
      collected = collect_missing(host, config, *store, *collect_day);
    } catch (const InstanceError& e) {
      std::cerr << "meterbridge " << request.command << ": " << e.what() << '\n';
      return e.status() == MB_E_CONFIG ? kExitUsage : kExitFailure;
    }
  }
  for (const auto& c : collected) {
    if (c.ok) continue;
    // The sync goes on with the usage already stored (what the last run billed), and says so.
    failed = true;
    config_error = config_error || c.status == MB_E_CONFIG;
    std::cerr << "meterbridge " << request.command << ": collecting " << c.instance << " for "
              << engine::format_iso_date(c.day)
              << " failed; syncing the usage stored before: " << c.error << '\n';
  }

  engine::Plan plan = engine::build_plan(*store, period, today);
  if (!request.customer.empty()) {
    keep_customer(plan, request.customer);
    if (plan.lines.empty()) {
      std::cerr << "meterbridge " << request.command << ": no planned line of " << plan.period
                << " belongs to customer '" << request.customer
                << "' (give a PSA company id or a vendor customer id; see `meterbridge plan`)\n";
      return kExitUsage;
    }
  }

  engine::SyncOptions o;
  o.dry_run = request.dry_run;
  o.hold_decrease_percent =
      std::stod(store->mapping().setting("hold_decrease_percent").value_or("20"));
  o.pending_grace_ms =
      config.sync.pending_grace_ms > 0 ? config.sync.pending_grace_ms : 4 * config.http.timeout_ms;
  o.stop_after_failures = config.sync.stop_after_failures;
  std::string run_name = request.command + " " + plan.period;
  if (!request.customer.empty()) run_name += " customer " + request.customer;
  int64_t run = request.dry_run ? 0 : store->journal().begin_run(run_name);
  json reports = json::array();
  std::set<std::string> synced;
  int64_t writes = 0;
  TextTable t({"COMPANY", "LINE", "BEFORE", "DELTA", "PLANNED", "AFTER", "ACTION", "MESSAGE"});
  for (const InstanceConfig* sink : sinks) {
    synced.insert(sink->name);
    std::unique_ptr<RunningInstance> running;
    try {
      running = host.start(*sink);
    } catch (const InstanceError& e) {
      std::cerr << "meterbridge " << request.command << ": " << e.what() << '\n';
      failed = true;
      config_error = config_error || e.status() == MB_E_CONFIG;
      continue;
    }
    engine::SinkCall call = [&](const std::string& op, const json& body) {
      return running->plugin->invoke(op, body.dump());
    };
    engine::SyncReport r = engine::sync_sink(*store, plan, sink->name, call, o, run);
    failed = failed || r.errors > 0;
    writes += r.writes;
    if (!r.stopped.empty()) {
      std::cerr << "meterbridge " << request.command << ": stopped writing: " << r.stopped << '\n';
    }
    reports.push_back(engine::sync_report_to_json(r));
    for (const auto& l : r.lines) {
      t.add_row({l.psa + "/" + l.company_id + " " + l.company_name, l.line_id,
                 format_optional(l.before, "none"), format_delta(engine::sync_line_delta(l)),
                 format_quantity(l.planned), format_optional(l.after, "none"), l.action,
                 l.message});
    }
  }
  json unsynced = json::array();
  for (const auto& l : plan.lines) {
    if (synced.count(l.psa)) continue;
    unsynced.push_back(
        {{"psa", l.psa}, {"company", l.company_id}, {"line", l.line_id}, {"planned", l.quantity}});
    t.add_row({l.psa + "/" + l.company_id + " " + l.company_name, l.line_id, "?", "-",
               format_quantity(l.quantity), "?", "skipped",
               "no enabled sink instance named '" + l.psa + "'"});
  }
  if (!request.dry_run) {
    store->journal().finish_run(run, failed ? "failed" : "ok", json{{"sinks", reports}}.dump());
  }

  json collected_json = json::array();
  for (const auto& c : collected) {
    collected_json.push_back({{"source", c.instance},
                              {"date", engine::format_iso_date(c.day)},
                              {"ok", c.ok},
                              {"records", c.records},
                              {"error", c.ok ? json(nullptr) : json(c.error)}});
  }
  if (request.format == "json") {
    std::cout << json{{"schema", "sync-report.v1"},
                      {"period", plan.period},
                      {"dry_run", request.dry_run},
                      {"customer",
                       request.customer.empty() ? json(nullptr) : json(request.customer)},
                      {"run", run == 0 ? json(nullptr) : json(run)},
                      {"collected", collected_json},
                      {"sinks", reports},
                      {"writes", writes},
                      {"unsynced", unsynced},
                      {"exceptions", plan.exceptions.size()}}
                     .dump(2)
              << '\n';
    return config_error ? kExitUsage : failed ? kExitFailure : kExitOk;
  }
  for (const auto& c : collected) {
    std::cout << "collected " << c.instance << " for " << engine::format_iso_date(c.day) << ": "
              << (c.ok ? std::to_string(c.records) + " records" : "failed") << '\n';
  }
  std::cout << (request.dry_run ? "Dry run (nothing written) " : "Sync ") << "for period "
            << plan.period << (request.customer.empty() ? "" : ", customer " + request.customer)
            << '\n';
  if (t.empty()) {
    std::cout << "(nothing to sync)\n";
  } else {
    t.print(std::cout);
  }
  if (!request.dry_run) std::cout << writes << " line(s) written\n";
  if (!plan.exceptions.empty() && request.customer.empty()) {
    std::cout << plan.exceptions.size() << " usage items not billed: see `meterbridge plan`\n";
  }
  return config_error ? kExitUsage : failed ? kExitFailure : kExitOk;
}

SyncRequest request_from(const ParsedOptions& p, const std::string& command) {
  SyncRequest r;
  r.command = command;
  r.format = format_value(p, {"table", "json"});
  r.dry_run = p.vm.count("dry-run") > 0;
  r.collect = p.vm.count("no-collect") == 0;
  if (p.vm.count("sink")) r.sinks = p.vm["sink"].as<std::vector<std::string>>();
  return r;
}

}  // namespace

int run_sync_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge sync`");
  add_sync_options(options);
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout << "Usage: meterbridge sync [--period YYYY-MM] [--dry-run] [--no-collect] "
                 "[--sink INSTANCE] [--format table|json]\n\n"
                 "Collects today's usage from every enabled source that has not stored it yet\n"
                 "(the period's last day once it is over), plans the period and reconciles every\n"
                 "enabled sink: reads what the PSA holds, writes only differences (journaling an\n"
                 "intent before and the outcome after each write), and holds steep decreases and\n"
                 "drops to zero for approval. Per line: the PSA quantity before, the delta (after\n"
                 "- before for a write; planned - before otherwise; the signed change a delta PSA\n"
                 "such as Autotask is posted), the planned one, after, and the action (none,\n"
                 "create, update, cancel, held, pending, duplicate, not-attempted, error).\n\n"
              << options;
    return kExitOk;
  }
  return run_sync(context, p, request_from(p, "sync"));
}

int run_send_now_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge send-now`");
  add_sync_options(options);
  options.add_options()("customer", po::value<std::string>()->value_name("ID"),
                        "only this customer: a PSA company id, or a vendor customer id "
                        "(SOURCE/ID or ID)");
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout << "Usage: meterbridge send-now [--customer ID] [--period YYYY-MM] [--dry-run] "
                 "[--no-collect] [--sink INSTANCE] [--format table|json]\n\n"
                 "Sends the current billing to the PSAs at once, without waiting for the billing\n"
                 "day: the same collect, plan and reconcile as `meterbridge sync`, for every\n"
                 "customer or for one.\n\n"
              << options;
    return kExitOk;
  }
  SyncRequest r = request_from(p, "send-now");
  if (p.vm.count("customer")) {
    r.customer = p.vm["customer"].as<std::string>();
    if (r.customer.empty()) usage_error("--customer: give a customer id");
  }
  return run_sync(context, p, r);
}

}  // namespace meterbridge::host
