// The mb_host_api table inside `meterbridge-runner`: each service the plugin calls becomes a
// "service" frame to the host and waits for its "answer" (log is one-way), from any number of
// plugin threads at once. The host runs the real service (its http client, state store, secret
// resolution, clock and cancellation), so the runner holds no credentials until the plugin asks
// for one.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include <meterbridge/abi.h>
#include <nlohmann/json.hpp>

#include "runner/host_channel.hpp"

namespace meterbridge::host::runner {

class RunnerServices {
 public:
  explicit RunnerServices(HostChannel& channel);
  const mb_host_api* table() const noexcept { return &table_; }

  // Between these, service requests reach the host (it reads frames only while a hook runs);
  // outside, every service but log answers MB_E_UNSUPPORTED.
  void begin_hook();
  void end_hook();
  // The lowest MB_LOG_* level the host shows for this instance (from the handshake).
  void set_min_log_level(int32_t level) { min_log_level_ = level; }

 private:
  static void log(void* host, int32_t level, mb_str message);
  static mb_status http(void* host, mb_str request, mb_buffer* response);
  static mb_status state_get(void* host, mb_str key, mb_buffer* value);
  static mb_status state_put(void* host, mb_str key, mb_str value);
  static mb_status secret_get(void* host, mb_str name, mb_buffer* value);
  static int32_t is_cancelled(void* host);
  static int64_t now_unix_ms(void* host);

  struct Answer {
    mb_status status = MB_E_INTERNAL;
    std::string text;
    int64_t value = 0;
  };
  // One round trip; others may be in flight on other threads.
  Answer ask(const char* name, const nlohmann::json& extra, std::string_view body);

  HostChannel& channel_;
  std::mutex mutex_;
  bool in_hook_ = false;
  int32_t min_log_level_ = MB_LOG_TRACE;
  mb_host_api table_{};
};

}  // namespace meterbridge::host::runner
