#include "service/service_jobs.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "engine/plan.hpp"
#include "runtime/collector.hpp"
#include "runtime/summary_run.hpp"
#include "runtime/sync_run.hpp"
#include "service/schedule.hpp"

namespace meterbridge::host::service {
using nlohmann::json;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string outcome_of(size_t failed, size_t total, bool cancelled) {
  if (cancelled) return "cancelled";
  if (failed == 0) return "ok";
  return failed == total ? "failed" : "partial";
}

}  // namespace

std::vector<engine::Day> collect_days(const std::vector<engine::Day>& slot_days,
                                      engine::Day oldest) {
  std::set<engine::Day> days;
  for (engine::Day d : slot_days) {
    if (d - 1 >= oldest) days.insert(d - 1);
    if (d >= oldest) days.insert(d);
  }
  return {days.begin(), days.end()};
}

JobOutcome run_collect_job(PluginHost& host, const Config& config, store::BillingStore& store,
                           const std::vector<engine::Day>& days, engine::Day today,
                           const std::vector<std::string>& only_sources) {
  JobOutcome out;
  json sources = json::array();
  size_t failed = 0, total = 0;
  int64_t run = store.journal().begin_run("serve collect");
  for (const InstanceConfig* source :
       enabled_instances(host, config, MB_KIND_SOURCE, only_sources)) {
    if (host.cancelled()) break;
    ++total;
    const auto start = std::chrono::steady_clock::now();
    InstanceRun r{source->name, "source", source->plugin, {}, 0, true, "", 0, {}};
    json per_day = json::array();
    for (const DayCollection& c : collect_usage(host, config, store, {source->name}, days, run)) {
      json entry = day_collection_to_json(c);
      if (!c.ok && c.status == MB_E_UNSUPPORTED && c.day < today) {
        // A source of current counts: the day stays missing (the plan says missing-days).
        entry["ok"] = true;
        entry["skipped"] = "the source only answers today";
      } else if (!c.ok) {
        r.ok = false;
        r.error = c.error;
      }
      r.records += c.ok ? c.records : 0;
      per_day.push_back(std::move(entry));
    }
    r.duration_seconds = seconds_since(start);
    r.finished_at = host_now();
    if (!r.ok) {
      ++failed;
      out.failed_sources.push_back(source->name);
      spdlog::warn("collect: source {} failed: {}", source->name, r.error);
    }
    sources.push_back({{"source", source->name}, {"ok", r.ok}, {"days", per_day}});
    out.instances.push_back(std::move(r));
  }
  out.result = outcome_of(failed, total, host.cancelled());
  json days_json = json::array();
  for (engine::Day d : days) days_json.push_back(engine::format_iso_date(d));
  out.detail = {{"days", days_json}, {"sources", sources}};
  store.journal().finish_run(run, out.result == "ok" ? "ok" : "failed", out.detail.dump());
  return out;
}

SyncTargets sync_targets(const std::vector<engine::Day>& slot_days, engine::Day today, bool daily,
                         const std::set<int32_t>& billing_days) {
  SyncTargets targets;
  for (engine::Day d : slot_days) {
    for (int32_t bd : billing_days) {
      // The billing day closes the period that ran up to the day before it.
      if (engine::billing_date(engine::year_month_of(d), bd) == d)
        targets[engine::period_containing(d - 1, bd)].insert(bd);
    }
  }
  if (daily) {
    for (int32_t bd : billing_days) targets[engine::period_containing(today, bd)].insert(bd);
  }
  return targets;
}

std::set<int32_t> billing_days_in_use(store::BillingStore& store) {
  std::set<int32_t> days = {engine::global_billing_day(store.mapping())};
  for (const auto& o : store.mapping().overrides()) {
    if (o.billing_day) days.insert(*o.billing_day);
  }
  return days;
}

JobOutcome run_sync_job(PluginHost& host, const Config& config, store::BillingStore& store,
                        const SyncTargets& targets, engine::Day today) {
  JobOutcome out;
  json periods = json::array();
  std::map<std::string, InstanceRun> sinks;
  const auto sink_list = enabled_instances(host, config, MB_KIND_SINK, {});
  bool failed = false;
  for (const auto& [period, days] : targets) {
    if (host.cancelled()) break;
    const auto start = std::chrono::steady_clock::now();
    // What the period needs collected first (its last day, or today while it runs).
    std::set<engine::Day> to_collect;
    for (int32_t bd : days) {
      if (auto d = day_to_collect(today, period, bd)) to_collect.insert(*d);
    }
    for (engine::Day d : to_collect) {
      for (const DayCollection& c : collect_missing(host, config, store, d)) {
        if (!c.ok)
          spdlog::warn("sync: collecting {} for {} failed: {}", c.instance,
                       engine::format_iso_date(c.day), c.error);
      }
    }
    engine::Plan plan = engine::build_plan(store, period, today);
    std::erase_if(plan.lines,
                  [&](const engine::PlanLine& l) { return days.count(l.billing_day) == 0; });
    json days_json = json::array();
    for (int32_t bd : days) days_json.push_back(bd);
    json entry = {
        {"period", plan.period}, {"billing_days", days_json}, {"lines", plan.lines.size()}};
    if (plan.lines.empty()) {
      entry["result"] = "nothing to sync";
      periods.push_back(entry);
      continue;
    }
    std::string name = "serve sync " + plan.period + " (billing day";
    for (int32_t bd : days) name += " " + std::to_string(bd);
    SyncRunResult result = sync_plan(host, config, store, plan, {name + ")", false, sink_list});
    failed = failed || result.failed;
    entry["run"] = result.run;
    entry["writes"] = result.writes;
    entry["ok"] = !result.failed;
    if (!result.sink_errors.empty()) entry["sink_errors"] = result.sink_errors;
    for (const engine::SyncReport& r : result.reports) {
      InstanceRun& s = sinks[r.psa];
      if (s.instance.empty()) {
        s.instance = r.psa;
        s.kind = "sink";
        s.ok = true;
        if (const InstanceConfig* inst = config.find_instance(r.psa)) s.plugin = inst->plugin;
      }
      s.duration_seconds += seconds_since(start);
      s.finished_at = host_now();
      if (r.errors > 0 || !r.stopped.empty()) {
        s.ok = false;
        s.error = r.stopped.empty() ? std::to_string(r.errors) + " line(s) in error" : r.stopped;
      }
      int64_t written = 0;
      for (const auto& l : r.lines) {
        written += l.action == "create" || l.action == "update" || l.action == "cancel";
      }
      s.lines["written"] += written;
      s.lines["held"] += r.held;
      s.lines["error"] += r.errors;
      s.lines["duplicate"] += r.duplicates;
    }
    periods.push_back(entry);
  }
  for (auto& [name, run] : sinks) out.instances.push_back(std::move(run));
  out.result = host.cancelled() ? "cancelled" : failed ? "failed" : "ok";
  out.detail = {{"periods", periods}};
  return out;
}

JobOutcome run_summaries_job(const Config& config, const std::filesystem::path& data_dir,
                             store::BillingStore& store, const std::vector<engine::Day>& slot_days,
                             const std::function<bool()>& cancelled) {
  JobOutcome out;
  int sent = 0, failed = 0;
  nlohmann::json all = nlohmann::json::array();
  for (engine::Day day : slot_days) {
    SummaryOptions o;
    o.send_day = day;
    o.cancelled = cancelled;
    o.due = [day](const Recurrence& r) { return occurs_on(r, day); };
    for (const auto& s : run_summaries(config, data_dir, store, o)) {
      sent += s.state == "sent";
      failed += s.state == "failed";
      all.push_back({{"company", s.psa + "/" + s.company_id},
                     {"kind", s.kind},
                     {"period", s.period},
                     {"state", s.state},
                     {"ref", s.ref},
                     {"message", s.message}});
    }
    if (cancelled && cancelled()) {
      out.result = "cancelled";
      break;
    }
  }
  if (out.result != "cancelled" && failed) out.result = sent ? "partial" : "failed";
  out.detail = {{"summaries", all}, {"sent", sent}, {"failed", failed}};
  return out;
}

}  // namespace meterbridge::host::service
