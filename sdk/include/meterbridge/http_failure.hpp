// One classification of a non-2xx HTTP answer for every plugin (PROTOCOL.md P3.3): the error
// class that tells the operator what to do, and a message that names the service and the call.
//
//   HttpResponse r = host.http(request);
//   if (r.status < 200 || r.status >= 300) {
//     throw meterbridge::http_failure(r, {"Acme API", "GET /v1/devices?page=2"});
//   }
//
// The classes:
//   401, 403                 MB_E_AUTH          credentials refused, or a role lacks permission
//   429                      MB_E_RATE_LIMITED  with the Retry-After header when there is one
//   5xx, and 1xx             MB_E_TRANSIENT     a later run tries again
//   3xx                      MB_E_CONFIG        a redirect: the base URL is most likely wrong
//   404 and other 4xx        MB_E_CONFIG on a read (the settings point at something wrong),
//                            MB_E_INVALID_ARGUMENT on a write (this one request was refused;
//                            a sink answers it as an error line and goes on)
// Secrets: nothing to do. The host redacts every resolved secret from what a plugin returns.
#pragma once

#include <string>

#include "meterbridge/plugin.hpp"

namespace meterbridge {

// Who was called and how, for the message.
struct HttpCall {
  std::string service;    // "ConnectWise", "Sophos Central", ...
  std::string what;       // the call as the operator can find it: "GET /company/companies?page=2"
  bool write = false;     // the call changes something (POST, PATCH, ...): see the 4xx rule
  std::string detail;     // the service's own error text from the body ("" when none)
  std::string auth_hint;  // appended to 401 (and 403 when forbidden_hint is empty)
  std::string forbidden_hint;  // appended to 403
  std::string config_hint;     // appended to 3xx and to a 4xx on a read
};

struct HttpFailure {
  mb_status status = MB_E_TRANSIENT;
  std::string message;
};

inline HttpFailure classify_http_failure(const HttpResponse& r, const HttpCall& c) {
  const std::string answer =
      "HTTP " + std::to_string(r.status) + (c.detail.empty() ? "" : ", " + c.detail);
  auto hint = [](const std::string& h) { return h.empty() ? std::string() : "; " + h; };
  if (r.status == 401) {
    return {MB_E_AUTH, c.service + " refused the credentials for " + c.what + " (" + answer + ")" +
                           hint(c.auth_hint)};
  }
  if (r.status == 403) {
    return {MB_E_AUTH, c.service + " denied " + c.what + " (" + answer + ")" +
                           hint(c.forbidden_hint.empty() ? c.auth_hint : c.forbidden_hint)};
  }
  if (r.status == 429) {
    const std::string retry = r.header("retry-after").value_or("");
    return {MB_E_RATE_LIMITED, c.service + " is rate limiting " + c.what + " (" + answer + ")" +
                                   (retry.empty() ? "" : "; Retry-After " + retry) +
                                   "; a later run will try again"};
  }
  if (r.status >= 500 || r.status < 200) {
    return {MB_E_TRANSIENT,
            c.service + " failed " + c.what + " (" + answer + "); a later run will try again"};
  }
  if (r.status < 400) {
    return {MB_E_CONFIG, c.service + " answered " + c.what + " with a redirect (" + answer + ")" +
                             hint(c.config_hint)};
  }
  return {c.write ? MB_E_INVALID_ARGUMENT : MB_E_CONFIG, c.service + " refused " + c.what + " (" +
                                                             answer + ")" +
                                                             (c.write ? "" : hint(c.config_hint))};
}

// The Error to throw for a non-2xx answer.
inline Error http_failure(const HttpResponse& r, const HttpCall& c) {
  HttpFailure f = classify_http_failure(r, c);
  return Error(f.status, f.message);
}

}  // namespace meterbridge
