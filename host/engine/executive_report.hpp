// The executive summary of one PSA company for one month: the month's usage per product, what
// was billed and its value, the email-security detections, and the usage of the months before
// for the charts. Built from the plan and the journal (what meterbridge billed), so that it
// says what the invoice says.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/calendar.hpp"
#include "engine/summary_text.hpp"
#include "store/billing_store.hpp"

namespace meterbridge::host::engine {

struct ExecutiveProduct {
  std::string line_id;
  std::string line_name;
  double quantity = 0;           // planned for the month
  std::optional<double> billed;  // last known in the PSA (journal); absent: never billed
  std::optional<double> unit_price;
  std::optional<double> value;  // quantity * unit price
  std::vector<double> history;  // planned quantity per month of ExecutiveReport::months
};

struct ExecutiveReport {
  std::string psa;
  std::string company_id;
  std::string company_name;
  std::string period;  // YYYY-MM
  Period dates;
  std::vector<ExecutiveProduct> products;
  std::optional<double> total_value;            // absent when no product has a price
  std::optional<CompanyDetections> detections;  // absent: no email-security product
  std::vector<std::string> months;              // the chart's months, oldest first, `period` last
};

// Throws std::runtime_error when the store has no plan line for the company in any of the
// months (an unknown company, or one never mapped).
ExecutiveReport build_executive_report(store::BillingStore& store, const std::string& psa,
                                       const std::string& company, YearMonth month, Day today,
                                       int32_t months_back = 6);

std::string executive_title(const ExecutiveReport& r);
std::string executive_text(const ExecutiveReport& r);
// A self-contained HTML page (inline CSS and SVG, nothing fetched) with the figures and a chart
// of the usage per product over the months.
std::string executive_html(const ExecutiveReport& r);

}  // namespace meterbridge::host::engine
