// Runs and the append-only journal: every PSA write is an intent before and an outcome after,
// tied to the run and to the usage that produced it (provenance).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite_db.hpp"

namespace meterbridge::host::store {

struct JournalEntry {
  int64_t id = 0;
  int64_t run_id = 0;
  std::string at;     // UTC instant
  std::string entry;  // intent, outcome, approval, recovered
  std::string psa;
  std::string company_id;
  std::string line_id;
  std::string period;  // YYYY-MM
  int32_t period_start = 0;
  int32_t period_end = 0;
  std::optional<double> before_qty;   // what the PSA held
  std::optional<double> desired_qty;  // what the plan wanted
  std::optional<double> after_qty;    // what the PSA holds after the write
  std::string action;                 // none, update, create, cancel, held, error
  std::string status;                 // outcome: ok, error, held, uncertain, duplicate
  std::string ref;                    // the PSA object written (addition id, ...)
  std::string message;
  std::string provenance;  // JSON: the plan line's sources
  std::optional<int64_t> intent_id;
};

struct RunInfo {
  int64_t id = 0;
  std::string command;
  std::string started_at;
  std::optional<std::string> finished_at;
  std::string status;  // running, ok, failed (a run left "running" was interrupted)
  std::string summary;
};

class JournalStore {
 public:
  explicit JournalStore(Database& db) : db_(db) {}

  int64_t begin_run(const std::string& command);
  void finish_run(int64_t run_id, const std::string& status, const std::string& summary_json);
  std::vector<RunInfo> runs(int64_t limit);

  // Appends one entry (its id and time are set here) and returns its id.
  int64_t append(JournalEntry entry);

  struct Filter {
    std::string period;  // "" = all
    std::string company_id;
    std::string line_id;
    int64_t run_id = 0;  // 0 = all
    int64_t limit = 0;   // 0 = all
  };
  std::vector<JournalEntry> entries(const Filter& filter);
  // Intents with no outcome or recovery: a run stopped between the two.
  std::vector<JournalEntry> pending_intents();
  // The latest successful outcome for a line and period: what we last know the PSA held.
  std::optional<JournalEntry> last_known(const std::string& psa, const std::string& company_id,
                                         const std::string& line_id, const std::string& period);
  // The latest entry of any kind for a line and period.
  std::optional<JournalEntry> latest(const std::string& psa, const std::string& company_id,
                                     const std::string& line_id, const std::string& period);
  std::optional<JournalEntry> last_approval(const std::string& psa, const std::string& company_id,
                                            const std::string& line_id, const std::string& period);
  // The latest outcome (entry 'outcome') for a line and period.
  std::optional<JournalEntry> latest_outcome(const std::string& psa, const std::string& company_id,
                                             const std::string& line_id, const std::string& period);
  // The latest create intent of a line whose outcome is unknown: no outcome at all, or one with
  // status 'uncertain' (the write was sent and no answer came; it may still land). Its `at` is
  // the time of its uncertain outcome, else its own: a later run's 'recovered' entry does not
  // move it. nullopt when every create of the line was settled.
  std::optional<JournalEntry> unsettled_create(const std::string& psa,
                                               const std::string& company_id,
                                               const std::string& line_id,
                                               const std::string& period);
  // For sinks that take signed changes (delta model), where any write sent again may bill
  // twice: the line's latest write intent (create, update or cancel) when its outcome is
  // unknown in the same sense; its `at` as above. nullopt when that latest write was settled.
  std::optional<JournalEntry> unsettled_write(const std::string& psa, const std::string& company_id,
                                              const std::string& line_id,
                                              const std::string& period);
  // The lines of `period` whose latest outcome found duplicates (status 'duplicate').
  std::vector<JournalEntry> open_duplicates(const std::string& period);
  // For every line ever written, its latest successful outcome in a period up to `period`
  // (latest period first, then latest entry): what meterbridge last left the PSA billing.
  std::vector<JournalEntry> last_known_lines(const std::string& period);

 private:
  // Sets an unsettled intent's `at` to the time of its latest (uncertain) outcome, if later.
  void set_unsettled_time(JournalEntry& intent);
  // The latest entry for a line and period that also meets `condition` (fixed SQL text).
  std::optional<JournalEntry> latest_where(const std::string& condition, const std::string& psa,
                                           const std::string& company_id,
                                           const std::string& line_id, const std::string& period);

  Database& db_;
};

}  // namespace meterbridge::host::store
