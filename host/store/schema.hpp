// Schema migrations of the billing store (PRAGMA user_version).
#pragma once

#include <cstdint>

#include "store/sqlite_db.hpp"

namespace meterbridge::host::store {

// The version this build writes.
int32_t schema_version();
// Brings the file up to schema_version(); refuses a file from a newer meterbridge.
void migrate(Database& db);
// Brings the file up to version up_to only: the store tests build an older store with it to
// check that it upgrades.
void migrate(Database& db, int32_t up_to);

}  // namespace meterbridge::host::store
