#include "limits.hpp"

namespace at_emu {

bool Limits::acquire(const std::string& code, const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  int& n = in_flight_[{code, endpoint}];
  if (n >= kThreadsPerEndpoint) return false;
  ++n;
  return true;
}

void Limits::release(const std::string& code, const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = in_flight_.find({code, endpoint});
  if (it != in_flight_.end() && --it->second <= 0) in_flight_.erase(it);
}

void Limits::expire(std::chrono::steady_clock::time_point now) {
  const auto window = std::chrono::minutes(timeframe_minutes_);
  while (!requests_.empty() && now - requests_.front() >= window) requests_.pop_front();
}

bool Limits::count_request() {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  expire(now);
  if (static_cast<long long>(requests_.size()) >= threshold_) return false;
  requests_.push_back(now);
  return true;
}

nlohmann::json Limits::threshold_info() {
  std::lock_guard<std::mutex> lock(mutex_);
  expire(std::chrono::steady_clock::now());
  return {{"externalRequestThreshold", threshold_},
          {"requestThresholdTimeframe", timeframe_minutes_},
          {"currentTimeframeRequestCount", requests_.size()}};
}

}  // namespace at_emu
