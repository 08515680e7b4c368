#include "services/host_clock.hpp"

#include <cmath>
#include <ctime>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace meterbridge::host {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// The test clock's state. Virtual time = start + jumped + (real elapsed since install) * speed;
// the real elapsed time is read from the steady clock so that a system clock change does not
// move a test's time.
struct TestClockState {
  TestClockSpec spec;
  steady_clock::time_point installed_at;
  std::chrono::system_clock::duration jumped{0};
};

std::mutex clock_mutex;
std::optional<TestClockState> test_state;

TimePoint virtual_now_locked() {
  const TestClockState& s = *test_state;
  auto real = steady_clock::now() - s.installed_at;
  auto scaled = std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::duration<double, std::nano>(
          static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(real).count()) *
          s.spec.speed));
  return s.spec.start + s.jumped + scaled;
}

}  // namespace

TestClockSpec parse_test_clock(const std::string& text) {
  TestClockSpec spec;
  std::stringstream in(text);
  std::string part;
  bool first = true;
  while (std::getline(in, part, ',')) {
    if (first) {
      auto start = parse_utc_iso(part);
      if (!start) {
        throw std::invalid_argument(
            "test clock '" + text +
            "': expected a start instant YYYY-MM-DDTHH:MM:SSZ first, found '" + part + "'");
      }
      spec.start = *start;
      first = false;
    } else if (part == "jump") {
      spec.jump = true;
    } else if (part.rfind("speed=", 0) == 0) {
      try {
        size_t used = 0;
        spec.speed = std::stod(part.substr(6), &used);
        if (used != part.size() - 6) throw std::invalid_argument("trailing text");
      } catch (const std::exception&) {
        spec.speed = -1;
      }
      if (!(spec.speed > 0) || !std::isfinite(spec.speed) || spec.speed > 1e7) {
        throw std::invalid_argument("test clock '" + text + "': speed must be a number above 0 " +
                                    "and at most 10000000, found '" + part.substr(6) + "'");
      }
    } else if (part.rfind("until=", 0) == 0) {
      spec.until = parse_utc_iso(part.substr(6));
      if (!spec.until || *spec.until <= spec.start) {
        throw std::invalid_argument("test clock '" + text +
                                    "': until must be an instant YYYY-MM-DDTHH:MM:SSZ after the "
                                    "start, found '" +
                                    part.substr(6) + "'");
      }
    } else {
      throw std::invalid_argument("test clock '" + text + "': unknown part '" + part +
                                  "' (expected speed=N, jump or until=INSTANT)");
    }
  }
  if (first) throw std::invalid_argument("test clock: empty (expected YYYY-MM-DDTHH:MM:SSZ...)");
  return spec;
}

TimePoint host_now() {
  std::lock_guard<std::mutex> lock(clock_mutex);
  if (!test_state) return std::chrono::system_clock::now();
  return virtual_now_locked();
}

void install_test_clock(const TestClockSpec& spec) {
  std::lock_guard<std::mutex> lock(clock_mutex);
  test_state = TestClockState{spec, steady_clock::now(), {}};
}

std::optional<TestClockSpec> test_clock() {
  std::lock_guard<std::mutex> lock(clock_mutex);
  if (!test_state) return std::nullopt;
  return test_state->spec;
}

milliseconds wait_real_duration(TimePoint deadline) {
  std::lock_guard<std::mutex> lock(clock_mutex);
  if (!test_state) {
    auto left = deadline - std::chrono::system_clock::now();
    return left.count() > 0 ? duration_cast<milliseconds>(left) + milliseconds(1) : milliseconds(0);
  }
  TimePoint now = virtual_now_locked();
  if (deadline <= now) return milliseconds(0);
  if (test_state->spec.jump) {
    test_state->jumped += deadline - now;
    return milliseconds(0);
  }
  double real_ms = static_cast<double>(duration_cast<milliseconds>(deadline - now).count()) /
                   test_state->spec.speed;
  return milliseconds(static_cast<int64_t>(std::ceil(real_ms)));
}

std::string format_utc_iso(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<TimePoint> parse_utc_iso(const std::string& text) {
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != 'Z') {
    return std::nullopt;
  }
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  if (in.fail()) return std::nullopt;
  const std::tm asked = tm;
  // timegm normalizes in place (2026-02-30 becomes March 2): a real instant is left as it was.
  std::time_t t = timegm(&tm);
  if (asked.tm_mday != tm.tm_mday || asked.tm_mon != tm.tm_mon || asked.tm_hour != tm.tm_hour ||
      asked.tm_min != tm.tm_min || asked.tm_sec != tm.tm_sec)
    return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

}  // namespace meterbridge::host
