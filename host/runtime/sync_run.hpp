// One sync of a plan into the enabled PSA sinks, journaled as one run: what `meterbridge sync`,
// `send-now` and the service's scheduled sync all call, so that a scheduled run and a manual one
// take exactly the same path. The caller holds the store's writer lock (store/run_lock.hpp).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/plan.hpp"
#include "engine/sink_sync.hpp"
#include "runtime/collector.hpp"

namespace meterbridge::host {

struct SyncRunRequest {
  std::string run_name;  // the journal run's name ("sync 2026-11", "serve sync 2026-11 ...")
  bool dry_run = false;
  std::vector<const InstanceConfig*> sinks;  // the sink instances to write (enabled ones)
};

struct SyncRunResult {
  int64_t run = 0;  // the journal run (0 for a dry run)
  std::vector<engine::SyncReport> reports;
  std::vector<std::string> sink_errors;               // sinks that could not start, with why
  nlohmann::json unsynced = nlohmann::json::array();  // lines of a PSA no enabled sink writes
  int64_t writes = 0;
  bool failed = false;
  bool config_error = false;
};

// The sync options from the config and the store's settings (hold threshold), with the host's
// cancellation: a shutdown stops between write batches.
engine::SyncOptions sync_options(const Config& config, store::BillingStore& store,
                                 const PluginHost& host, bool dry_run);

// Reconciles the plan into each requested sink, journaling one run (unless dry_run).
SyncRunResult sync_plan(PluginHost& host, const Config& config, store::BillingStore& store,
                        const engine::Plan& plan, const SyncRunRequest& request);

// Collects `day` from every enabled source that has not stored it yet (one journaled run): what
// a sync does first, so that it never writes yesterday's numbers when today's can be had.
std::vector<DayCollection> collect_missing(PluginHost& host, const Config& config,
                                           store::BillingStore& store, engine::Day day);

// The day a sync of `period` needs collected: today while the period runs, else its last day;
// nullopt for a period that has not started.
std::optional<engine::Day> day_to_collect(engine::Day today, engine::YearMonth period,
                                          int32_t billing_day);

// A collection as JSON ({"source", "date", "ok", "records", "error"}).
nlohmann::json day_collection_to_json(const DayCollection& c);

}  // namespace meterbridge::host
