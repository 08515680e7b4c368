// Sending summaries to the PSA (`meterbridge summaries send` and the service's summaries job):
// the detection counts the sources answer (operation `detections`, detections.v1) summed per
// mapped PSA company, and the monthly executive summary; each sent through the company's sink
// (operation `post_summary`) once per (company, kind, period), journaled in the store before
// the sink is asked so that a retry after a crash reuses the intent and the sink finds its
// ticket instead of opening a second one.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "engine/calendar.hpp"
#include "engine/summary_text.hpp"
#include "store/billing_store.hpp"

namespace meterbridge::host {

struct SummaryOptions {
  std::string kind = "all";  // detection, executive or all
  engine::Day send_day = 0;  // the periods are the ones that ended before this day
  std::string company;       // "" every mapped company
  // The service: only companies whose recurrence falls on send_day (null: every company).
  std::function<bool(const Recurrence&)> due;
  bool dry_run = false;  // say what would be sent, send and journal nothing
  std::function<bool()> cancelled;
};

struct SummaryOutcome {
  std::string psa;
  std::string company_id;
  std::string company_name;
  std::string kind;
  std::string period;
  // sent, already-sent (journaled before: nothing asked), would-send (dry run), skipped (nothing
  // to say, or no schedule), failed
  std::string state;
  int64_t intent_id = 0;
  std::string action;  // the sink's: create or none (it found the ticket of the intent)
  std::string delivery;
  std::string ref;
  std::string summary;
  std::string message;
  std::string html;  // executive: the page written under the data directory
};

std::vector<SummaryOutcome> run_summaries(const Config& config,
                                          const std::filesystem::path& data_dir,
                                          store::BillingStore& store, const SummaryOptions& o);

// The detection counts every enabled source answers for one PSA company over a month (summed
// over its mapped customers); nothing when no source has any for it. Throws when a source
// fails.
std::optional<engine::CompanyDetections> month_detections(
    const Config& config, const std::filesystem::path& data_dir, store::BillingStore& store,
    const std::string& psa, const std::string& company, engine::YearMonth month);

// What a run reports, as JSON (summaries.v1).
nlohmann::json summary_outcomes_to_json(const std::vector<SummaryOutcome>& outcomes);

// Where the executive page of a company and month is written.
std::filesystem::path executive_page_path(const std::filesystem::path& data_dir,
                                          const std::string& psa, const std::string& company,
                                          const std::string& period);

}  // namespace meterbridge::host
