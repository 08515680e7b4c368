// Schedule math of `meterbridge serve`: local times in IANA zones with DST, recurrences, the
// billing-day sync targets, the retry pause, and the test clock.
#include <catch2/catch.hpp>

#include "service/schedule.hpp"
#include "service/service_jobs.hpp"

namespace {

using namespace meterbridge::host;
using namespace meterbridge::host::service;
using meterbridge::host::engine::Day;

Day day(const char* iso) {
  return *engine::parse_iso_date(iso);
}
std::string iso(TimePoint t) {
  return format_utc_iso(t);
}
const date::time_zone* zone(const char* name) {
  return date::locate_zone(name);
}

Recurrence daily_at(int32_t hour, int32_t minute) {
  Recurrence r;
  r.at_minute = hour * 60 + minute;
  return r;
}

}  // namespace

TEST_CASE("a local time becomes the instant of its zone, standard and summer time") {
  CHECK(iso(local_instant(zone("Europe/Rome"), day("2026-01-15"), 30)) == "2026-01-14T23:30:00Z");
  CHECK(iso(local_instant(zone("Europe/Rome"), day("2026-07-15"), 30)) == "2026-07-14T22:30:00Z");
  CHECK(iso(local_instant(zone("UTC"), day("2026-07-15"), 30)) == "2026-07-15T00:30:00Z");
}

TEST_CASE("a time a spring-forward skips runs at the first valid instant after the gap") {
  // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist.
  const auto* ny = zone("America/New_York");
  CHECK(iso(local_instant(ny, day("2026-03-08"), 2 * 60 + 30)) == "2026-03-08T07:00:00Z");
  // 03:00 EDT is 07:00Z too: the skipped slot and the first valid one are the same instant.
  CHECK(iso(local_instant(ny, day("2026-03-08"), 3 * 60)) == "2026-03-08T07:00:00Z");
  CHECK(iso(local_instant(ny, day("2026-03-09"), 2 * 60 + 30)) == "2026-03-09T06:30:00Z");
}

TEST_CASE("a time that occurs twice on a fall-back day runs once, at its first occurrence") {
  // New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST, so 01:30 happens twice.
  const auto* ny = zone("America/New_York");
  CHECK(iso(local_instant(ny, day("2026-11-01"), 90)) == "2026-11-01T05:30:00Z");
  const Recurrence r = daily_at(1, 30);
  // From 05:00Z to 07:00Z (both 01:30s), one slot is due: the first.
  auto due = slots_due(r, ny, day("2026-11-01"), *parse_utc_iso("2026-11-01T07:00:00Z"));
  REQUIRE(due.size() == 1);
  CHECK(iso(due[0].due) == "2026-11-01T05:30:00Z");
  // After the first, the next slot is the next day's, not the repeated hour.
  Slot next = next_slot(r, ny, *parse_utc_iso("2026-11-01T05:30:00Z"));
  CHECK(engine::format_iso_date(next.day) == "2026-11-02");
  CHECK(iso(next.due) == "2026-11-02T06:30:00Z");
}

TEST_CASE("weekly and monthly recurrences, monthly day 31 clamped to the month's end") {
  Recurrence weekly;
  weekly.every = Recurrence::Every::week;
  weekly.weekday = 1;  // Monday
  CHECK(occurs_on(weekly, day("2026-11-30")));
  CHECK_FALSE(occurs_on(weekly, day("2026-12-01")));
  Recurrence monthly;
  monthly.every = Recurrence::Every::month;
  monthly.day_of_month = 31;
  CHECK(occurs_on(monthly, day("2026-11-30")));
  CHECK(occurs_on(monthly, day("2026-02-28")));
  CHECK(occurs_on(monthly, day("2028-02-29")));
  CHECK_FALSE(occurs_on(monthly, day("2028-02-28")));
  CHECK(occurs_on(monthly, day("2026-12-31")));
  CHECK_FALSE(occurs_on(monthly, day("2026-12-30")));
}

TEST_CASE("slots due after downtime are each listed once, oldest first") {
  const auto* rome = zone("Europe/Rome");
  auto due =
      slots_due(daily_at(0, 30), rome, day("2026-11-10"), *parse_utc_iso("2026-11-13T12:00:00Z"));
  REQUIRE(due.size() == 4);
  CHECK(engine::format_iso_date(due.front().day) == "2026-11-10");
  CHECK(engine::format_iso_date(due.back().day) == "2026-11-13");
}

TEST_CASE("the jitter is stable per day and below its maximum") {
  for (Day d = day("2026-01-01"); d < day("2027-01-01"); ++d) {
    auto j = day_jitter(d, 10);
    CHECK(j.count() >= 0);
    CHECK(j.count() < 600);
    CHECK(day_jitter(d, 10) == j);
  }
  CHECK(day_jitter(day("2026-01-01"), 0).count() == 0);
}

TEST_CASE("a failed slot waits longer before each retry, up to the maximum") {
  CHECK(retry_backoff(1, 5, 60).count() == 5);
  CHECK(retry_backoff(2, 5, 60).count() == 10);
  CHECK(retry_backoff(4, 5, 60).count() == 40);
  CHECK(retry_backoff(5, 5, 60).count() == 60);
  CHECK(retry_backoff(50, 5, 60).count() == 60);
}

TEST_CASE("billing day 31 syncs on the last day of a 30-day month and of February") {
  // The sync on 2026-11-30 (billing day 31 clamped) closes the period that ran to 11-29.
  SyncTargets t = sync_targets({day("2026-11-30")}, day("2026-11-30"), false, {31});
  REQUIRE(t.size() == 1);
  CHECK(engine::format_year_month(t.begin()->first) == "2026-10");
  CHECK(engine::billing_period(t.begin()->first, 31).end == day("2026-11-29"));
  CHECK(sync_targets({day("2026-11-29")}, day("2026-11-29"), false, {31}).empty());
  t = sync_targets({day("2026-02-28")}, day("2026-02-28"), false, {31});
  REQUIRE(t.size() == 1);
  CHECK(engine::billing_period(t.begin()->first, 31).end == day("2026-02-27"));
}

TEST_CASE("a company override syncs on its own day, the others on the global day") {
  SyncTargets t = sync_targets({day("2026-11-15")}, day("2026-11-15"), false, {1, 15});
  REQUIRE(t.size() == 1);
  CHECK(t.begin()->second == std::set<int32_t>{15});
  t = sync_targets({day("2026-11-01")}, day("2026-11-01"), false, {1, 15});
  REQUIRE(t.size() == 1);
  CHECK(t.begin()->second == std::set<int32_t>{1});
  CHECK(engine::format_year_month(t.begin()->first) == "2026-10");
}

TEST_CASE("missed billing days sync once each, and daily adds the running periods") {
  // Down from 11-14 to 11-16: the 15th's sync still runs, once.
  SyncTargets t = sync_targets({day("2026-11-14"), day("2026-11-15"), day("2026-11-16")},
                               day("2026-11-16"), false, {1, 15});
  REQUIRE(t.size() == 1);
  CHECK(t.begin()->second == std::set<int32_t>{15});
  t = sync_targets({day("2026-11-16")}, day("2026-11-16"), true, {1, 15});
  // Both running periods are named 2026-11 (Nov 1.. for day 1, Nov 15.. for day 15).
  REQUIRE(t.size() == 1);
  CHECK(engine::format_year_month(t.begin()->first) == "2026-11");
  CHECK(t.begin()->second == std::set<int32_t>{1, 15});
}

TEST_CASE("collect days are each slot's day and the day before, bounded") {
  auto days = collect_days({day("2026-11-10"), day("2026-11-11")}, day("2026-11-09"));
  REQUIRE(days.size() == 3);
  CHECK(days.front() == day("2026-11-09"));
  CHECK(collect_days({day("2026-11-10")}, day("2026-11-10")).size() == 1);
}

TEST_CASE("the test clock: parse, jump, speed and refusals") {
  auto spec = parse_test_clock("2026-11-01T00:00:00Z,jump,until=2026-12-01T00:00:00Z");
  CHECK(spec.jump);
  CHECK(iso(spec.start) == "2026-11-01T00:00:00Z");
  CHECK(iso(*spec.until) == "2026-12-01T00:00:00Z");
  CHECK(parse_test_clock("2026-11-01T00:00:00Z,speed=3600").speed == 3600);
  CHECK_THROWS_WITH(parse_test_clock("2026-11-01"), Catch::Contains("start instant"));
  CHECK_THROWS_WITH(parse_test_clock("2026-11-01T00:00:00Z,speed=0"), Catch::Contains("speed"));
  CHECK_THROWS_WITH(parse_test_clock("2026-11-01T00:00:00Z,fast"), Catch::Contains("'fast'"));
  CHECK_THROWS_WITH(parse_test_clock("2026-11-01T00:00:00Z,until=2026-10-01T00:00:00Z"),
                    Catch::Contains("after the start"));
  CHECK_FALSE(parse_utc_iso("2026-02-30T00:00:00Z"));
  CHECK(parse_utc_iso("2028-02-29T23:59:59Z"));
}
