// Autotask's limits: at most 3 concurrent requests per (tracking identifier x object endpoint)
// and the hourly request threshold per database (api-notes.md section 2 "Limits").
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace at_emu {

class Limits {
 public:
  static constexpr int kThreadsPerEndpoint = 3;

  Limits(int threshold, int timeframe_minutes)
      : threshold_(threshold), timeframe_minutes_(timeframe_minutes) {}

  // Takes one of the endpoint's 3 slots for the integration code; false when all are taken.
  bool acquire(const std::string& code, const std::string& endpoint);
  void release(const std::string& code, const std::string& endpoint);
  // Counts one request in the rolling window; false (not counted) when the threshold is reached.
  bool count_request();
  // ThresholdInformation's answer.
  nlohmann::json threshold_info();

 private:
  void expire(std::chrono::steady_clock::time_point now);

  const int threshold_;
  const int timeframe_minutes_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, int> in_flight_;
  std::deque<std::chrono::steady_clock::time_point> requests_;
};

// Holds a thread slot for the lifetime of a request.
class ThreadSlot {
 public:
  ThreadSlot(Limits& limits, std::string code, std::string endpoint)
      : limits_(limits), code_(std::move(code)), endpoint_(std::move(endpoint)) {
    held_ = limits_.acquire(code_, endpoint_);
  }
  ~ThreadSlot() {
    if (held_) limits_.release(code_, endpoint_);
  }
  ThreadSlot(const ThreadSlot&) = delete;
  ThreadSlot& operator=(const ThreadSlot&) = delete;
  bool held() const { return held_; }

 private:
  Limits& limits_;
  std::string code_, endpoint_;
  bool held_ = false;
};

}  // namespace at_emu
