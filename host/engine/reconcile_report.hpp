// The reconciliation report: per planned line, the measured quantity, the planned one, the last
// quantity known to be billed in the PSA (from the journal), the difference and its money
// value; and the usage that is not billed (unmapped customers and products) with its amount.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/plan.hpp"
#include "store/journal_store.hpp"

namespace meterbridge::host::engine {

struct ReconcileLine {
  const PlanLine* line = nullptr;
  std::optional<double> billed;      // last known PSA quantity; absent: unknown
  std::string billed_at;             // when it was learned
  std::optional<double> difference;  // planned - billed
  std::optional<double> money;       // difference * unit price
  std::optional<double> value;       // planned * unit price: what the line should bill
  std::string duplicate;             // the last sync found duplicates: what it said
};

struct ReconcileReport {
  const Plan* plan = nullptr;
  std::vector<ReconcileLine> lines;
  double money_total = 0;     // of the lines with a known price and billed quantity
  double value_total = 0;     // planned value of the lines with a known price
  int64_t lines_unknown = 0;  // never billed through meterbridge
  int64_t lines_differing = 0;
  int64_t lines_duplicated = 0;  // the PSA holds several owned lines for one target
};

ReconcileReport build_reconcile_report(const Plan& plan, store::JournalStore& journal);
nlohmann::json reconcile_report_to_json(const ReconcileReport& report);

}  // namespace meterbridge::host::engine
