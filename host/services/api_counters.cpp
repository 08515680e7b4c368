#include "services/api_counters.hpp"

#include <mutex>

namespace meterbridge::host {
namespace {

std::mutex counters_mutex;
std::map<std::string, ApiCounts>& counters() {
  static std::map<std::string, ApiCounts> c;
  return c;
}

}  // namespace

std::string api_error_class(int32_t http_status) {
  if (http_status == 0) return "no_response";
  if (http_status == 401 || http_status == 403) return "auth";
  if (http_status == 429) return "rate_limited";
  if (http_status >= 500) return "transient";
  if (http_status >= 300) return "config";
  return "";
}

void record_api_call(const std::string& instance, int32_t http_status) {
  std::lock_guard<std::mutex> lock(counters_mutex);
  ApiCounts& c = counters()[instance];
  ++c.calls;
  const std::string error = api_error_class(http_status);
  if (!error.empty()) ++c.errors[error];
}

std::map<std::string, ApiCounts> api_counts() {
  std::lock_guard<std::mutex> lock(counters_mutex);
  return counters();
}

}  // namespace meterbridge::host
