#pragma once

// The service's side of the systemd notify protocol (sd_notify(3), sd_watchdog_enabled(3)):
// `meterbridge serve` runs as Type=notify, so systemd considers it started only once it says
// READY=1, and restarts it when the watchdog pings stop. Outside systemd (NOTIFY_SOCKET unset)
// every call does nothing, so the same binary runs in a terminal unchanged.

#include <chrono>
#include <optional>
#include <string>

namespace meterbridge::host::systemd {

// READY=1 with a STATUS= line. True when systemd received it; false when not run under systemd
// (NOTIFY_SOCKET unset) or the datagram could not be sent.
bool notify_ready();

// STATUS=<text>: the free text `systemctl status meterbridge` shows.
void notify_status(const std::string& text);

// RELOADING=1: a SIGHUP re-read of the config has started (send notify_ready() when done).
void notify_reloading();

// STOPPING=1: shutdown has started, so systemd does not count the time as a hang.
void notify_stopping();

// The watchdog interval (WatchdogSec=, from WATCHDOG_USEC) when systemd expects pings from this
// process, else nullopt. Ping at half of it at least.
std::optional<std::chrono::microseconds> watchdog_interval();

// WATCHDOG=1: one keep-alive ping.
void notify_watchdog();

}  // namespace meterbridge::host::systemd
