#include "systemd/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>

namespace meterbridge::host::systemd {

namespace {

// unset_environment = 0: the variables stay, so the later STATUS=, WATCHDOG=1 and STOPPING=1
// reach systemd too. sd_notify returns > 0 when sent, 0 without NOTIFY_SOCKET, < 0 on error.
bool send(const std::string& state) {
  return sd_notify(0, state.c_str()) > 0;
}

}  // namespace

bool notify_ready() {
  return send("READY=1\nSTATUS=Serving");
}

void notify_status(const std::string& text) {
  (void)send("STATUS=" + text);
}

void notify_reloading() {
  (void)send("RELOADING=1");
}

void notify_stopping() {
  (void)send("STOPPING=1");
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) names this process.
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(usec));
}

void notify_watchdog() {
  (void)send("WATCHDOG=1");
}

}  // namespace meterbridge::host::systemd
