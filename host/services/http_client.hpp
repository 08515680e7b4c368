// The HTTP client behind mb_host_api.http: libcurl with TLS verification always on, proxies
// from the environment, timeouts, and bounded retries with backoff that honour Retry-After.
// Plain http:// is refused, before any connection, except to a loopback address (127.0.0.0/8,
// ::1, localhost) unless allow_insecure; redirects are never followed; error messages have every
// known secret redacted.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <meterbridge/abi.h>
#include <nlohmann/json.hpp>

namespace meterbridge::host {

struct HttpSettings {
  int64_t timeout_ms = 30000;
  int64_t connect_timeout_ms = 10000;
  int32_t max_attempts = 4;
  int64_t initial_backoff_ms = 500;
  int64_t max_backoff_ms = 30000;
  int64_t max_retry_after_ms = 120000;
  std::string ca_file;  // added to nothing: replaces the system store when set
  std::string user_agent = "meterbridge";
  bool allow_insecure = false;  // http.allow_insecure: plain http:// to any host
};

struct HttpOutcome {
  mb_status status = MB_OK;
  nlohmann::json response;  // "http.response.v1" when status == MB_OK
  std::string error;        // message otherwise
};

class HttpClient {
 public:
  using Sleeper = std::function<void(std::chrono::milliseconds)>;
  // sleeper waits between attempts; tests inject one that records instead of waiting.
  explicit HttpClient(HttpSettings settings, Sleeper sleeper = {});

  // Performs an "http.request.v1" exchange. MB_OK whenever an HTTP response arrived.
  // requester ("instance 'sophos-eu'") is named in a refusal of plain http.
  HttpOutcome perform(const nlohmann::json& request, const std::function<bool()>& is_cancelled,
                      const std::string& requester = {}) const;

  // Parses a Retry-After value (delta seconds or HTTP-date) relative to now; -1 if unusable.
  static int64_t parse_retry_after_ms(const std::string& value,
                                      std::chrono::system_clock::time_point now);

  // Whether url's host, as libcurl parses it, is a loopback address: 127.0.0.0/8, ::1 (also
  // IPv4-mapped), or the name localhost (which libcurl resolves to loopback itself, without DNS
  // or /etc/hosts). Other names, *.localhost included, are not.
  static bool is_loopback_url(const std::string& url);

 private:
  HttpOutcome exchange(const nlohmann::json& request, const std::function<bool()>& is_cancelled,
                       const std::string& requester) const;

  HttpSettings settings_;
  Sleeper sleeper_;
};

}  // namespace meterbridge::host
