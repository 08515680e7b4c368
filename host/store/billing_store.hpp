// The billing store: one SQLite file (WAL, foreign keys, mode 0600, migrated on open) behind
// narrow per-area interfaces, so a server database could stand in for it later.
#pragma once

#include <filesystem>

#include "store/journal_store.hpp"
#include "store/mapping_store.hpp"
#include "store/sqlite_db.hpp"
#include "store/usage_store.hpp"

namespace meterbridge::host::store {

class BillingStore {
 public:
  explicit BillingStore(const std::filesystem::path& file);

  Database& db() { return db_; }
  UsageStore& usage() { return usage_; }
  MappingStore& mapping() { return mapping_; }
  JournalStore& journal() { return journal_; }

 private:
  Database db_;
  UsageStore usage_;
  MappingStore mapping_;
  JournalStore journal_;
};

}  // namespace meterbridge::host::store
