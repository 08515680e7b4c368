// The service's jobs: a scheduled collect and a scheduled sync. They call the same runtime
// functions as `meterbridge collect` and `meterbridge sync` (runtime/collector.hpp,
// runtime/sync_run.hpp); what the service adds is which days and periods a slot covers.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "engine/calendar.hpp"
#include "runtime/plugin_host.hpp"
#include "services/host_clock.hpp"
#include "store/billing_store.hpp"

namespace meterbridge::host::service {

// One instance's part in a job, for the metrics and `status`.
struct InstanceRun {
  std::string instance;
  std::string kind;  // source or sink
  std::string plugin;
  TimePoint finished_at;
  double duration_seconds = 0;
  bool ok = false;
  std::string error;
  int64_t records = 0;                   // source: records stored by this run
  std::map<std::string, int64_t> lines;  // sink: written, held, error, duplicate
};

struct JobOutcome {
  std::string result = "ok";  // ok, partial (some failed), failed (all failed), cancelled
  nlohmann::json detail = nlohmann::json::object();
  std::vector<InstanceRun> instances;
  std::vector<std::string> failed_sources;  // collect: what a retry within the day runs again
};

// The days a collect of these slots asks for: each slot's day and the day before it (the day
// that just ended), the days before `oldest` left out.
std::vector<engine::Day> collect_days(const std::vector<engine::Day>& slot_days,
                                      engine::Day oldest);

// Collects `days` from every enabled source (only `only_sources` when not empty). A past day a
// source cannot answer (MB_E_UNSUPPORTED: it only knows current counts, PROTOCOL.md P6.9) is
// skipped and stays missing in the plan; it is not a failure.
JobOutcome run_collect_job(PluginHost& host, const Config& config, store::BillingStore& store,
                           const std::vector<engine::Day>& days, engine::Day today,
                           const std::vector<std::string>& only_sources);

// What one sync covers: period -> the billing days (global or a company's own) synced in it.
using SyncTargets = std::map<engine::YearMonth, std::set<int32_t>>;

// The companies whose billing day falls on one of `slot_days` sync the period that ended the day
// before (once, however many slots were missed); with `daily`, every company also syncs its
// running period as of `today`.
SyncTargets sync_targets(const std::vector<engine::Day>& slot_days, engine::Day today, bool daily,
                         const std::set<int32_t>& billing_days);

// The billing days in use: the global one and every company override's.
std::set<int32_t> billing_days_in_use(store::BillingStore& store);

// Syncs each target period into every enabled sink (same path as `meterbridge sync`), keeping
// only the lines of companies on the target's billing days.
JobOutcome run_sync_job(PluginHost& host, const Config& config, store::BillingStore& store,
                        const SyncTargets& targets, engine::Day today);

// Sends the summaries due on each slot day (each company's own recurrence, else the global one;
// same path as `meterbridge summaries send`): once per (company, kind, period), journaled.
JobOutcome run_summaries_job(const Config& config, const std::filesystem::path& data_dir,
                             store::BillingStore& store, const std::vector<engine::Day>& slot_days,
                             const std::function<bool()>& cancelled);

}  // namespace meterbridge::host::service
