// Calendar and billing-period math for the billing engine. Pure: no I/O, no clock reads (the
// caller passes "now"). Days are plain integers (days since 1970-01-01) so the store can keep them
// as one column and every comparison is integer arithmetic.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meterbridge::host::engine {

// Days since 1970-01-01 (a date::sys_days count); the store keeps days as this integer.
using Day = int32_t;

// Strict "YYYY-MM-DD" naming a real calendar date (2028-02-29 yes, 2026-02-29 no), else nullopt.
std::optional<Day> parse_iso_date(std::string_view text);
// "YYYY-MM-DD".
std::string format_iso_date(Day day);

struct YearMonth {
  int32_t year = 1970;
  uint32_t month = 1;  // 1..12
  bool operator==(const YearMonth&) const = default;
  auto operator<=>(const YearMonth&) const = default;
};

// Strict "YYYY-MM" with a month 01..12, else nullopt.
std::optional<YearMonth> parse_year_month(std::string_view text);
// "YYYY-MM".
std::string format_year_month(YearMonth ym);
YearMonth next_month(YearMonth ym);
YearMonth previous_month(YearMonth ym);
// 28..31. Throws std::invalid_argument for a month outside 1..12.
int32_t days_in_month(YearMonth ym);
// The calendar month a day falls in.
YearMonth year_month_of(Day day);
// The first day of a calendar month.
Day first_day_of(YearMonth ym);

// Today's date in an IANA zone at the instant now (throws std::runtime_error naming the zone if
// the zone is unknown).
Day today_in_zone(const std::string& iana_zone, std::chrono::system_clock::time_point now);

// The day a billing day (1..31) falls on in a month: 29, 30 and 31 clamp to the month's last day.
// Throws std::invalid_argument for a billing day outside 1..31.
Day billing_date(YearMonth ym, int32_t billing_day);

// An inclusive range of days.
struct Period {
  Day start = 0;
  Day end = 0;  // inclusive
  int32_t days() const { return end - start + 1; }
  bool contains(Day d) const;
  bool operator==(const Period&) const = default;
};

// The billing period named ym: from billing_date(ym, day) to the day before
// billing_date(next_month(ym), day). With billing day 1, "2026-02" is Feb 1..Feb 28; with 15,
// Feb 15..Mar 14; with 31 (2026): Jan 31..Feb 27, Feb 28..Mar 30, Mar 31..Apr 29, ... so
// consecutive periods tile the calendar. Throws std::invalid_argument for a bad billing day.
Period billing_period(YearMonth ym, int32_t billing_day);

// The period (by name) that contains day d for a billing day. Throws std::invalid_argument for a
// bad billing day.
YearMonth period_containing(Day d, int32_t billing_day);

}  // namespace meterbridge::host::engine
