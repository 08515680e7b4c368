// autotask: the Autotask PSA REST client (atservicesrest v1.0): zone discovery, the auth headers,
// the query model with nextPageUrl paging, creates, the hourly threshold and the error classes.
// Knows nothing of contracts or billing (at_sink.hpp does).
//
// Threads: every method may be called from several threads at once (the sink overlaps up to
// three requests per endpoint, Autotask's thread limit); the credentials and the zone are read
// once, under a lock, and the ApiClient is not changed once made.
#pragma once

#include <meterbridge/http.hpp>
#include <meterbridge/plugin.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace autotask {

using meterbridge::json;

struct ClientSettings {
  std::string username;
  std::string zone_url;    // "https://webservicesN.autotask.net/ATServicesRest/"; empty: looked up
  std::string global_url;  // where the zone lookup goes
  std::optional<int64_t> impersonation_resource_id;
};

// What a call throws for a non-2xx answer is a meterbridge::HttpError, classified by the SDK's
// rule and Autotask's own reading of a 500 (at_errors.hpp): MB_E_INVALID_ARGUMENT is a refusal
// of that one request, may_have_landed() tells a write that may have been applied.

// The hourly request threshold (GET /ThresholdInformation).
struct Threshold {
  int64_t limit = 0;              // externalRequestThreshold
  int64_t timeframe_minutes = 0;  // requestThresholdTimeframe
  int64_t used = 0;               // currentTimeframeRequestCount
};

// One query: POST /{entity}/query with {"MaxRecords": 500, "IncludeFields", "Filter"}.
struct Query {
  std::string entity;
  json filter = json::array();
  std::vector<std::string> include_fields;  // "id" is always added: paging needs it
  int max_records = 500;
  size_t max_items = 0;  // > 0: stop after that many items
};

// The messages of an Autotask error body: {"errors": ["..."]} (strings or objects with
// "message"), or {"Message": "..."} (405); empty when none.
std::string error_text(const std::string& body);

class Client {
 public:
  Client(meterbridge::Host host, ClientSettings settings);
  // api_'s hooks hold this client: it stays where it was made.
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // {zone}: the setting, else the host state cache, else GET zoneInformation (cached).
  std::string zone_url();
  std::string api_base() { return zone_url() + "V1.0"; }

  json get(const std::string& path);
  std::optional<json> get_optional(const std::string& path);  // nullopt on 404
  // Every record of a query, following pageDetails.nextPageUrl.
  std::vector<json> query(const Query& q);
  // A create or update; never retried by the host (an adjustment is not idempotent).
  json post(const std::string& path, const json& body);
  json patch(const std::string& path, const json& body);
  Threshold threshold();

  const ClientSettings& settings() const { return settings_; }

 private:
  // request with the API user's headers.
  meterbridge::ApiRequest with_credentials(meterbridge::ApiRequest request);
  // A request to path under api_base(), with the API user's headers.
  meterbridge::ApiRequest request(const char* method, const std::string& path);

  meterbridge::Host host_;
  ClientSettings settings_;
  meterbridge::ApiClient api_;  // base: global_url (the zone lookup); hints, error classes
  std::mutex mutex_;            // guards the lazily read credentials and zone
  std::string secret_;
  std::string integration_code_;
  std::string zone_;
};

}  // namespace autotask
