// autotask: what an Autotask error answer means. Autotask answers validation failures and its
// own breakdowns alike with HTTP 500 and {"errors": ["..."]}, so the status alone cannot tell a
// refused adjustment (nothing applied: report it, go on) from a failed one (maybe applied: hold
// the line until the units confirm it) or from the limits (slow down). The message text can.
#include "at_errors.hpp"

#include <meterbridge/http_failure.hpp>

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

ApiError classify(const meterbridge::HttpResponse& r, const CallFacts& facts) {
  meterbridge::HttpCall call;
  call.service = "Autotask";
  call.what = facts.what;
  call.write = facts.write;
  call.detail = facts.message;
  call.auth_hint = "check username ('" + facts.username +
                   "'), secret and integration_code (the API user's tracking identifier); a "
                   "zone_url of another zone is refused too";
  call.forbidden_hint =
      "the API user's security level does not allow it (contracts need a level that can see "
      "and adjust them)";
  call.config_hint = "check zone_url and the settings";
  meterbridge::HttpFailure f = meterbridge::classify_http_failure(r, call);
  if (r.status >= 500 && is_limit_message(facts.message)) {
    // Autotask's limits answer 500 as often as 429 (api-notes §2 "Errors").
    return ApiError(MB_E_RATE_LIMITED,
                    "Autotask is rate limiting " + facts.what + " (HTTP " +
                        std::to_string(r.status) + ", " + facts.message +
                        "); a later run will try again",
                    r.status, false);
  }
  if (r.status == 500 && !is_breakdown_message(facts.message)) {
    // A validation failure: the request was refused and nothing was applied.
    const std::string m = "Autotask refused " + facts.what + " (HTTP 500, " + facts.message + ")";
    return ApiError(facts.write ? MB_E_INVALID_ARGUMENT : MB_E_CONFIG,
                    facts.write ? m : m + "; check the settings", r.status, false);
  }
  const bool may_have_landed = facts.write && r.status >= 500;
  return ApiError(f.status, f.message, r.status, may_have_landed);
}

}  // namespace autotask
