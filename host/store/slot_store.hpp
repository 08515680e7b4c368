// The service's schedule slots: which (job, local day) ran, when, and how it ended. This is what
// makes "nothing runs twice for the same slot" hold across restarts and crashes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite_db.hpp"

namespace meterbridge::host::store {

struct SlotRecord {
  std::string job;   // "collect", "sync", ...
  std::string slot;  // the local day, YYYY-MM-DD
  std::string due_at;
  std::string started_at;
  std::optional<std::string> finished_at;  // absent: started, never finished (a crash)
  std::optional<std::string> result;       // ok, partial, failed, cancelled
  int64_t attempts = 1;
  std::optional<int64_t> duration_ms;
  std::string detail;  // JSON text: what the run did (sources, failures, periods)
};

class SlotStore {
 public:
  explicit SlotStore(Database& db) : db_(db) {}

  std::optional<SlotRecord> find(const std::string& job, const std::string& slot);
  // Records that a slot starts (a first attempt, or one more attempt of a failed one).
  void start(const std::string& job, const std::string& slot, const std::string& due_at);
  void finish(const std::string& job, const std::string& slot, const std::string& result,
              int64_t duration_ms, const std::string& detail);
  // The latest slots of a job (by slot, newest first).
  std::vector<SlotRecord> latest(const std::string& job, int64_t limit);
  // How many slots of a job ended with each result.
  std::vector<std::pair<std::string, int64_t>> result_counts(const std::string& job);

  // When the service first started on this store (UTC instant); set once.
  std::string first_start(const std::string& now_iso);

 private:
  Database& db_;
};

}  // namespace meterbridge::host::store
