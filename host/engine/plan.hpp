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

// One vendor series' contribution to a line.
struct PlanSource {
  std::string source;
  std::string customer_id;
  std::string customer_name;
  std::string sku;
  std::string metric;
  double quantity = 0;  // the method's result for this series
  int32_t days_with_data = 0;
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
  double measured = 0;  // sum of the sources' quantities
  double included = 0;  // included units subtracted
  double quantity = 0;  // what should be billed: sum over mappings of max(0, measured - included)
  std::string method;   // the quantity method (or several, comma-separated)
  std::string tracking;
  std::optional<double> unit_price;
  bool complete = true;  // false while the period has not ended
  // Billed before, but no usage at all this period from its (fully collected) sources: planned
  // at 0, so that the sink holds the drop and, once approved, cancels.
  bool no_usage = false;
  std::vector<PlanSource> sources;
};

// Usage that is not billed, and why. kind: unmapped-customer, unmapped-product,
// mapping-removed, psa-mismatch, sync-off, unbilled-metric, excluded, ambiguous-metric,
// missing-days.
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
Plan build_plan(store::BillingStore& store, YearMonth period, Day today);

// The global billing day (1 when never set) and the decrease threshold for holding.
int32_t global_billing_day(store::MappingStore& mapping);

// The plan as JSON ("plan.v1"): {"schema", "period", "today", "lines": [...], "exceptions":
// [...]}, streamed to out.
void write_plan_json(std::ostream& out, const Plan& plan);
nlohmann::json plan_line_to_json(const PlanLine& l);
nlohmann::json plan_source_to_json(const PlanSource& s);
nlohmann::json plan_exception_to_json(const PlanException& e);

}  // namespace meterbridge::host::engine
