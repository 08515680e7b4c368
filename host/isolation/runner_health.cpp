#include "isolation/runner_health.hpp"

#include <algorithm>
#include <mutex>

namespace meterbridge::host {
namespace {

using Clock = std::chrono::steady_clock;

struct Health {
  RunnerCounts counts;
  Clock::time_point last_failure{};
};

std::mutex& health_mutex() {
  static std::mutex m;
  return m;
}

std::map<std::string, Health>& health() {
  static std::map<std::string, Health> h;
  return h;
}

constexpr std::chrono::milliseconds kFirstBackoff{1000};
constexpr std::chrono::milliseconds kMaxBackoff{300'000};

}  // namespace

void record_runner_start(const std::string& instance) {
  std::lock_guard lock(health_mutex());
  RunnerCounts& c = health()[instance].counts;
  ++c.starts;
  if (c.streak > 0) ++c.restarts;
}

void record_runner_failure(const std::string& instance, const std::string& cause) {
  std::lock_guard lock(health_mutex());
  Health& h = health()[instance];
  ++h.counts.failures[cause];
  ++h.counts.streak;
  h.last_failure = Clock::now();
}

void record_runner_answer(const std::string& instance) {
  std::lock_guard lock(health_mutex());
  health()[instance].counts.streak = 0;
}

std::chrono::milliseconds runner_backoff_left(const std::string& instance) {
  std::lock_guard lock(health_mutex());
  auto it = health().find(instance);
  if (it == health().end() || it->second.counts.streak < 2) return std::chrono::milliseconds{0};
  const int64_t doublings = std::min<int64_t>(it->second.counts.streak - 2, 20);
  const auto wait = std::min(kMaxBackoff, kFirstBackoff * (int64_t{1} << doublings));
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(it->second.last_failure +
                                                                          wait - Clock::now());
  return std::max(left, std::chrono::milliseconds{0});
}

std::map<std::string, RunnerCounts> runner_counts() {
  std::lock_guard lock(health_mutex());
  std::map<std::string, RunnerCounts> out;
  for (const auto& [name, h] : health()) out[name] = h.counts;
  return out;
}

}  // namespace meterbridge::host
