// autotask: Autotask's own reading of its error answers (see at_errors.cpp for why the message
// text matters), plugged into the client's meterbridge::ApiClient::classify.
#pragma once

#include <meterbridge/http.hpp>

#include <optional>
#include <string>

namespace autotask {

// True when an error text speaks of Autotask's hourly threshold or thread limit.
bool is_limit_message(const std::string& text);
// True when an error text is a server breakdown, not a validation refusal (or there is none).
bool is_breakdown_message(const std::string& text);

// 5xx naming a limit: rate-limited; 500 with a validation message: invalid-argument on a write
// (that line only), config on a read. nullopt for the rest, which the SDK's rule classifies:
// 401/403 auth, 429 rate-limited, other 5xx transient, 3xx and other 4xx by its 4xx rule.
std::optional<meterbridge::Error> classify(const meterbridge::ApiResponse& r,
                                           const meterbridge::ApiRequest& request);

// What a failed write threw says it may have been applied: a server failure that does not say
// it was refused. A signed delta must then not be sent again until the units confirm it.
bool may_have_landed(const meterbridge::HttpError& e);

}  // namespace autotask
