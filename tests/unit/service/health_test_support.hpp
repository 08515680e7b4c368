// What the health tests share: a full "service-status.v1" document and promtool's verdict.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace health_test {

// The document `meterbridge serve` hands the server: two jobs (one never ran), a source and a
// sink that has not run yet, API errors.
inline nlohmann::json sample_status() {
  return nlohmann::json::parse(R"({
    "schema": "service-status.v1", "version": "0.1.0", "pid": 1234,
    "started_at": "2026-11-02T00:00:00Z", "now": "2026-11-02T01:00:00Z", "test_clock": false,
    "time_zone": "America/New_York", "config": "/etc/meterbridge/config.json",
    "store": {"path": "/var/lib/meterbridge/billing.sqlite3", "open": true},
    "plugins": {"loaded": 6, "refused": 0},
    "ready": {"ok": true, "reasons": []},
    "jobs": [
      {"job": "collect", "next_run": "2026-11-03T05:30:00Z", "next_slot": "2026-11-03",
       "last_run": {"slot": "2026-11-02", "started_at": "2026-11-02T05:30:04Z",
                    "finished_at": "2026-11-02T05:30:09Z", "duration_seconds": 5.1,
                    "result": "ok", "error": null},
       "runs": {"ok": 3, "failed": 1}},
      {"job": "sync", "next_run": null, "next_slot": null, "last_run": null, "runs": {}}
    ],
    "instances": [
      {"instance": "sophos", "kind": "source", "plugin": "sophos-central",
       "last_run_at": "2026-11-02T05:30:09Z", "last_result": "ok", "last_duration_seconds": 2.5,
       "records": 120, "api_calls": 35,
       "api_errors": {"auth": 0, "rate_limited": 1, "transient": 0, "config": 0,
                      "no_response": 0},
       "isolation": "process",
       "runner": {"starts": 4, "restarts": 2, "failures": {"crash": 2, "timeout": 1}}},
      {"instance": "cw", "kind": "sink", "plugin": "connectwise-manage", "last_run_at": null,
       "last_result": null, "last_duration_seconds": null,
       "lines": {"written": 3, "held": 2, "error": 0, "duplicate": 0}, "api_calls": 10,
       "api_errors": {}}
    ],
    "unmapped_customers_with_usage": 2
  })");
}

struct PromtoolVerdict {
  int exit_code = -1;
  std::string output;  // stdout and stderr together: lint problems and parse errors
};

// Runs `promtool check metrics < file` on `text` (promtool reads the exposition from stdin).
inline PromtoolVerdict promtool_check(const std::string& text) {
  static std::atomic<int> counter{0};
  const auto dir = std::filesystem::temp_directory_path();
  const std::string stem =
      "mb-health-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const auto input = dir / (stem + ".prom");
  const auto output = dir / (stem + ".out");
  std::ofstream(input, std::ios::binary) << text;
  const std::string command = std::string("'") + METERBRIDGE_PROMTOOL + "' check metrics < '" +
                              input.string() + "' > '" + output.string() + "' 2>&1";
  const int raw = std::system(command.c_str());
  PromtoolVerdict verdict;
  verdict.exit_code = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::ifstream in(output);
  std::stringstream ss;
  ss << in.rdbuf();
  verdict.output = ss.str();
  std::filesystem::remove(input);
  std::filesystem::remove(output);
  return verdict;
}

// True when `text` has `line` as a whole line.
inline bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

}  // namespace health_test
