// What a summary says (pure, no I/O): the period a summary covers on its send day, the
// detection counts, and the one-line title and plain-text body a PSA ticket gets.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "engine/calendar.hpp"

namespace meterbridge::host::engine {

// The period a summary covers: the day, the 7 days or the calendar month before the send day.
struct SummaryPeriod {
  std::string label;  // "2026-11-23", "2026-11-16..2026-11-22" or "2026-11"
  Day from = 0;
  Day to = 0;  // inclusive
};
SummaryPeriod summary_period(Recurrence::Every every, Day send_day);

// Email-security detection counts (detections.v1), per product and summed.
struct DetectionCounts {
  int64_t spam = 0;
  int64_t phishing = 0;
  int64_t malware = 0;
  int64_t blocked = 0;
  int64_t total_messages = 0;
  void add(const DetectionCounts& o);
  nlohmann::json to_json() const;
};

// One company's detections over a period: per product name, and which vendor customers.
struct CompanyDetections {
  std::map<std::string, DetectionCounts> products;  // product name -> counts
  std::vector<std::string> customers;               // "source/customer_id name"
  DetectionCounts total() const;
};

std::string detection_title(const std::string& company_name, const SummaryPeriod& p);
std::string detection_text(const std::string& company_name, const SummaryPeriod& p,
                           const CompanyDetections& d);

}  // namespace meterbridge::host::engine
