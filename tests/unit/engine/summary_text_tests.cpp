// What a summary covers and says: the period before the send day, and the ticket's text.
#include <catch2/catch.hpp>

#include "engine/summary_text.hpp"

using namespace meterbridge::host;
using namespace meterbridge::host::engine;

namespace {
Day day(const char* iso) {
  return *parse_iso_date(iso);
}
}  // namespace

TEST_CASE("a summary covers the day, the 7 days or the calendar month before the send day") {
  const SummaryPeriod d = summary_period(Recurrence::Every::day, day("2026-12-01"));
  CHECK(d.label == "2026-11-30");
  CHECK(d.from == day("2026-11-30"));
  CHECK(d.to == day("2026-11-30"));
  const SummaryPeriod w = summary_period(Recurrence::Every::week, day("2026-11-23"));
  CHECK(w.label == "2026-11-16..2026-11-22");
  CHECK(w.to - w.from == 6);
  const SummaryPeriod m = summary_period(Recurrence::Every::month, day("2027-01-01"));
  CHECK(m.label == "2026-12");
  CHECK(m.from == day("2026-12-01"));
  CHECK(m.to == day("2026-12-31"));
  // Sent later in the month, a monthly summary still covers the month before.
  CHECK(summary_period(Recurrence::Every::month, day("2027-03-15")).label == "2027-02");
  CHECK(summary_period(Recurrence::Every::month, day("2027-03-15")).to == day("2027-02-28"));
}

TEST_CASE("a detection summary sums its products and names each") {
  CompanyDetections d;
  d.products["Hosted Email Security"] = {120, 4, 1, 30, 2400};
  d.products["Trend Micro Email Security Advanced"] = {300, 12, 5, 60, 8000};
  const DetectionCounts t = d.total();
  CHECK(t.spam == 420);
  CHECK(t.total_messages == 10400);
  const SummaryPeriod p = summary_period(Recurrence::Every::month, day("2026-12-01"));
  CHECK(detection_title("Acme", p) == "Email security detections 2026-11: Acme");
  const std::string text = detection_text("Acme", p, d);
  CHECK(text.find("Period: 2026-11-01 to 2026-11-30") != std::string::npos);
  CHECK(text.find("Messages scanned: 10400\nSpam: 420\nPhishing: 16\nMalware: 6\nBlocked: 90") !=
        std::string::npos);
  CHECK(text.find("- Hosted Email Security: 2400 messages, 120 spam, 4 phishing, 1 malware, 30 "
                  "blocked") != std::string::npos);
}
