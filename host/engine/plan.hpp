// The plan: for one billing period, the quantity each (PSA company, PSA line) should be billed,
// with its provenance, and every piece of usage left out with the reason.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/calendar.hpp"
#include "store/billing_store.hpp"

namespace meterbridge::host::engine {

// One vendor series feeding a line: the per-source breakdown kept as provenance. The line's
// quantity is NOT the sum of these: the method applies to the line's daily total.
struct PlanSource {
  std::string source;
  std::string customer_id;
  std::string customer_name;
  std::string sku;
  std::string metric;
  double quantity = 0;           // the line's method applied to this series alone
  int32_t days_with_data = 0;    // days with a value: a snapshot, or 0 on a collected day after one
  std::optional<Day> first_day;  // first and last day with a snapshot in the period
  std::optional<Day> last_day;
  std::optional<Day> determining_day;  // last: the last day; max: the day of the maximum
};

struct PlanLine {
  std::string psa;
  std::string company_id;
  std::string company_name;
  std::string line_id;
  std::string line_name;
  std::string period;  // YYYY-MM
  Period dates;
  int32_t billing_day = 1;
  double measured = 0;  // the method over the line's daily total (all feeding series summed)
  double included = 0;  // included units subtracted (once per line)
  double quantity = 0;  // what should be billed: measured - included, >= 0, then rounded
  std::string method;   // the quantity method all the line's mappings share
  std::string tracking;
  std::string rounding;                // up, down, nearest or none
  std::optional<Day> determining_day;  // last: the last day; max: the day the peak was reached
  std::optional<double> unit_price;
  bool complete = true;  // false while the period has not ended
  // Billed before, but no usage at all this period from its (fully collected) sources: planned
  // at 0, so that the sink holds the drop and, once approved, cancels.
  bool no_usage = false;
  std::vector<PlanSource> sources;
  // The container the sink is told to write into (`psa target`): the line's own agreement, else
  // the company's; empty when the sink chooses (its agreement_type rule). target_from is "line"
  // or "company"; target_name is the agreement's name when the store knows it.
  std::string target;
  std::string target_from;
  std::string target_name;
};

// Usage that is not billed, and why. kind: unmapped-customer, unmapped-product,
// mapping-removed, psa-mismatch, sync-off, unbilled-metric, excluded, ambiguous-metric,
// conflicting-rules (mappings into one line disagree on method, tracking or rounding),
// missing-days, duplicate (the last sync found several owned PSA lines for one company line:
// `sku` holds the line, `quantity` the units billed too many).
struct PlanException {
  std::string kind;
  std::string source;
  std::string customer_id;
  std::string customer_name;
  std::string sku;
  std::string metric;
  std::string psa;
  std::string company_id;
  double quantity = 0;  // the usage measured for the period (the product's method, else max)
  std::string reason;
};

struct Plan {
  std::string period;
  Day today = 0;
  std::vector<PlanLine> lines;  // sorted by psa, company, line
  std::vector<PlanException> exceptions;
};

// Builds the plan of `period` from the store. `today` (in the operator's zone) tells complete
// periods from running ones and which days should have been collected.
//
// The billing rules (README "Billing rules"):
// - Zero days: a collect answers the whole day (P6.1), so on a day its source collected, a
//   series that had a snapshot earlier in the period and none that day counts 0. A day its source
//   did not collect has no data (and is reported as missing-days).
// - Consolidation: the series feeding one (company, line) are summed per day (a day counts when
//   every feeding source collected it; with monthly tracking, each series' month snapshot is
//   summed per month) and the method applies to that daily total, so a line bills what the
//   customer used at once, not the sum of each series' peak.
// - Included units: once per line (the largest of the feeding mappings' values).
// - Rounding: after included units, by the mappings' rule (default up for prorated and
//   average, none otherwise). Mappings into one line must agree on method, tracking and
//   rounding; when they do not, the line is left out as conflicting-rules.
Plan build_plan(store::BillingStore& store, YearMonth period, Day today);

// The units a journaled duplicate finding says the PSA bills too many (0 when unknown).
double duplicate_extra(const store::JournalEntry& finding);

// The global billing day (1 when never set) and the decrease threshold for holding.
int32_t global_billing_day(store::MappingStore& mapping);

// The plan as JSON ("plan.v1"): {"schema", "period", "today", "lines": [...], "exceptions":
// [...]}, streamed to out.
void write_plan_json(std::ostream& out, const Plan& plan);
nlohmann::json plan_line_to_json(const PlanLine& l);
nlohmann::json plan_source_to_json(const PlanSource& s);
nlohmann::json plan_exception_to_json(const PlanException& e);

}  // namespace meterbridge::host::engine
