// Counts every API call a plugin instance makes through the host's http service, and the
// failures by class, for the service's metrics (`meterbridge serve` /metrics and `status`).
// Process-wide and thread-safe: the counters live as long as the process, like Prometheus
// counters, and only grow.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace meterbridge::host {

struct ApiCounts {
  int64_t calls = 0;
  // auth (401, 403), rate_limited (429), transient (5xx), config (other 4xx and 3xx),
  // no_response (no HTTP answer at all).
  std::map<std::string, int64_t> errors;
};

// Records one call of `instance`: the HTTP status it got, or 0 when no answer came.
void record_api_call(const std::string& instance, int32_t http_status);

// Every instance's counts so far.
std::map<std::string, ApiCounts> api_counts();

// The failure class of an HTTP status ("" for a success), as in the list above.
std::string api_error_class(int32_t http_status);

}  // namespace meterbridge::host
