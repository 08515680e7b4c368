// sophos-central: the Sophos Central Partner API client (OAuth2 client credentials, whoami,
// tenants, billing usage). Knows HTTP, paging and error classes; knows nothing of usage records
// (sophos_usage.hpp maps items to them).
#pragma once

#include <meterbridge/http.hpp>
#include <meterbridge/plugin.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace sophos_central {

using meterbridge::json;

inline constexpr const char* kDefaultTokenUrl = "https://id.sophos.com/api/v2/oauth2/token";
inline constexpr const char* kDefaultApiUrl = "https://api.central.sophos.com";

struct ClientSettings {
  std::string client_id;
  std::string token_url = kDefaultTokenUrl;
  std::string api_url = kDefaultApiUrl;  // no trailing '/'
  int page_size = 100;
};

// One tenant (a customer of the partner) as the tenants listing returns it.
struct Tenant {
  std::string id;
  std::string name;      // "name"
  std::string show_as;   // "showAs" (may be empty)
  std::string api_host;  // "apiHost": the tenant's regional host, for tenant-level calls
  // What people see: showAs when set, else name, else the id.
  const std::string& display_name() const {
    if (!show_as.empty()) return show_as;
    if (!name.empty()) return name;
    return id;
  }
};

// A page of the tenants listing.
struct TenantPage {
  std::vector<Tenant> tenants;
  std::optional<int64_t> total_pages;  // pages.total
  std::optional<int64_t> total_items;  // pages.items
};

// "errorCode/error (code): message" from a Sophos error body, as far as it has those fields.
std::string error_detail(const meterbridge::HttpResponse& r);

class Client {
 public:
  Client(meterbridge::Host host, ClientSettings settings);
  // api_'s callbacks hold this client: it stays where it was made.
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The partner id from whoami (cached). MB_E_CONFIG when the credentials are not a partner's.
  const std::string& partner_id();

  // One page (1-based) of the tenants listing.
  TenantPage tenants_page(int64_t page);
  // Every tenant, following the pages until pages.total.
  std::vector<Tenant> tenants();

  // One tenant by id (its regional apiHost included); nullopt when Sophos does not know it.
  std::optional<Tenant> tenant(const std::string& id);
  // The licences of a tenant, from its regional host ("licenses" of /licenses/v1/licenses).
  json licenses(const Tenant& tenant);
  // Calls each(item) for every item of the billing usage of year/month, following pageFromKey.
  // false when Sophos has no data for that month (HTTP 404 on the first page).
  bool usage(int year, int month, const std::function<void(const json& item)>& each);

  // How many access tokens were fetched (for diagnostics and tests).
  int64_t tokens_fetched() const { return tokens_fetched_; }

 private:
  const std::string& access_token();
  void fetch_token();

  meterbridge::Host host_;
  ClientSettings settings_;
  meterbridge::ApiClient api_;
  std::string token_;
  int64_t token_refresh_at_ms_ = 0;  // refresh when now >= this
  std::string partner_id_;
  int64_t tokens_fetched_ = 0;
};

}  // namespace sophos_central
