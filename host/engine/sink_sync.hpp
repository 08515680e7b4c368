// Reconciling a plan into one PSA sink: read what the PSA holds, decide per line (none, write,
// or hold for approval), journal the intent, let the sink write, journal the outcome.
//
// Crash safety: an intent without an outcome means a run stopped mid-write. The next run
// re-reads the PSA (the sink never trusts memory), records what it found as "recovered", and
// writes only what is still missing, so nothing is billed twice.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/plan.hpp"
#include "loader/plugin_instance.hpp"
#include "store/billing_store.hpp"

namespace meterbridge::host::engine {

// Calls one operation of the sink instance (PluginInstance::invoke in the host, a fake in tests).
using SinkCall = std::function<CallResult(const std::string& op, const nlohmann::json& request)>;

// The largest apply batch: enough to spare a sink a re-read per few lines, small enough that
// intents are not journaled far ahead of their writes.
constexpr size_t kMaxApplyBatch = 256;

struct SyncOptions {
  bool dry_run = false;
  // A decrease of more than this percentage of what the PSA holds is held for approval.
  double hold_decrease_percent = 20;
  // A create whose outcome is unknown (no answer) is not sent again for this long after its
  // last journal entry: the line is `pending` while the PSA may still be writing it. For a
  // sink of quantity model "delta" this holds for any write (create, update, cancel), and for
  // an intent a crash left without outcome, unless the PSA already holds what it wanted.
  int64_t pending_grace_ms = 120000;
  // After this many lines in a row fail for a run-wide reason (transient, rate-limited, auth,
  // no answer), the run stops writing to the sink; the lines left are `not-attempted`. It is
  // also the size of the first apply batch and of every batch after a run-wide failure; a
  // batch without one doubles the next, up to kMaxApplyBatch lines.
  int32_t stop_after_failures = 5;
  // The wall clock in Unix milliseconds (the journal's times are wall-clock UTC); tests set it.
  std::function<int64_t()> now_ms;
  // True once the host is shutting down: no further write batch starts (SIGTERM of serve).
  std::function<bool()> cancelled;
};

struct SyncLineResult {
  std::string psa;
  std::string company_id;
  std::string company_name;
  std::string line_id;
  std::string period;
  std::optional<double> before;  // what the PSA held (absent: no line)
  double planned = 0;
  std::optional<double> after;  // what it holds after the run (dry-run: would hold)
  // none, create, update, cancel, held, pending (an earlier create may still land), duplicate
  // (several owned PSA lines; nothing written until resolved), not-attempted (the sink kept
  // failing), error
  std::string action;
  std::string message;
  std::string ref;
};

struct SyncReport {
  std::string psa;
  std::vector<SyncLineResult> lines;
  int64_t writes = 0;  // lines the sink was asked to write
  int64_t held = 0;
  int64_t errors = 0;
  int64_t recovered = 0;  // intents of an interrupted run, completed by reading the PSA
  int64_t pending = 0;
  int64_t duplicates = 0;
  int64_t not_attempted = 0;
  std::string stopped;  // why the run stopped writing to this sink early; "" when it did not
};

// Syncs the plan's lines of PSA `psa` through `call`: read, decide, write (see sink_sync.cpp).
// Journal entries carry run_id.
SyncReport sync_sink(store::BillingStore& store, const Plan& plan, const std::string& psa,
                     const SinkCall& call, const SyncOptions& options, int64_t run_id);

// Appends an approval for each held line of the plan matching company/line ("" = all), at the
// plan's quantity. Returns how many lines were approved.
int64_t approve_lines(store::BillingStore& store, const Plan& plan, const std::string& company_id,
                      const std::string& line_id, int64_t run_id);

// The signed change of a line: after - before for a write (a create from nothing), planned -
// before otherwise; nullopt when unknown (a write without an answer, a failed read).
std::optional<double> sync_line_delta(const SyncLineResult& r);

nlohmann::json sync_report_to_json(const SyncReport& report);

}  // namespace meterbridge::host::engine
