// sophos-central: the Sophos Central Partner API client. See sophos_client.hpp.
//
// Secrets: the client secret is read from the host when a token is needed and goes nowhere but
// the token request's form body; the access token goes nowhere but the Authorization header.
// Neither is ever part of a log line or an error message.
#include "sophos_client.hpp"

#include <meterbridge/http_failure.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>

using meterbridge::Error;
using meterbridge::HttpRequest;
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

// "errorCode/error (code): message" from an error body, as far as it has those fields.
std::string error_detail(const std::string& body) {
  json j = json::parse(body, nullptr, false);
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

std::string status_text(const HttpResponse& r) {
  std::string detail = error_detail(r.body);
  return "HTTP " + std::to_string(r.status) + (detail.empty() ? "" : ", " + detail);
}

// Turns a non-2xx answer of the API into the Error of its class (the SDK's one rule).
[[noreturn]] void throw_for_status(const HttpResponse& r, const std::string& what) {
  meterbridge::HttpCall call;
  call.service = "Sophos Central";
  call.what = what;
  call.detail = error_detail(r.body);
  call.auth_hint = "check that the API credentials are valid and have the Partner role";
  call.config_hint = "check api_url and page_size";
  throw meterbridge::http_failure(r, call);
}

json parse_body(const HttpResponse& r, const std::string& what) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) {
    throw meterbridge::transient_error("Sophos Central answered " + what +
                                       " with a body that is not JSON (HTTP " +
                                       std::to_string(r.status) + ")");
  }
  return j;
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

std::string percent_encode(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

std::string url_path(std::string_view url) {
  size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : url.find('/', start + 3);
  if (start == std::string_view::npos) return "/";
  size_t end = url.find_first_of("?#", start);
  return std::string(url.substr(start, end == std::string_view::npos ? end : end - start));
}

Client::Client(meterbridge::Host host, ClientSettings settings)
    : host_(host), settings_(std::move(settings)) {
  while (!settings_.api_url.empty() && settings_.api_url.back() == '/')
    settings_.api_url.pop_back();
}

void Client::fetch_token() {
  host_.throw_if_cancelled();
  const std::string what = "POST " + url_path(settings_.token_url);
  HttpRequest request;
  request.method = "POST";
  request.url = settings_.token_url;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  request.body = "grant_type=client_credentials&client_id=" + percent_encode(settings_.client_id) +
                 "&client_secret=" + percent_encode(host_.secret("client_secret")) + "&scope=token";
  request.retry_unsafe = true;  // asking for a token twice is harmless
  host_.debug("requesting a Sophos Central access token");
  HttpResponse r = host_.http(request);
  request.body.clear();

  std::string detail = error_detail(r.body);
  bool oauth_refusal = r.status == 400 && detail.rfind("oauth.", 0) == 0;
  if (r.status == 401 || r.status == 403 || oauth_refusal) {
    throw meterbridge::auth_error("Sophos Central refused the client credentials (" +
                                  status_text(r) + "); check client_id and client_secret");
  }
  if (r.status < 200 || r.status >= 300) throw_for_status(r, what);
  json body = parse_body(r, what);
  std::string token = string_field(body, "access_token");
  if (token.empty()) {
    throw meterbridge::transient_error("Sophos Central answered " + what +
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

Client::Response Client::get(const std::string& url, bool partner_header, bool allow_404,
                             const std::string& tenant_id) {
  const std::string what = "GET " + url_path(url);
  const std::string partner = partner_header ? partner_id() : std::string();
  for (int attempt = 0;; ++attempt) {
    host_.throw_if_cancelled();
    HttpRequest request;
    request.url = url;
    request.headers = {{"Authorization", "Bearer " + access_token()},
                       {"Accept", "application/json"}};
    if (partner_header) request.headers["X-Partner-ID"] = partner;
    if (!tenant_id.empty()) request.headers["X-Tenant-ID"] = tenant_id;
    host_.trace(what);
    HttpResponse r = host_.http(request);
    if (r.status == 401 && attempt == 0) {
      host_.debug("Sophos Central refused the access token for " + what +
                  " (HTTP 401); fetching a new one");
      token_.clear();
      token_refresh_at_ms_ = 0;
      continue;
    }
    if (r.status == 404 && allow_404) return {404, json()};
    if (r.status < 200 || r.status >= 300) throw_for_status(r, what);
    return {r.status, parse_body(r, what)};
  }
}

const std::string& Client::partner_id() {
  if (!partner_id_.empty()) return partner_id_;
  const std::string url = settings_.api_url + "/whoami/v1";
  json body = get(url, false, false).body;
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
  const std::string url = settings_.api_url + "/partner/v1/tenants?page=" + std::to_string(page) +
                          "&pageSize=" + std::to_string(settings_.page_size) + "&pageTotal=true";
  json body = get(url, true, false).body;
  const std::string what = "GET " + url_path(url);
  TenantPage out;
  for (const json& item : items_of(body, what)) {
    Tenant t;
    t.id = string_field(item, "id");
    if (t.id.empty()) {
      throw meterbridge::transient_error("Sophos Central answered " + what +
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
  const std::string url = settings_.api_url + "/partner/v1/tenants/" + percent_encode(id);
  Response r = get(url, true, true);
  if (r.status == 404) return std::nullopt;
  Tenant t;
  t.id = string_field(r.body, "id");
  t.name = string_field(r.body, "name");
  t.show_as = string_field(r.body, "showAs");
  t.api_host = string_field(r.body, "apiHost");
  if (t.id.empty() || t.api_host.empty()) {
    throw meterbridge::transient_error("Sophos Central answered GET " + url_path(url) +
                                       " without the tenant's id or apiHost");
  }
  return t;
}

json Client::licenses(const Tenant& tenant) {
  const std::string url = tenant.api_host + "/licenses/v1/licenses";
  json body = get(url, false, false, tenant.id).body;
  if (!body.is_object() || !body.contains("licenses") || !body["licenses"].is_array()) {
    throw meterbridge::transient_error("Sophos Central answered GET " + url_path(url) +
                                       " without a 'licenses' array");
  }
  return body["licenses"];
}

std::vector<Tenant> Client::tenants() {
  std::vector<Tenant> all;
  for (int64_t page = 1; page <= kMaxPages; ++page) {
    host_.throw_if_cancelled();
    TenantPage p = tenants_page(page);
    const size_t got = p.tenants.size();
    for (Tenant& t : p.tenants) all.push_back(std::move(t));
    bool more = p.total_pages ? page < *p.total_pages
                              : got >= static_cast<size_t>(settings_.page_size) && got > 0;
    if (!more) return all;
  }
  throw meterbridge::transient_error("Sophos Central tenants listing did not end after " +
                                     std::to_string(kMaxPages) + " pages");
}

bool Client::usage(int year, int month, const std::function<void(const json& item)>& each) {
  const std::string base = settings_.api_url + "/partner/v1/billing/usage/" + std::to_string(year) +
                           "/" + std::to_string(month) +
                           "?pageSize=" + std::to_string(settings_.page_size) + "&pageTotal=true";
  const std::string what = "GET " + url_path(base);
  std::set<std::string> keys_seen;
  std::string url = base;
  for (int64_t page = 1; page <= kMaxPages; ++page) {
    host_.throw_if_cancelled();
    Response r = get(url, true, true);
    if (r.status == 404 && page > 1) {
      throw meterbridge::transient_error("Sophos Central answered " + what + " page " +
                                         std::to_string(page) +
                                         " with HTTP 404; the month cannot be read whole");
    }
    if (r.status == 404) {
      host_.info("Sophos Central has no billing usage for " + std::to_string(year) + "-" +
                 (month < 10 ? "0" : "") + std::to_string(month));
      return false;
    }
    for (const json& item : items_of(r.body, what)) each(item);
    std::string next = r.body.contains("pages") ? string_field(r.body["pages"], "nextKey") : "";
    if (next.empty()) return true;
    if (!keys_seen.insert(next).second) {
      throw meterbridge::transient_error("Sophos Central paging of " + what +
                                         " repeats a page key; the month cannot be read whole");
    }
    url = base + "&pageFromKey=" + percent_encode(next);
  }
  throw meterbridge::transient_error("Sophos Central billing usage did not end after " +
                                     std::to_string(kMaxPages) + " pages");
}

}  // namespace sophos_central
