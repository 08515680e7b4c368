#include "engine/calendar.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace meterbridge::host::engine {
namespace {

// Reads exactly text.size() ASCII digits; nullopt on anything else.
std::optional<int32_t> digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

date::year_month to_date(YearMonth ym) {
  return date::year{static_cast<int>(ym.year)} / date::month{ym.month};
}

void check_month(YearMonth ym) {
  if (ym.month < 1 || ym.month > 12) {
    throw std::invalid_argument("month out of range 1..12: " + std::to_string(ym.month));
  }
}

void check_billing_day(int32_t billing_day) {
  if (billing_day < 1 || billing_day > 31) {
    throw std::invalid_argument("billing day out of range 1..31: " + std::to_string(billing_day));
  }
}

Day to_day(date::sys_days d) {
  return static_cast<Day>(d.time_since_epoch().count());
}
date::sys_days from_day(Day d) {
  return date::sys_days{date::days{d}};
}

}  // namespace

std::optional<Day> parse_iso_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto y = digits(text.substr(0, 4));
  auto m = digits(text.substr(5, 2));
  auto d = digits(text.substr(8, 2));
  if (!y || !m || !d) return std::nullopt;
  date::year_month_day ymd{date::year{*y}, date::month{static_cast<unsigned>(*m)},
                           date::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return to_day(date::sys_days{ymd});
}

std::string format_iso_date(Day day) {
  date::year_month_day ymd{from_day(day)};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<YearMonth> parse_year_month(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  auto y = digits(text.substr(0, 4));
  auto m = digits(text.substr(5, 2));
  if (!y || !m || *m < 1 || *m > 12) return std::nullopt;
  return YearMonth{*y, static_cast<uint32_t>(*m)};
}

std::string format_year_month(YearMonth ym) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ym.year),
                static_cast<unsigned>(ym.month));
  return buf;
}

YearMonth next_month(YearMonth ym) {
  check_month(ym);
  if (ym.month == 12) return {ym.year + 1, 1};
  return {ym.year, ym.month + 1};
}

YearMonth previous_month(YearMonth ym) {
  check_month(ym);
  if (ym.month == 1) return {ym.year - 1, 12};
  return {ym.year, ym.month - 1};
}

int32_t days_in_month(YearMonth ym) {
  check_month(ym);
  date::year_month_day_last last{to_date(ym) / date::last};
  return static_cast<int32_t>(static_cast<unsigned>(last.day()));
}

YearMonth year_month_of(Day day) {
  date::year_month_day ymd{from_day(day)};
  return {static_cast<int32_t>(static_cast<int>(ymd.year())),
          static_cast<uint32_t>(static_cast<unsigned>(ymd.month()))};
}

Day first_day_of(YearMonth ym) {
  check_month(ym);
  return to_day(date::sys_days{to_date(ym) / date::day{1}});
}

Day today_in_zone(const std::string& iana_zone, std::chrono::system_clock::time_point now) {
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(iana_zone);
  } catch (const std::exception&) {
    throw std::runtime_error("unknown IANA time zone \"" + iana_zone + "\"");
  }
  date::zoned_time<std::chrono::seconds> zoned{zone, date::floor<std::chrono::seconds>(now)};
  auto local_day = date::floor<date::days>(zoned.get_local_time());
  return static_cast<Day>(local_day.time_since_epoch().count());
}

Day billing_date(YearMonth ym, int32_t billing_day) {
  check_billing_day(billing_day);
  int32_t day = std::min(billing_day, days_in_month(ym));
  return first_day_of(ym) + (day - 1);
}

bool Period::contains(Day d) const {
  return d >= start && d <= end;
}

Period billing_period(YearMonth ym, int32_t billing_day) {
  return {billing_date(ym, billing_day), billing_date(next_month(ym), billing_day) - 1};
}

YearMonth period_containing(Day d, int32_t billing_day) {
  YearMonth ym = year_month_of(d);
  if (d >= billing_date(ym, billing_day)) return ym;
  return previous_month(ym);
}

}  // namespace meterbridge::host::engine
