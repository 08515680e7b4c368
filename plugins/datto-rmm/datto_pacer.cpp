#include "datto_pacer.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

namespace datto_rmm {
namespace {

constexpr int64_t kStepMs = 100;  // how often a wait looks at the clock and at cancellation
// Datto counts a request when it arrives, a little after we sent it: a request leaves our window
// this much later than it would by our clock alone, so that it has surely left Datto's.
constexpr int64_t kMarginMs = 500;

}  // namespace

void Pacer::configure(int64_t limit, int64_t window_ms, int64_t already_counted) {
  limit_ = std::max<int64_t>(1, limit);
  window_ms_ = std::max<int64_t>(1, window_ms);
  const int64_t t = now();
  expire(t);
  // The account's own count replaces ours: it includes ours and everyone else's.
  sent_.clear();
  for (int64_t i = 0; i < std::max<int64_t>(0, already_counted); ++i) sent_.push_back(t);
}

int64_t Pacer::ceiling() const {
  return std::max<int64_t>(1, limit_ * 9 / 10);
}

int64_t Pacer::now() {
  last_now_ = std::max(last_now_, host_.now_unix_ms());
  return last_now_;
}

void Pacer::expire(int64_t t) {
  while (!sent_.empty() && sent_.front() + window_ms_ + kMarginMs <= t) sent_.pop_front();
}

void Pacer::before_request() {
  int64_t t = now();
  expire(t);
  if (static_cast<int64_t>(sent_.size()) >= ceiling()) {
    ++waits_;
    host_.debug("pacing: " + std::to_string(sent_.size()) + " requests in the last " +
                std::to_string(window_ms_ / 1000) + " s, the account allows " +
                std::to_string(limit_) + "; waiting");
    const auto started = std::chrono::steady_clock::now();
    const int64_t started_at = t;
    while (static_cast<int64_t>(sent_.size()) >= ceiling()) {
      host_.throw_if_cancelled();
      const int64_t due = sent_.front() + window_ms_ + kMarginMs - t;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<int64_t>(due, 1, kStepMs)));
      const int64_t slept = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();
      last_now_ = std::max(last_now_, started_at + slept);
      t = now();
      expire(t);
    }
    waited_ms_ += t - started_at;
  }
  sent_.push_back(t);
}

}  // namespace datto_rmm
