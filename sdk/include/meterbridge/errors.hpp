// The SDK's error classes: a plugin throws meterbridge::Error (or one made by config_error,
// auth_error, ...) and the barrier in plugin.hpp turns it into its ABI status and message.
#pragma once

#include <meterbridge/abi.h>

#include <stdexcept>
#include <string>

namespace meterbridge {

// An error with an ABI status class. Throw it from plugin code; the barrier turns it into its
// status and message. The message must not contain secrets.
class Error : public std::runtime_error {
 public:
  Error(mb_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  mb_status status() const noexcept { return status_; }

 private:
  mb_status status_;
};

// Thrown by Host::http when no HTTP response arrived at all (timeout, refused or dropped
// connection; status MB_E_TRANSIENT). For a write this means its outcome is unknown: the server
// may have applied it. A sink answers such a line with sink_error_line(..., uncertain = true).
class NoResponseError : public Error {
 public:
  using Error::Error;
};

inline Error config_error(const std::string& m) {
  return Error(MB_E_CONFIG, m);
}
inline Error auth_error(const std::string& m) {
  return Error(MB_E_AUTH, m);
}
inline Error transient_error(const std::string& m) {
  return Error(MB_E_TRANSIENT, m);
}
inline Error rate_limited_error(const std::string& m) {
  return Error(MB_E_RATE_LIMITED, m);
}
inline Error not_found_error(const std::string& m) {
  return Error(MB_E_NOT_FOUND, m);
}
inline Error unsupported_error(const std::string& m) {
  return Error(MB_E_UNSUPPORTED, m);
}
inline Error internal_error(const std::string& m) {
  return Error(MB_E_INTERNAL, m);
}

// Human name of a status, for messages ("config", "auth", ...).
inline const char* status_name(mb_status s) noexcept {
  switch (s) {
    case MB_OK:
      return "ok";
    case MB_E_INVALID_ARGUMENT:
      return "invalid-argument";
    case MB_E_CONFIG:
      return "config";
    case MB_E_AUTH:
      return "auth";
    case MB_E_TRANSIENT:
      return "transient";
    case MB_E_RATE_LIMITED:
      return "rate-limited";
    case MB_E_NOT_FOUND:
      return "not-found";
    case MB_E_UNSUPPORTED:
      return "unsupported";
    case MB_E_INTERNAL:
      return "internal";
    case MB_E_CANCELLED:
      return "cancelled";
    default:
      return "unknown";
  }
}

}  // namespace meterbridge
