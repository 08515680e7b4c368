// The sink protocol's line messages as the host sends and reads them (PROTOCOL.md section 6,
// sink plugins): line addresses, calling an operation and indexing its answer by key, and the
// optional fields of an answer line (duplicates, uncertain writes, error classes).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/calendar.hpp"
#include "engine/sink_sync.hpp"

namespace meterbridge::host::engine {

// {"key", "company_id", "line_id", "period", "period_start", "period_end", "target"?}; target
// (the operator's explicit container for the line or company, `psa target`) only when not
// empty.
nlohmann::json sink_line_address(const std::string& key, const std::string& company,
                                 const std::string& line, const std::string& period, Day start,
                                 Day end, const std::string& target = "");

// Calls op with {"lines": lines} plus the fields of `extra` (an object or null) and returns the
// answer's lines by key. Throws with the sink's message when the call fails; `failure`, when
// given, receives the failed call's status.
std::map<std::string, nlohmann::json> call_sink_lines(const SinkCall& call, const std::string& psa,
                                                      const std::string& op,
                                                      const nlohmann::json& lines,
                                                      std::optional<CallResult>* failure = nullptr,
                                                      const nlohmann::json& extra = nullptr);

// field as a number; nullopt when absent or null; throws when it is something else.
std::optional<double> sink_number(const nlohmann::json& line, const char* field);

// One more PSA line the sink owns for a target that should have one (read answer "duplicates").
struct SinkDuplicate {
  std::string ref;
  double quantity = 0;
  std::optional<int64_t> intent_id;  // the journal intent that created it, when the sink knows
};
// The read answer line's "duplicates" (absent: none); throws when malformed.
std::vector<SinkDuplicate> sink_duplicates(const nlohmann::json& line);

// True for the classes that will fail the next line too: transient, rate-limited, auth.
bool sink_status_is_run_wide(mb_status status);
// The same for an apply answer line's "error_class" ("transient", "rate-limited", "auth", ...).
bool sink_error_class_is_run_wide(const std::string& error_class);

}  // namespace meterbridge::host::engine
