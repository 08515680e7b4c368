// sophos-central: the Sophos Central Partner API client. See sophos_client.hpp.
//
// Secrets: the client secret is read from the host when a token is needed and goes nowhere but
// the token request's form body; the access token goes nowhere but the Authorization header.
// Neither is ever part of a log line or an error message.
#include "sophos_client.hpp"

#include <meterbridge/paging.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

using meterbridge::ApiRequest;
using meterbridge::ApiResponse;
using meterbridge::HttpResponse;

namespace sophos_central {
namespace {

constexpr int64_t kRefreshEarlyMs = 60'000;  // refresh the token a minute before it expires
constexpr int64_t kMaxPages = 100'000;       // a guard against a server that never stops paging

// The token's lifetime in seconds. "expires_in" comes from the network, so it is checked before
// any arithmetic: a huge or negative value (-9223372036854775808, 1e300) would overflow the
// milliseconds computed from it, which is undefined behaviour, and a nonsense value must neither
// keep a token for ever nor make every request fetch a new one. A value below 1 s or above a
// year falls back to a short lifetime (if the token dies sooner, the 401 fetches a new one).
constexpr int64_t kDefaultLifetimeS = 3600;      // absent or not a number: Sophos's documented 1 h
constexpr int64_t kMaxLifetimeS = 366 * 86'400;  // a year
constexpr int64_t kFallbackLifetimeS = 300;      // below 1 s, above a year, or not finite

int64_t token_lifetime_s(const json& body) {
  if (!body.is_object()) return kDefaultLifetimeS;
  auto it = body.find("expires_in");
  if (it == body.end() || !it->is_number()) return kDefaultLifetimeS;
  const double seconds = it->get<double>();
  if (!std::isfinite(seconds) || seconds < 1 || seconds > static_cast<double>(kMaxLifetimeS))
    return kFallbackLifetimeS;
  return static_cast<int64_t>(seconds);  // within [1, kMaxLifetimeS]: the cast is defined
}

std::string string_field(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::optional<int64_t> integer_field(const json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

const json& items_of(const json& body, const std::string& what) {
  static const json kNone = json::array();
  if (!body.is_object()) {
    throw meterbridge::transient_error("Sophos Central answered " + what +
                                       " with JSON that is not an object");
  }
  auto it = body.find("items");
  if (it == body.end() || it->is_null()) return kNone;
  if (!it->is_array()) {
    throw meterbridge::transient_error("Sophos Central answered " + what +
                                       " with 'items' that is not an array");
  }
  return *it;
}

}  // namespace

std::string error_detail(const HttpResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {};
  std::string kind = string_field(j, "errorCode");
  if (kind.empty()) kind = string_field(j, "error");
  std::string code = string_field(j, "code");
  std::string message = string_field(j, "message");
  std::string out = kind;
  if (!code.empty() && code != kind) out += out.empty() ? code : " (" + code + ")";
  if (!message.empty()) out += out.empty() ? message : ": " + message;
  return out;
}

Client::Client(meterbridge::Host host, ClientSettings settings)
    : host_(host), settings_(std::move(settings)), api_(host, "Sophos Central", settings_.api_url) {
  api_.auth_hint = "check that the API credentials are valid and have the Partner role";
  api_.config_hint = "check api_url and page_size";
  api_.error_detail = error_detail;
  // Sophos calls are named by their path only (README "Errors"): the page keys in the query are
  // long and mean nothing to an operator.
  api_.name_calls_by_path = true;
  api_.authorize = [this](meterbridge::HttpRequest& r) {
    r.headers["Authorization"] = "Bearer " + access_token();
  };
  // A token may die before its time (revoked, or the clock is off): one new token, one resend.
  api_.on_unauthorized = [this] {
    host_.debug("Sophos Central refused the access token (HTTP 401); fetching a new one");
    token_.clear();
    token_refresh_at_ms_ = 0;
    return true;
  };
}

void Client::fetch_token() {
  host_.throw_if_cancelled();
  ApiRequest request = api_.at("POST", settings_.token_url);
  request
      .form_body({{"grant_type", "client_credentials"},
                  {"client_id", settings_.client_id},
                  {"client_secret", host_.secret("client_secret")},
                  {"scope", "token"}})
      .header("Accept", "application/json")
      .retry_unsafe();  // asking for a token twice is harmless
  host_.debug("requesting a Sophos Central access token");
  // Sent here rather than with api_.send: it carries no bearer token, and a 4xx of this POST is
  // a setting to check (config), not one refused write.
  ApiResponse r;
  r.service = api_.service();
  r.call = request.what();
  try {
    static_cast<HttpResponse&>(r) = host_.http(request.to_http());
  } catch (const meterbridge::NoResponseError& e) {
    throw meterbridge::NoResponseError(e.status(),
                                       "Sophos Central did not answer " + r.call + ": " + e.what());
  }

  const std::string detail = error_detail(r);
  const bool oauth_refusal = r.status == 400 && detail.rfind("oauth.", 0) == 0;
  if (r.status == 401 || r.status == 403 || oauth_refusal) {
    throw meterbridge::auth_error("Sophos Central refused the client credentials (HTTP " +
                                  std::to_string(r.status) + (detail.empty() ? "" : ", " + detail) +
                                  "); check client_id and client_secret");
  }
  if (r.status < 200 || r.status >= 300) throw api_.failure(r, false);
  json body = r.json();
  std::string token = string_field(body, "access_token");
  if (token.empty()) {
    throw meterbridge::transient_error("Sophos Central answered " + r.call +
                                       " without an access_token");
  }
  const int64_t expires_in_s = token_lifetime_s(body);
  const int64_t lifetime_ms = expires_in_s * 1000;  // at most a year: no overflow
  token_ = std::move(token);
  // A minute early, or halfway for a token that lives less than two minutes (else every request
  // would fetch a new token).
  token_refresh_at_ms_ =
      host_.now_unix_ms() + lifetime_ms - std::min(kRefreshEarlyMs, lifetime_ms / 2);
  ++tokens_fetched_;
  host_.debug("got a Sophos Central access token valid for " + std::to_string(expires_in_s) + " s");
}

const std::string& Client::access_token() {
  if (token_.empty() || host_.now_unix_ms() >= token_refresh_at_ms_) fetch_token();
  return token_;
}

const std::string& Client::partner_id() {
  if (!partner_id_.empty()) return partner_id_;
  json body = api_.get("whoami", "v1").send().json();
  std::string id_type = string_field(body, "idType");
  if (id_type != "partner") {
    throw meterbridge::config_error(
        "these credentials are for a tenant/organization, not a partner (whoami idType '" +
        id_type + "'); create Partner API credentials in Sophos Central Partner");
  }
  std::string id = string_field(body, "id");
  if (id.empty()) {
    throw meterbridge::transient_error("Sophos Central answered GET /whoami/v1 without an id");
  }
  partner_id_ = std::move(id);
  return partner_id_;
}

TenantPage Client::tenants_page(int64_t page) {
  ApiResponse r = api_.get("partner", "v1", "tenants")
                      .header("X-Partner-ID", partner_id())
                      .query("page", page)
                      .query("pageSize", settings_.page_size)
                      .query("pageTotal", "true")
                      .send();
  json body = r.json();
  TenantPage out;
  for (const json& item : items_of(body, r.call)) {
    Tenant t;
    t.id = string_field(item, "id");
    if (t.id.empty()) {
      throw meterbridge::transient_error("Sophos Central answered " + r.call +
                                         " with a tenant without an id");
    }
    t.name = string_field(item, "name");
    t.show_as = string_field(item, "showAs");
    t.api_host = string_field(item, "apiHost");
    out.tenants.push_back(std::move(t));
  }
  if (body.contains("pages")) {
    out.total_pages = integer_field(body["pages"], "total");
    out.total_items = integer_field(body["pages"], "items");
  }
  return out;
}

std::optional<Tenant> Client::tenant(const std::string& id) {
  ApiResponse r =
      api_.get("partner", "v1", "tenants", id).header("X-Partner-ID", partner_id()).send({404});
  if (r.status == 404) return std::nullopt;
  json body = r.json();
  Tenant t;
  t.id = string_field(body, "id");
  t.name = string_field(body, "name");
  t.show_as = string_field(body, "showAs");
  t.api_host = string_field(body, "apiHost");
  if (t.id.empty() || t.api_host.empty()) {
    throw meterbridge::transient_error("Sophos Central answered " + r.call +
                                       " without the tenant's id or apiHost");
  }
  return t;
}

json Client::licenses(const Tenant& tenant) {
  ApiResponse r = api_.at("GET", tenant.api_host)
                      .raw_path("licenses/v1/licenses")
                      .header("X-Tenant-ID", tenant.id)
                      .send();
  json body = r.json();
  if (!body.is_object() || !body.contains("licenses") || !body["licenses"].is_array()) {
    throw meterbridge::transient_error("Sophos Central answered " + r.call +
                                       " without a 'licenses' array");
  }
  return body["licenses"];
}

std::vector<Tenant> Client::tenants() {
  std::vector<Tenant> all;
  meterbridge::paging::by_number(
      host_, "Sophos Central tenants listing",
      [&](int64_t page) {
        TenantPage p = tenants_page(page);
        const size_t got = p.tenants.size();
        const bool more = p.total_pages
                              ? page < *p.total_pages
                              : got >= static_cast<size_t>(settings_.page_size) && got > 0;
        json ids = json::array();  // what tells one page from the next
        for (Tenant& t : p.tenants) {
          ids.push_back(t.id);
          all.push_back(std::move(t));
        }
        return meterbridge::paging::page(ids, more);
      },
      1, kMaxPages);
  return all;
}

bool Client::usage(int year, int month, const std::function<void(const json& item)>& each) {
  bool found = true;
  int64_t page = 0;
  meterbridge::paging::by_cursor(
      host_, "Sophos Central billing usage", "",
      [&](const std::string& key) -> std::string {
        ++page;
        ApiRequest request = api_.get("partner", "v1", "billing", "usage", year, month)
                                 .header("X-Partner-ID", partner_id())
                                 .query("pageSize", settings_.page_size)
                                 .query("pageTotal", "true");
        if (!key.empty()) request.query("pageFromKey", key);
        ApiResponse r = request.send({404});
        if (r.status == 404 && page > 1) {
          throw meterbridge::transient_error("Sophos Central answered " + r.call + " page " +
                                             std::to_string(page) +
                                             " with HTTP 404; the month cannot be read whole");
        }
        if (r.status == 404) {
          host_.info("Sophos Central has no billing usage for " + std::to_string(year) + "-" +
                     (month < 10 ? "0" : "") + std::to_string(month));
          found = false;
          return "";
        }
        json body = r.json();
        for (const json& item : items_of(body, r.call)) each(item);
        return body.contains("pages") ? string_field(body["pages"], "nextKey") : "";
      },
      kMaxPages);
  return found;
}

}  // namespace sophos_central
