// Calendar and billing-period math: ISO dates, months, today in a zone, billing dates and periods.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include "engine/calendar.hpp"

using namespace meterbridge::host::engine;

namespace {

Day d(const char* iso) {
  auto day = parse_iso_date(iso);
  REQUIRE(day.has_value());
  return *day;
}

std::string iso(Day day) {
  return format_iso_date(day);
}

}  // namespace

TEST_CASE("parse_iso_date accepts real dates and round-trips through format_iso_date") {
  CHECK(parse_iso_date("1970-01-01") == 0);
  CHECK(parse_iso_date("1970-01-02") == 1);
  CHECK(parse_iso_date("1969-12-31") == -1);
  CHECK(parse_iso_date("2028-02-29").has_value());
  CHECK(parse_iso_date("2000-02-29").has_value());  // divisible by 400: leap
  CHECK(*parse_iso_date("2026-03-01") - *parse_iso_date("2026-02-28") == 1);
  for (const char* text : {"2026-01-31", "2028-02-29", "1999-12-31", "2100-06-15", "0001-01-01"}) {
    auto day = parse_iso_date(text);
    REQUIRE(day.has_value());
    CHECK(format_iso_date(*day) == text);
  }
}

TEST_CASE("parse_iso_date rejects anything but a strict real YYYY-MM-DD") {
  for (const char* text :
       {"2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-01-00", "2026-1-01",
        "2026-01-1", "26-01-01", "2026-01-01 ", " 2026-01-01", "2026-01-01T00:00", "2026-01-01x",
        "2026/01/01", "20260101", "2026-0a-01", "+026-01-01", "-026-01-01", "", "1900-02-29"}) {
    INFO(text);
    CHECK_FALSE(parse_iso_date(text).has_value());
  }
}

TEST_CASE("Year-month parsing, formatting and stepping") {
  CHECK(parse_year_month("2026-02") == YearMonth{2026, 2});
  CHECK(parse_year_month("2026-12") == YearMonth{2026, 12});
  for (const char* text :
       {"2026-13", "2026-00", "2026-2", "2026-02-01", "2026-02 ", "202602", ""}) {
    INFO(text);
    CHECK_FALSE(parse_year_month(text).has_value());
  }
  CHECK(format_year_month({2026, 2}) == "2026-02");
  CHECK(format_year_month({987, 11}) == "0987-11");
  CHECK(next_month({2026, 12}) == YearMonth{2027, 1});
  CHECK(next_month({2026, 1}) == YearMonth{2026, 2});
  CHECK(previous_month({2026, 1}) == YearMonth{2025, 12});
  CHECK(previous_month({2026, 3}) == YearMonth{2026, 2});
  CHECK(YearMonth{2025, 12} < YearMonth{2026, 1});
  CHECK(days_in_month({2026, 2}) == 28);
  CHECK(days_in_month({2028, 2}) == 29);
  CHECK(days_in_month({2100, 2}) == 28);
  CHECK(days_in_month({2000, 2}) == 29);
  CHECK(days_in_month({2026, 4}) == 30);
  CHECK(days_in_month({2026, 12}) == 31);
  CHECK_THROWS_AS(days_in_month({2026, 13}), std::invalid_argument);
  CHECK(year_month_of(d("2028-02-29")) == YearMonth{2028, 2});
  CHECK(first_day_of({2028, 3}) == d("2028-03-01"));
}

TEST_CASE("today_in_zone: one UTC instant, different dates east and west") {
  // 2026-03-15 12:30 UTC is 2026-03-16 01:30 in Auckland (NZDT, +13) and 05:30 on the 15th in
  // Los Angeles (PDT, -7).
  using namespace std::chrono;
  const system_clock::time_point instant =
      system_clock::time_point{seconds{(d("2026-03-15") * 86400LL) + 12 * 3600 + 30 * 60}};
  CHECK(iso(today_in_zone("Pacific/Auckland", instant)) == "2026-03-16");
  CHECK(iso(today_in_zone("America/Los_Angeles", instant)) == "2026-03-15");
  CHECK(iso(today_in_zone("UTC", instant)) == "2026-03-15");

  // Just before midnight UTC on New Year's Eve: already the new year in Europe/Rome.
  const system_clock::time_point late =
      system_clock::time_point{seconds{d("2027-01-01") * 86400LL - 60}};
  CHECK(iso(today_in_zone("Europe/Rome", late)) == "2027-01-01");
  CHECK(iso(today_in_zone("America/New_York", late)) == "2026-12-31");
}

TEST_CASE("today_in_zone throws naming an unknown zone") {
  const auto now = std::chrono::system_clock::now();
  try {
    (void)today_in_zone("Mars/Olympus_Mons", now);
    FAIL("expected an exception");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("Mars/Olympus_Mons") != std::string::npos);
  }
  CHECK_THROWS_AS(today_in_zone("", now), std::runtime_error);
}

TEST_CASE("billing_date clamps 29, 30 and 31 to the month's last day") {
  CHECK(iso(billing_date({2026, 2}, 1)) == "2026-02-01");
  CHECK(iso(billing_date({2026, 2}, 28)) == "2026-02-28");
  CHECK(iso(billing_date({2026, 2}, 29)) == "2026-02-28");
  CHECK(iso(billing_date({2026, 2}, 30)) == "2026-02-28");
  CHECK(iso(billing_date({2026, 2}, 31)) == "2026-02-28");
  CHECK(iso(billing_date({2028, 2}, 29)) == "2028-02-29");
  CHECK(iso(billing_date({2028, 2}, 30)) == "2028-02-29");
  CHECK(iso(billing_date({2028, 2}, 31)) == "2028-02-29");
  CHECK(iso(billing_date({2026, 4}, 31)) == "2026-04-30");
  CHECK(iso(billing_date({2026, 4}, 30)) == "2026-04-30");
  CHECK(iso(billing_date({2026, 12}, 31)) == "2026-12-31");
  CHECK_THROWS_AS(billing_date({2026, 2}, 0), std::invalid_argument);
  CHECK_THROWS_AS(billing_date({2026, 2}, 32), std::invalid_argument);
  CHECK_THROWS_AS(billing_date({2026, 2}, -1), std::invalid_argument);
  CHECK_THROWS_AS(billing_period({2026, 2}, 0), std::invalid_argument);
  CHECK_THROWS_AS(billing_period({2026, 2}, 32), std::invalid_argument);
  CHECK_THROWS_AS(period_containing(d("2026-02-01"), 32), std::invalid_argument);
}

TEST_CASE("Billing periods: explicit values") {
  auto period = [](YearMonth ym, int day) {
    Period p = billing_period(ym, day);
    return iso(p.start) + ".." + iso(p.end);
  };
  SECTION("billing day 1 is the calendar month") {
    CHECK(period({2026, 2}, 1) == "2026-02-01..2026-02-28");
    CHECK(period({2028, 2}, 1) == "2028-02-01..2028-02-29");
    CHECK(period({2026, 12}, 1) == "2026-12-01..2026-12-31");
    CHECK(billing_period({2026, 2}, 1).days() == 28);
  }
  SECTION("billing day 15") {
    CHECK(period({2026, 2}, 15) == "2026-02-15..2026-03-14");
    CHECK(period({2026, 12}, 15) == "2026-12-15..2027-01-14");
  }
  SECTION("billing day 31, non-leap 2026") {
    CHECK(period({2026, 1}, 31) == "2026-01-31..2026-02-27");
    CHECK(period({2026, 2}, 31) == "2026-02-28..2026-03-30");
    CHECK(period({2026, 3}, 31) == "2026-03-31..2026-04-29");
    CHECK(period({2026, 4}, 31) == "2026-04-30..2026-05-30");
    CHECK(billing_period({2026, 1}, 31).days() == 28);
    CHECK(billing_period({2026, 2}, 31).days() == 31);
  }
  SECTION("billing day 31, leap 2028") {
    CHECK(period({2028, 1}, 31) == "2028-01-31..2028-02-28");
    CHECK(period({2028, 2}, 31) == "2028-02-29..2028-03-30");
    CHECK(period({2028, 3}, 31) == "2028-03-31..2028-04-29");
    CHECK(period({2028, 4}, 31) == "2028-04-30..2028-05-30");
  }
  SECTION("billing days 29 and 30 around February") {
    CHECK(period({2026, 1}, 29) == "2026-01-29..2026-02-27");
    CHECK(period({2026, 2}, 29) == "2026-02-28..2026-03-28");
    CHECK(period({2028, 1}, 29) == "2028-01-29..2028-02-28");
    CHECK(period({2028, 2}, 29) == "2028-02-29..2028-03-28");
    CHECK(period({2026, 1}, 30) == "2026-01-30..2026-02-27");
    CHECK(period({2026, 2}, 30) == "2026-02-28..2026-03-29");
    CHECK(period({2028, 1}, 30) == "2028-01-30..2028-02-28");
    CHECK(period({2028, 2}, 30) == "2028-02-29..2028-03-29");
  }
  SECTION("contains") {
    Period p = billing_period({2026, 2}, 15);
    CHECK(p.contains(d("2026-02-15")));
    CHECK(p.contains(d("2026-03-14")));
    CHECK_FALSE(p.contains(d("2026-02-14")));
    CHECK_FALSE(p.contains(d("2026-03-15")));
  }
  SECTION("period_containing") {
    CHECK(period_containing(d("2026-02-27"), 31) == YearMonth{2026, 1});
    CHECK(period_containing(d("2026-02-28"), 31) == YearMonth{2026, 2});
    CHECK(period_containing(d("2026-03-30"), 31) == YearMonth{2026, 2});
    CHECK(period_containing(d("2026-03-31"), 31) == YearMonth{2026, 3});
    CHECK(period_containing(d("2026-01-14"), 15) == YearMonth{2025, 12});
    CHECK(period_containing(d("2026-01-01"), 1) == YearMonth{2026, 1});
  }
}

TEST_CASE("Billing periods tile every day of 2026 and 2028 for every billing day") {
  for (int32_t year : {2026, 2028}) {
    const Day first = d(year == 2026 ? "2026-01-01" : "2028-01-01");
    const Day last = d(year == 2026 ? "2026-12-31" : "2028-12-31");
    for (int32_t billing_day = 1; billing_day <= 31; ++billing_day) {
      INFO("year " << year << ", billing day " << billing_day);
      for (uint32_t month = 1; month <= 12; ++month) {
        const YearMonth ym{year, month};
        INFO("month " << month);
        const Period p = billing_period(ym, billing_day);
        // Starts on the clamped billing day of its own month.
        const int32_t expected_day = std::min(billing_day, days_in_month(ym));
        CHECK(p.start == first_day_of(ym) + expected_day - 1);
        CHECK(year_month_of(p.start) == ym);
        CHECK(p.start == billing_date(ym, billing_day));
        // Tiles: the next period starts the day after this one ends, the previous ends the day
        // before this one starts.
        CHECK(billing_period(next_month(ym), billing_day).start == p.end + 1);
        CHECK(billing_period(previous_month(ym), billing_day).end == p.start - 1);
        CHECK(p.days() >= 28);
        CHECK(p.days() <= 31);
        CHECK(p.contains(p.start));
        CHECK(p.contains(p.end));
        CHECK_FALSE(p.contains(p.start - 1));
        CHECK_FALSE(p.contains(p.end + 1));
      }
      // Every day of the year lies in exactly the period period_containing names.
      for (Day day = first; day <= last; ++day) {
        const YearMonth ym = period_containing(day, billing_day);
        const Period p = billing_period(ym, billing_day);
        if (!p.contains(day)) FAIL_CHECK("day " << iso(day) << " not in " << format_year_month(ym));
        // Named after the month it starts in: this month or the one before.
        const YearMonth month_of_day = year_month_of(day);
        if (!(ym == month_of_day || ym == previous_month(month_of_day))) {
          FAIL_CHECK("day " << iso(day) << " in period " << format_year_month(ym));
        }
      }
    }
  }
}
