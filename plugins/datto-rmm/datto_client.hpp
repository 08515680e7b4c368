// datto-rmm: the Datto RMM API v2 client: the OAuth token (password grant, cached in the host's
// state), the account's rate limit (request_rate, paced by Pacer), and the paged listings the
// plugin reads (sites, a site's devices, custom filters, the devices of a filter).
#pragma once

#include <meterbridge/http.hpp>
#include <meterbridge/plugin.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "datto_pacer.hpp"

namespace datto_rmm {

using meterbridge::json;

// The name of the device group (and of the custom filter that selects it) whose devices are
// not billed, as Kaseya's billing integration spells it.
inline constexpr const char* kNotBillable = "_NotBillable_";

class Client {
 public:
  // api_url: the platform's API host ("https://merlot-api.centrastage.net"); "/api" is appended.
  Client(meterbridge::Host host, std::string api_url, int64_t page_size);

  // GET /v2/system/request_rate; sets the pacing to the account's limit and window. Answers the
  // body.
  json read_rate_limit();
  // GET /v2/account.
  json account();
  // Calls each(site) for every site of the account (GET /v2/account/sites, every page).
  void each_site(const std::function<void(const json&)>& each);
  // Calls each(device) for every device of the site (GET /v2/site/{uid}/devices, every page).
  void each_device(const std::string& site_uid, const std::function<void(const json&)>& each);
  // The uids of the devices the custom filters named _NotBillable_ select (none when there is
  // no such filter).
  std::set<std::string> not_billable_devices();

  int64_t tokens_fetched() const { return tokens_fetched_; }
  const Pacer& pacer() const { return pacer_; }

 private:
  // Every page of a listing, from first_url, following pageDetails.nextPageUrl.
  void each_item(const std::string& what, const meterbridge::ApiRequest& first, const char* key,
                 const std::function<void(const json&)>& each);
  meterbridge::ApiResponse send(const meterbridge::ApiRequest& request);
  const std::string& token();
  void fetch_token();

  meterbridge::Host host_;
  meterbridge::ApiClient auth_;  // the token endpoint
  meterbridge::ApiClient api_;   // everything else, with the bearer token
  Pacer pacer_;
  int64_t page_size_;
  std::string token_;
  int64_t token_expires_ms_ = 0;
  int64_t tokens_fetched_ = 0;
};

}  // namespace datto_rmm
