// Secrets: the API key and secret go nowhere but the token request's form body, the token
// nowhere but the Authorization header and the instance's state. None is ever in a message.
#include "datto_client.hpp"

#include <meterbridge/paging.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

namespace datto_rmm {
namespace {

constexpr const char* kService = "Datto RMM";
constexpr const char* kStateKey = "oauth_token";
// Datto documents 100 h; a token is renewed a minute before the expiry it was given with.
constexpr int64_t kDefaultLifetimeS = 100 * 3600;
constexpr int64_t kMaxLifetimeS = 366 * 86'400;
constexpr int64_t kRenewEarlyMs = 60'000;

// expires_in comes from the network: checked before any arithmetic on it.
int64_t lifetime_s(const json& body) {
  auto it = body.find("expires_in");
  if (it == body.end() || !it->is_number()) return kDefaultLifetimeS;
  const double s = it->get<double>();
  if (!std::isfinite(s) || s < 1 || s > static_cast<double>(kMaxLifetimeS)) return 300;
  return static_cast<int64_t>(s);
}

int64_t integer(const json& body, const char* key, int64_t fallback) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_number_integer()) return fallback;
  return it->get<int64_t>();
}

}  // namespace

Client::Client(meterbridge::Host host, std::string api_url, int64_t page_size)
    : host_(host),
      auth_(host, kService, api_url + "/api"),
      api_(host, kService, api_url + "/api"),
      pacer_(host),
      page_size_(page_size) {
  for (meterbridge::ApiClient* c : {&auth_, &api_}) {
    c->auth_hint = "check api_key and api_secret (an API user's keys change when regenerated)";
    c->forbidden_hint =
        "check that API access is enabled for the account (Setup > Global Settings > Access "
        "Control), that the API user may see every site, and that Datto does not block this "
        "machine's IP address (it does after repeated 429s)";
    c->config_hint =
        "check api_url (the platform's API host, e.g. https://merlot-api.centrastage.net)";
  }
  auth_.authorize = [this](meterbridge::HttpRequest&) { pacer_.before_request(); };
  api_.authorize = [this](meterbridge::HttpRequest& r) {
    r.headers["Authorization"] = "Bearer " + token();
    pacer_.before_request();
  };
  // A token that died before its time (revoked, keys regenerated): one new one, one resend.
  api_.on_unauthorized = [this] {
    host_.debug("Datto RMM refused the access token; requesting a new one");
    fetch_token();
    return true;
  };
}

const std::string& Client::token() {
  const int64_t now = host_.now_unix_ms();
  if (token_.empty()) {
    json saved = json::parse(host_.state_get(kStateKey).value_or(""), nullptr, false);
    if (saved.is_object() && saved.value("access_token", "") != "") {
      token_ = saved["access_token"].get<std::string>();
      token_expires_ms_ = integer(saved, "expires_at_ms", 0);
    }
  }
  if (token_.empty() || now >= token_expires_ms_ - kRenewEarlyMs) fetch_token();
  return token_;
}

void Client::fetch_token() {
  meterbridge::ApiResponse r =
      auth_.post("auth", "oauth", "token")
          .header("Authorization", meterbridge::basic_auth("public-client", "public"))
          .form_body({{"grant_type", "password"},
                      {"username", host_.secret("api_key")},
                      {"password", host_.secret("api_secret")}})
          .retry_unsafe()  // asking for a token twice is harmless
          .send({400, 401});
  if (r.status == 400 || r.status == 401) {
    const std::string detail = meterbridge::default_error_detail(r);
    throw meterbridge::auth_error("Datto RMM refused the API key and secret for " + r.call +
                                  " (HTTP " + std::to_string(r.status) +
                                  (detail.empty() ? "" : ", " + detail) + "); " + auth_.auth_hint);
  }
  json body = r.json();
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string()) {
    throw meterbridge::transient_error("Datto RMM answered " + r.call + " without an access_token");
  }
  const int64_t lifetime_ms = lifetime_s(body) * 1000;
  token_ = body["access_token"].get<std::string>();
  token_expires_ms_ = host_.now_unix_ms() + lifetime_ms;
  host_.state_put(kStateKey,
                  json{{"access_token", token_}, {"expires_at_ms", token_expires_ms_}}.dump());
  ++tokens_fetched_;
  host_.debug("got a Datto RMM access token valid for " + std::to_string(lifetime_ms / 1000) +
              " s");
}

meterbridge::ApiResponse Client::send(const meterbridge::ApiRequest& request) {
  try {
    return request.send();
  } catch (const meterbridge::Error& e) {
    if (e.status() != MB_E_RATE_LIMITED) throw;
    throw meterbridge::rate_limited_error(
        std::string(e.what()) + " (the account allows " + std::to_string(pacer_.limit()) +
        " requests per " + std::to_string(pacer_.window_ms() / 1000) +
        " s across every API user and integration; this plugin keeps itself under 90 % of that, "
        "so others used the rest)");
  }
}

json Client::read_rate_limit() {
  json body = send(api_.get("v2", "system", "request_rate")).json();
  const int64_t limit = integer(body, "accountRateLimit", 600);
  const int64_t window_s = integer(body, "slidingTimeWindowSizeSeconds", 60);
  const int64_t counted = integer(body, "accountCount", 0);
  pacer_.configure(limit, window_s * 1000, counted);
  host_.debug("Datto RMM account rate limit: " + std::to_string(limit) + " requests per " +
              std::to_string(window_s) + " s, " + std::to_string(counted) + " used");
  return body;
}

json Client::account() {
  return send(api_.get("v2", "account")).json();
}

void Client::each_item(const std::string& what, const meterbridge::ApiRequest& first,
                       const char* key, const std::function<void(const json&)>& each) {
  meterbridge::paging::by_next_url(host_, what, first.url(), [&](const std::string& url) {
    meterbridge::ApiResponse r = send(api_.at("GET", url));
    json body = r.json();
    if (!body.is_object() || !body.contains(key) || !body[key].is_array()) {
      throw meterbridge::transient_error("Datto RMM answered " + r.call + " without a '" + key +
                                         "' array");
    }
    for (const json& item : body[key]) each(item);
    const json details = body.value("pageDetails", json::object());
    auto next = details.find("nextPageUrl");
    return next != details.end() && next->is_string() ? next->get<std::string>() : "";
  });
}

void Client::each_site(const std::function<void(const json&)>& each) {
  each_item("GET /api/v2/account/sites",
            api_.get("v2", "account", "sites").query("max", page_size_), "sites", each);
}

void Client::each_device(const std::string& site_uid,
                         const std::function<void(const json&)>& each) {
  each_item("GET /api/v2/site/" + site_uid + "/devices",
            api_.get("v2", "site", site_uid, "devices").query("max", page_size_), "devices", each);
}

std::set<std::string> Client::not_billable_devices() {
  std::set<int64_t> filters;
  each_item(
      "GET /api/v2/filter/custom-filters",
      api_.get("v2", "filter", "custom-filters").query("max", page_size_), "filters",
      [&](const json& f) {
        if (f.value("name", "") == kNotBillable && f.contains("id") && f["id"].is_number_integer())
          filters.insert(f["id"].get<int64_t>());
      });
  std::set<std::string> devices;
  for (int64_t id : filters) {
    each_item("GET /api/v2/account/devices?filterId=" + std::to_string(id),
              api_.get("v2", "account", "devices").query("filterId", id).query("max", page_size_),
              "devices", [&](const json& d) {
                if (d.contains("uid") && d["uid"].is_string()) devices.insert(d["uid"]);
              });
  }
  host_.debug(std::to_string(filters.size()) + " custom filter(s) named " + kNotBillable + ", " +
              std::to_string(devices.size()) + " device(s) left out");
  return devices;
}

}  // namespace datto_rmm
