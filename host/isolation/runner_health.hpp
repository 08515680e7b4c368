// What the host remembers about each instance's runners for as long as it runs: how many were
// started and restarted, how calls failed (for `meterbridge serve`'s /metrics and `status`),
// and the crash streak that decides the backoff before the next start.
// Process-wide and thread-safe, like the API counters: a `serve` keeps it across jobs.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace meterbridge::host {

struct RunnerCounts {
  int64_t starts = 0;    // every runner started
  int64_t restarts = 0;  // starts that followed a failed runner of the same instance
  // Why runners ended a call: crash (a signal), exit, timeout, memory, protocol (garbage on the
  // pipe), start (could not start or handshake).
  std::map<std::string, int64_t> failures;
  int64_t streak = 0;  // failures since the last call that got an answer
};

// Records a runner start; it is a restart when the instance's streak is not zero.
void record_runner_start(const std::string& instance);
// Records a call that ended with the runner lost, and the cause (one of the classes above).
void record_runner_failure(const std::string& instance, const std::string& cause);
// Records a call the runner answered: the streak ends.
void record_runner_answer(const std::string& instance);

// How long the instance must still wait before a runner may be started again: zero unless the
// last two or more runners failed in a row; then 1 s after the second failure, doubling with
// each further one, at most 5 minutes, counted from the last failure.
std::chrono::milliseconds runner_backoff_left(const std::string& instance);

// Every instance that has had a runner.
std::map<std::string, RunnerCounts> runner_counts();

}  // namespace meterbridge::host
