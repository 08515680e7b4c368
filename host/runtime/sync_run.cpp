#include "runtime/sync_run.hpp"

#include <set>

namespace meterbridge::host {
using nlohmann::json;

engine::SyncOptions sync_options(const Config& config, store::BillingStore& store,
                                 const PluginHost& host, bool dry_run) {
  engine::SyncOptions o;
  o.dry_run = dry_run;
  o.hold_decrease_percent =
      std::stod(store.mapping().setting("hold_decrease_percent").value_or("20"));
  o.pending_grace_ms =
      config.sync.pending_grace_ms > 0 ? config.sync.pending_grace_ms : 4 * config.http.timeout_ms;
  o.stop_after_failures = config.sync.stop_after_failures;
  o.cancelled = [&host] { return host.cancelled(); };
  return o;
}

SyncRunResult sync_plan(PluginHost& host, const Config& config, store::BillingStore& store,
                        const engine::Plan& plan, const SyncRunRequest& request) {
  SyncRunResult out;
  const engine::SyncOptions o = sync_options(config, store, host, request.dry_run);
  out.run = request.dry_run ? 0 : store.journal().begin_run(request.run_name);
  std::set<std::string> synced;
  json reports = json::array();
  for (const InstanceConfig* sink : request.sinks) {
    synced.insert(sink->name);
    std::unique_ptr<RunningInstance> running;
    try {
      running = host.start(*sink);
    } catch (const InstanceError& e) {
      out.sink_errors.push_back(e.what());
      out.failed = true;
      out.config_error = out.config_error || e.status() == MB_E_CONFIG;
      continue;
    }
    engine::SinkCall call = [&](const std::string& op, const json& body) {
      return running->plugin->invoke(op, body.dump());
    };
    engine::SyncReport r = engine::sync_sink(store, plan, sink->name, call, o, out.run);
    out.failed = out.failed || r.errors > 0 || !r.stopped.empty();
    out.writes += r.writes;
    reports.push_back(engine::sync_report_to_json(r));
    out.reports.push_back(std::move(r));
  }
  for (const auto& l : plan.lines) {
    if (synced.count(l.psa)) continue;
    out.unsynced.push_back({{"psa", l.psa},
                            {"company", l.company_id},
                            {"company_name", l.company_name},
                            {"line", l.line_id},
                            {"planned", l.quantity}});
  }
  if (!request.dry_run) {
    store.journal().finish_run(out.run, out.failed ? "failed" : "ok",
                               json{{"sinks", reports}}.dump());
  }
  return out;
}

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
    summary.push_back(day_collection_to_json(r));
  }
  store.journal().finish_run(run, ok ? "ok" : "failed", summary.dump());
  return results;
}

std::optional<engine::Day> day_to_collect(engine::Day today, engine::YearMonth period,
                                          int32_t billing_day) {
  engine::Period dates = engine::billing_period(period, billing_day);
  if (today < dates.start) return std::nullopt;
  return std::min(today, dates.end);
}

json day_collection_to_json(const DayCollection& c) {
  return {{"source", c.instance},
          {"date", engine::format_iso_date(c.day)},
          {"ok", c.ok},
          {"records", c.records},
          {"error", c.ok ? json(nullptr) : json(c.error)}};
}

}  // namespace meterbridge::host
