// datto-rmm: keeps the plugin under Datto RMM's account rate limit. Datto counts every request
// of the account (all API users and integrations) in a sliding window (600 per 60 s by default)
// and slows every request down once the window holds 90 % of the limit; past the limit it
// answers 429, and persistent 429s can get the IP blocked. So the plugin never lets its own
// window reach 90 %: it waits instead.
#pragma once

#include <meterbridge/plugin.hpp>

#include <cstdint>
#include <deque>

namespace datto_rmm {

class Pacer {
 public:
  explicit Pacer(meterbridge::Host host) : host_(host) {}

  // The account's numbers from GET /v2/system/request_rate. `already_counted` requests of the
  // account are in the window now: taken as sent just now, since their times are not told.
  void configure(int64_t limit, int64_t window_ms, int64_t already_counted);
  // Waits (in small steps, checking cancellation) until one more request keeps the window under
  // 90 % of the limit, then counts that request.
  void before_request();

  int64_t limit() const { return limit_; }
  int64_t window_ms() const { return window_ms_; }
  // Requests the window may hold before the plugin waits: 90 % of the limit, rounded down, at
  // least 1.
  int64_t ceiling() const;
  int64_t waited_ms() const { return waited_ms_; }
  int64_t waits() const { return waits_; }

 private:
  // The host's clock, never going back; while waiting it also advances by the time slept, so a
  // clock that stands still (a test's) cannot make the plugin wait for ever.
  int64_t now();
  void expire(int64_t now);

  meterbridge::Host host_;
  int64_t limit_ = 600;
  int64_t window_ms_ = 60'000;
  std::deque<int64_t> sent_;  // times of the requests in the window, oldest first
  int64_t last_now_ = 0;
  int64_t waited_ms_ = 0;
  int64_t waits_ = 0;
};

}  // namespace datto_rmm
