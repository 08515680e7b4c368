// Quantity methods: how a series of daily usage snapshots becomes one billable quantity for a
// billing period (last / max / average / daily-prorated, with day or month tracking). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/calendar.hpp"

namespace meterbridge::host::engine {

// Stored as these integers; zero is never valid.
enum class QuantityMethod : int32_t { last = 1, max = 2, average = 3, prorated = 4 };
enum class Tracking : int32_t { daily = 1, monthly = 2 };

// "last", "max", "average", "prorated" (exact, lower-case), else nullopt.
std::optional<QuantityMethod> parse_quantity_method(std::string_view text);
// The name parse_quantity_method accepts; "unknown" for a value outside the enum.
const char* to_string(QuantityMethod method);
// "daily", "monthly" (exact, lower-case), else nullopt.
std::optional<Tracking> parse_tracking(std::string_view text);
// The name parse_tracking accepts; "unknown" for a value outside the enum.
const char* to_string(Tracking tracking);

// One snapshot of one series: the quantity measured on a day.
struct DailyValue {
  Day day = 0;
  double quantity = 0;
};

struct MethodResult {
  double quantity = 0;                 // rounded to 4 decimal places
  int32_t days_with_data = 0;          // days in the period that had a value
  std::optional<Day> determining_day;  // last: the last day with data; max: the first day the
                                       // max was reached; none for average/prorated
};

// values: snapshots of ONE series, sorted by day with at most one per day; days outside the
// period are ignored. (Unsorted input is tolerated: it is ordered by day, and when a day appears
// twice the later element wins, as a correction would.)
//
// Daily tracking: last = the value of the latest day with data; max = the maximum (determining
// day: the first day it was reached); average = sum / days_with_data (days without a snapshot are
// gaps, excluded); prorated = sum of daily values / period.days() (gap days count as 0).
//
// Monthly tracking: each calendar month's units are the value of the latest snapshot dated in
// that month (within the period); last/max/average then apply over those monthly values, and the
// determining day is the day of the snapshot that gave the chosen month's value. Prorated with
// monthly tracking throws std::invalid_argument (a programming error: mappings are validated).
//
// No data at all: quantity 0, days_with_data 0, no determining day. Throws std::invalid_argument
// for a method or tracking outside the enums, or for a non-finite quantity in the period.
MethodResult apply_quantity_method(QuantityMethod method, Tracking tracking, const Period& period,
                                   const std::vector<DailyValue>& values);

// Whole units for the PSA: applied to a line's quantity after included units. `none` keeps the
// 4-decimal quantity. Stored as these integers; zero is never valid.
enum class Rounding : int32_t { up = 1, down = 2, nearest = 3, none = 4 };

// "up", "down", "nearest", "none" (exact, lower-case), else nullopt.
std::optional<Rounding> parse_rounding(std::string_view text);
const char* to_string(Rounding rounding);
// The rule of a mapping that names none: `up` for prorated and average (their results are
// fractions of a seat, and a seat used part of the month is a seat), `none` for last and max.
Rounding default_rounding(QuantityMethod method);
// q rounded to 4 decimals first (so 15.00000001 is 15, not 16), then to whole units: up (ceil),
// down (floor) or nearest (half away from zero); `none` gives the 4-decimal value.
double apply_rounding(Rounding rounding, double q);

// To 4 decimal places, half away from zero (so 0.1 + 0.2 gives 0.3); -0 becomes 0. Non-finite
// values and magnitudes too large to carry 4 decimals come back unchanged.
double round_quantity(double q);

}  // namespace meterbridge::host::engine
