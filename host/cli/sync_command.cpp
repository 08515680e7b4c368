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
#include "runtime/sync_run.hpp"
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
  int64_t wait_seconds = 0;  // --wait: how long to wait for another run's writer lock
};

void add_sync_options(po::options_description& options) {
  options.add_options()("period", po::value<std::string>()->value_name("YYYY-MM"),
                        "the billing period (default: the one containing today)")(
      "dry-run", "read the PSAs and show what would change; write nothing, collect nothing")(
      "no-collect", "do not collect today's usage first, even when it is missing")(
      "sink", po::value<std::vector<std::string>>()->value_name("INSTANCE"),
      "only this sink instance (repeatable)")(
      "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
      "table or json")("wait", po::value<int64_t>()->value_name("SECONDS"),
                       "when another run (the service's scheduled sync) is writing, wait up to "
                       "this long for it instead of failing at once");
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
  // A scheduled sync of `meterbridge serve` holds it while it writes: by default this run
  // fails at once naming the holder; --wait makes it wait for it.
  std::unique_ptr<store::RunLock> lock;
  if (!request.dry_run) {
    try {
      lock = store::wait_for_run_lock(
          store_path(context), "meterbridge " + request.command,
          std::chrono::seconds(request.wait_seconds), [&](const std::string& busy) {
            std::cerr << "meterbridge " << request.command << ": " << busy << "; waiting up to "
                      << request.wait_seconds << " s\n";
          });
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

  std::string run_name = request.command + " " + plan.period;
  if (!request.customer.empty()) run_name += " customer " + request.customer;
  SyncRunResult result = sync_plan(host, config, *store, plan, {run_name, request.dry_run, sinks});
  for (const auto& e : result.sink_errors)
    std::cerr << "meterbridge " << request.command << ": " << e << '\n';
  failed = failed || result.failed;
  config_error = config_error || result.config_error;
  const int64_t run = result.run, writes = result.writes;
  json reports = json::array();
  TextTable t({"COMPANY", "LINE", "BEFORE", "DELTA", "PLANNED", "AFTER", "ACTION", "MESSAGE"});
  for (const engine::SyncReport& r : result.reports) {
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
  const json& unsynced = result.unsynced;
  for (const auto& u : unsynced) {
    const std::string psa = u["psa"].get<std::string>();
    t.add_row(
        {psa + "/" + u["company"].get<std::string>() + " " + u["company_name"].get<std::string>(),
         u["line"].get<std::string>(), "?", "-", format_quantity(u["planned"].get<double>()), "?",
         "skipped", "no enabled sink instance named '" + psa + "'"});
  }

  json collected_json = json::array();
  for (const auto& c : collected) collected_json.push_back(day_collection_to_json(c));
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
  if (p.vm.count("wait")) {
    r.wait_seconds = p.vm["wait"].as<int64_t>();
    if (r.wait_seconds < 0 || r.wait_seconds > 86400)
      usage_error("--wait: expected seconds from 0 to 86400");
  }
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
                 "[--sink INSTANCE] [--wait SECONDS] [--format table|json]\n\n"
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
                 "[--no-collect] [--sink INSTANCE] [--wait SECONDS] [--format table|json]\n\n"
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
