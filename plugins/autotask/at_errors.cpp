// autotask: what an Autotask error answer means. Autotask answers validation failures and its
// own breakdowns alike with HTTP 500 and {"errors": ["..."]}, so the status alone cannot tell a
// refused adjustment (nothing applied: report it, go on) from a failed one (maybe applied: hold
// the line until the units confirm it) or from the limits (slow down). The message text can.
#include "at_errors.hpp"

#include "at_client.hpp"

#include <algorithm>
#include <cctype>

namespace autotask {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool mentions(const std::string& text, std::initializer_list<const char*> words) {
  const std::string l = lower(text);
  return std::any_of(words.begin(), words.end(),
                     [&](const char* w) { return l.find(w) != std::string::npos; });
}

}  // namespace

bool is_limit_message(const std::string& text) {
  return mentions(text, {"threshold", "thread limit", "thread count", "too many requests",
                         "rate limit", "request limit"});
}

bool is_breakdown_message(const std::string& text) {
  return text.empty() || mentions(text, {"unexpected error", "internal server error", "timeout",
                                         "timed out", "try again", "unavailable"});
}

std::optional<meterbridge::Error> classify(const meterbridge::ApiResponse& r,
                                           const meterbridge::ApiRequest& request) {
  const std::string message = error_text(r.body);
  if (r.status >= 500 && is_limit_message(message)) {
    // Autotask's limits answer 500 as often as 429 (api-notes §2 "Errors").
    return meterbridge::Error(MB_E_RATE_LIMITED, "Autotask is rate limiting " + r.call + " (HTTP " +
                                                     std::to_string(r.status) + ", " + message +
                                                     "); a later run will try again");
  }
  if (r.status == 500 && !is_breakdown_message(message)) {
    // A validation failure: the request was refused and nothing was applied.
    const std::string m = "Autotask refused " + r.call + " (HTTP 500, " + message + ")";
    if (request.is_write()) return meterbridge::Error(MB_E_INVALID_ARGUMENT, m);
    return meterbridge::config_error(m + "; check the settings");
  }
  return std::nullopt;
}

bool may_have_landed(const meterbridge::HttpError& e) {
  // Rate limits and validation refusals were classified otherwise: nothing was applied.
  return e.http_status() >= 500 && e.status() == MB_E_TRANSIENT;
}

}  // namespace autotask
