// autotask: the Autotask PSA REST client (atservicesrest v1.0): zone discovery, the auth headers,
// the query model with nextPageUrl paging, creates, the hourly threshold and the error classes.
// Knows nothing of contracts or billing (at_sink.hpp does).
//
// Threads: every method may be called from several threads at once (the sink overlaps up to
// three requests per endpoint, Autotask's thread limit); the credentials are read once, under a
// lock, and the call counter is atomic.
#pragma once

#include <meterbridge/http.hpp>
#include <meterbridge/plugin.hpp>

#include <atomic>
#include <cstdint>
#include <initializer_list>
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

// A non-2xx answer of the API with its HTTP status and Autotask's own message ("errors").
class ApiError : public meterbridge::Error {
 public:
  ApiError(mb_status status, const std::string& message, int http_status, bool may_have_landed)
      : meterbridge::Error(status, message),
        http_status_(http_status),
        may_have_landed_(may_have_landed) {}
  int http_status() const noexcept { return http_status_; }
  // A refusal of this one request (validation), not of the whole run.
  bool line_level() const noexcept { return status() == MB_E_INVALID_ARGUMENT; }
  // A write answered with a server failure that does not say it was refused: it may have been
  // applied, so a signed delta must not be sent again until the units confirm it.
  bool may_have_landed() const noexcept { return may_have_landed_; }

 private:
  int http_status_;
  bool may_have_landed_;
};

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

  // Calls made through this client (zone lookup included).
  int64_t calls() const { return calls_.load(); }
  const ClientSettings& settings() const { return settings_; }

 private:
  // A request to url with the API user's headers.
  meterbridge::ApiRequest with_credentials(const char* method, const std::string& url);
  // Sends request; a status outside 2xx and `handled` throws the ApiError at_errors.hpp makes
  // of it. `name` is the call in messages ("POST /Companies/query"), `write` whether it changes
  // something (a query is a POST that does not).
  meterbridge::ApiResponse send(const meterbridge::ApiRequest& request, const std::string& name,
                                bool write, std::initializer_list<int32_t> handled = {});

  meterbridge::Host host_;
  ClientSettings settings_;
  std::mutex mutex_;  // guards the lazily read credentials and zone
  std::string secret_;
  std::string integration_code_;
  std::string zone_;
  std::atomic<int64_t> calls_{0};
};

}  // namespace autotask
