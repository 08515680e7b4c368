// The host's one clock. Everything that asks "what time is it" or "what day is it" reads
// host_now(): the scheduler, the collector's "today", store timestamps and the plugins' clock
// service. That is what lets a test run a month of schedule in seconds: it installs a test
// clock, and every part of the host sees the same accelerated or jumping time.
//
// A test clock is for tests only: the CLI installs one from $METERBRIDGE_TEST_CLOCK (or
// `serve --test-clock`) and refuses it unless the config says "testing": {"allow_test_clock":
// true}, which no operator's config has (README "Operate it").
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace meterbridge::host {

using TimePoint = std::chrono::system_clock::time_point;

// A test clock: starts at `start` when installed, then runs `speed` times faster than real time.
// With `jump`, waiting for a deadline moves the clock there at once (wait_real_duration answers
// 0), so a scheduler sleeps through a month in no real time.
struct TestClockSpec {
  TimePoint start;
  double speed = 1.0;
  bool jump = false;
  std::optional<TimePoint> until;  // `serve` stops by itself once the clock reaches this
};

// Parses "2026-11-01T00:00:00Z[,speed=N][,jump][,until=2026-12-01T00:00:00Z]". Throws
// std::invalid_argument naming the part that is wrong.
TestClockSpec parse_test_clock(const std::string& text);

// The current instant on the host clock (the system clock unless a test clock is installed).
TimePoint host_now();

// Installs a test clock process-wide (before any thread reads the clock).
void install_test_clock(const TestClockSpec& spec);
// The installed test clock, if any.
std::optional<TestClockSpec> test_clock();

// How long to wait in real time until the host clock reaches `deadline` (0 when it has). On a
// jump clock this moves the clock to the deadline and answers 0.
std::chrono::milliseconds wait_real_duration(TimePoint deadline);

// "YYYY-MM-DDTHH:MM:SSZ" of an instant, and back (nullopt when the text is not exactly that).
std::string format_utc_iso(TimePoint t);
std::optional<TimePoint> parse_utc_iso(const std::string& text);

}  // namespace meterbridge::host
