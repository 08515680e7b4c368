// What `meterbridge insights` keeps and reads beyond the other stores: the customers known at
// its last run (to tell new ones), and the journal's open findings (held lines, duplicates).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/journal_store.hpp"
#include "store/sqlite_db.hpp"

namespace meterbridge::host::store {

class InsightsStore {
 public:
  explicit InsightsStore(Database& db) : db_(db) {}

  // When insights last ran (UTC instant); nullopt before the first run.
  std::optional<std::string> last_run();
  // The (source, customer id) of every vendor customer known at the last run.
  std::set<std::pair<std::string, std::string>> known_customers();
  // Records this run: its time, and every vendor customer now stored as known.
  void record_run();

  // Lines whose latest outcome (per line and period) has `status` ("held", "duplicate"); held
  // lines approved after that outcome are left out (the next sync releases them).
  std::vector<JournalEntry> open_findings(const std::string& status);

 private:
  Database& db_;
};

}  // namespace meterbridge::host::store
