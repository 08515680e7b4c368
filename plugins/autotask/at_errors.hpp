// autotask: the classification of Autotask's error answers (see at_errors.cpp for why the
// message text matters).
#pragma once

#include "at_client.hpp"

#include <string>

namespace autotask {

struct CallFacts {
  std::string what;      // "POST /ContractServiceAdjustments"
  bool write = false;    // the call changes something
  std::string message;   // error_text() of the body
  std::string username;  // named in a credentials hint; never the secret
};

// True when an error text speaks of Autotask's hourly threshold or thread limit.
bool is_limit_message(const std::string& text);
// True when an error text is a server breakdown, not a validation refusal (or there is none).
bool is_breakdown_message(const std::string& text);

// 401/403 auth; 429, and 5xx naming a limit, rate-limited; 500 with a validation message:
// invalid-argument on a write (that line only), config on a read; other 5xx transient (on a
// write: may have landed); 3xx and other 4xx as the SDK's classify_http_failure says.
ApiError classify(const meterbridge::HttpResponse& r, const CallFacts& facts);

}  // namespace autotask
