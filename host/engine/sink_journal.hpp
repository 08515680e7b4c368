// The journal entries sink sync and approvals write for a plan line, shared by sink_sync.cpp
// and sink_report.cpp.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "engine/plan.hpp"
#include "store/journal_store.hpp"

namespace meterbridge::host::engine {

// The line's method, rounding, measured and included quantities and its sources: what a
// journal intent records so that every write can be traced to the usage behind it.
nlohmann::json line_provenance(const PlanLine& l);

// An entry of `kind` (intent, outcome, approval) for the line, at its planned quantity.
store::JournalEntry journal_entry_for(const PlanLine& l, int64_t run_id, const char* kind);

}  // namespace meterbridge::host::engine
