// The emulated Sophos Central API. Paths (see README.md): token under /id, the global host under
// /api, the data-region hosts under /region/<region>.
#include "routes.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <regex>
#include <sstream>

namespace sophos_emu {

namespace {

const char* kDocUrl = "https://developer.sophos.com/intro";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The media type of a Content-Type header, lower-cased, without parameters.
std::string media_type(const httplib::Request& req) {
  std::string ct = req.get_header_value("Content-Type");
  ct = ct.substr(0, ct.find(';'));
  ct.erase(ct.find_last_not_of(" \t") + 1);
  return lower(ct);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(const std::string& body) {
  std::map<std::string, std::string> out;
  std::istringstream in(body);
  std::string pair;
  while (std::getline(in, pair, '&')) {
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key = url_decode(pair.substr(0, eq));
    out[key] = eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
  }
  return out;
}

void oauth_error(httplib::Response& res, int status, const std::string& code,
                 const std::string& message) {
  send_json(res, status, {{"errorCode", code}, {"message", message}, {"trackingId", new_uuid()}});
}

// POST /id/api/v2/oauth2/token
void token(State& st, const httplib::Request& req, httplib::Response& res) {
  std::map<std::string, std::string> form;
  const std::string type = media_type(req);
  if (type == "application/x-www-form-urlencoded") {
    form = parse_form(req.body);
  } else if (type == "application/json") {
    // The collection sends the refresh grant as JSON; the client_credentials grant is form-only.
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (!j.is_object() || j.value("grant_type", "") != "refresh_token")
      return oauth_error(res, 400, "oauth.invalid_request", "Bad Request");
    for (const auto& [k, v] : j.items())
      if (v.is_string()) form[k] = v.get<std::string>();
  } else {
    return oauth_error(res, 400, "oauth.invalid_request", "Bad Request");
  }
  const std::string grant = form["grant_type"];
  if (grant.empty() || form["client_id"].empty() || form["client_secret"].empty())
    return oauth_error(res, 400, "oauth.invalid_request", "Bad Request");
  if (grant != "client_credentials" && grant != "refresh_token")
    return oauth_error(res, 400, "oauth.unsupported_grant_type", "Bad Request");
  if (grant == "client_credentials" && form["scope"] != "token")
    return oauth_error(res, 400, "oauth.invalid_scope", "Bad Request");
  if (form["client_id"] != st.seed().client_id)
    return oauth_error(res, 401, "oauth.invalid_client_id", "Unauthorized");
  if (form["client_secret"] != st.seed().client_secret)
    return oauth_error(res, 401, "oauth.invalid_client_secret", "Unauthorized");
  if (grant == "refresh_token" && !st.refresh_token_known(form["refresh_token"]))
    return oauth_error(res, 401, "oauth.invalid_refresh_token", "Unauthorized");
  auto issued = st.issue_token();
  send_json(res, 200,
            {{"access_token", issued.access_token},
             {"token_type", "bearer"},
             {"expires_in", st.seed().token_ttl_seconds},
             {"refresh_token", issued.refresh_token},
             {"message", "OK"},
             {"errorCode", "success"},
             {"trackingId", new_uuid()}});
}

// Bearer check shared by the global and data-region hosts; false once an answer is written.
bool authorised(State& st, const httplib::Request& req, httplib::Response& res) {
  const std::string auth = req.get_header_value("Authorization");
  if (auth.size() <= 7 || lower(auth.substr(0, 7)) != "bearer ") {
    send_error(res, 401, "Unauthorized", "Missing or malformed Authorization header",
               "unauthorized");
    return false;
  }
  switch (st.check_token(auth.substr(7))) {
    case State::TokenCheck::ok:
      return true;
    case State::TokenCheck::expired:
      send_error(res, 401, "Unauthorized", "Token expired", "unauthorized");
      return false;
    case State::TokenCheck::unknown:
      break;
  }
  send_error(res, 401, "Unauthorized", "Invalid token", "unauthorized");
  return false;
}

// X-Partner-ID: missing -> 400, not the caller's partner -> 403.
bool partner_ok(State& st, const httplib::Request& req, httplib::Response& res) {
  if (!req.has_header("X-Partner-ID")) {
    send_error(res, 400, "BadRequest", "Missing required header X-Partner-ID", "badRequest");
    return false;
  }
  if (req.get_header_value("X-Partner-ID") != st.seed().partner_id) {
    send_error(res, 403, "Forbidden", "Caller has no access to the requested partner", "forbidden");
    return false;
  }
  return true;
}

// A strictly positive integer query parameter, the default when absent, nullopt when invalid.
std::optional<long> int_param(const httplib::Request& req, const char* name, long dflt) {
  if (!req.has_param(name)) return dflt;
  const std::string v = req.get_param_value(name);
  if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), ::isdigit)) return std::nullopt;
  long n = std::stol(v);
  if (n < 1) return std::nullopt;
  return n;
}

bool page_total(const httplib::Request& req) {
  return req.has_param("pageTotal") && lower(req.get_param_value("pageTotal")) == "true";
}

std::optional<long> page_size(State& st, const httplib::Request& req, httplib::Response& res) {
  auto size = int_param(req, "pageSize", 50);
  if (!size || *size > st.seed().max_page_size) {
    send_error(res, 400, "BadRequest",
               "pageSize must be between 1 and " + std::to_string(st.seed().max_page_size),
               "badRequest");
    return std::nullopt;
  }
  return size;
}

nlohmann::json tenant_json(State& st, const Tenant& t) {
  nlohmann::json j = {{"id", t.id},
                      {"name", t.name},
                      {"showAs", t.show_as},
                      {"dataGeography", t.data_geography},
                      {"dataRegion", t.data_region},
                      {"billingType", t.billing_type},
                      {"partner", {{"id", st.seed().partner_id}}},
                      {"apiHost", st.base_url() + "/region/" + t.data_region}};
  if (!t.organization_id.empty()) j["organization"] = {{"id", t.organization_id}};
  return j;
}

// GET /api/partner/v1/tenants: page-number pagination.
void tenants(State& st, const httplib::Request& req, httplib::Response& res) {
  auto size = page_size(st, req, res);
  if (!size) return;
  auto page = int_param(req, "page", 1);
  if (!page)
    return send_error(res, 400, "BadRequest", "page must be a positive integer", "badRequest");
  const auto& all = st.seed().tenants;
  const long count = static_cast<long>(all.size());
  nlohmann::json items = nlohmann::json::array();
  for (long i = (*page - 1) * *size; i < count && i < *page * *size; ++i)
    items.push_back(tenant_json(st, all[static_cast<std::size_t>(i)]));
  nlohmann::json pages = {
      {"current", *page}, {"size", *size}, {"items", count}, {"maxSize", st.seed().max_page_size}};
  if (page_total(req)) pages["total"] = std::max(1L, (count + *size - 1) / *size);
  send_json(res, 200, {{"items", items}, {"pages", pages}});
}

// Opaque, stable key of the usage item at `index` in the month's list.
std::string usage_key(const std::string& month, std::size_t index) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : month + ":" + std::to_string(index)) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// GET /api/partner/v1/billing/usage/{year}/{month}: key-based pagination.
void usage(State& st, const httplib::Request& req, httplib::Response& res, const std::string& y,
           const std::string& m) {
  auto digits = [](const std::string& s) {
    return !s.empty() && s.size() <= 4 && std::all_of(s.begin(), s.end(), ::isdigit);
  };
  if (!digits(y) || !digits(m) || y.size() != 4 || std::stoi(m) < 1 || std::stoi(m) > 12)
    return send_error(res, 400, "BadRequest", "Invalid year or month", "badRequest");
  auto size = page_size(st, req, res);
  if (!size) return;
  char month_key[16];
  std::snprintf(month_key, sizeof month_key, "%s-%02d", y.c_str(), std::stoi(m));
  auto found = st.seed().usage.find(month_key);
  if (found == st.seed().usage.end() || found->second.empty())
    return send_error(res, 404, "NotFound", "No data for requested year or month", "notFound");

  // (key, item) after the accountId / contactEmail filters.
  std::vector<std::pair<std::string, const nlohmann::json*>> rows;
  const std::string account = req.get_param_value("accountId");
  for (std::size_t i = 0; i < found->second.size(); ++i) {
    const auto& item = found->second[i];
    if (!account.empty() && item.value("accountId", "") != account) continue;
    rows.emplace_back(usage_key(month_key, i), &item);
  }
  std::size_t start = 0;
  if (req.has_param("pageFromKey") && !req.get_param_value("pageFromKey").empty()) {
    const std::string from = req.get_param_value("pageFromKey");
    auto it =
        std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.first == from; });
    if (it == rows.end())
      return send_error(res, 400, "BadRequest", "Invalid pageFromKey", "badRequest");
    start = static_cast<std::size_t>(it - rows.begin());
  }
  std::vector<std::string> fields;
  if (req.has_param("fields")) {
    std::istringstream in(req.get_param_value("fields"));
    for (std::string f; std::getline(in, f, ',');)
      if (!f.empty()) fields.push_back(f);
  }
  const std::size_t end = std::min(rows.size(), start + static_cast<std::size_t>(*size));
  nlohmann::json items = nlohmann::json::array();
  for (std::size_t i = start; i < end; ++i) {
    if (fields.empty()) {
      items.push_back(*rows[i].second);
      continue;
    }
    nlohmann::json partial = nlohmann::json::object();
    for (const auto& f : fields)
      if (rows[i].second->contains(f)) partial[f] = (*rows[i].second)[f];
    items.push_back(partial);
  }
  const long count = static_cast<long>(rows.size());
  nlohmann::json pages = {{"size", *size}, {"items", count}, {"maxSize", st.seed().max_page_size}};
  if (start < rows.size()) pages["fromKey"] = rows[start].first;
  if (end < rows.size()) pages["nextKey"] = rows[end].first;
  if (page_total(req)) pages["total"] = std::max(1L, (count + *size - 1) / *size);
  send_json(res, 200, {{"items", items}, {"pages", pages}});
}

// GET /region/<r>/licenses/v1/licenses with X-Tenant-ID.
void licenses(State& st, const httplib::Request& req, httplib::Response& res,
              const std::string& region) {
  if (!req.has_header("X-Tenant-ID"))
    return send_error(res, 400, "BadRequest", "Missing required header X-Tenant-ID", "badRequest");
  const Tenant* t = st.find_tenant(req.get_header_value("X-Tenant-ID"));
  if (!t || t->data_region != region)
    return send_error(res, 403, "Forbidden",
                      "Tenant not found in this data region (use the tenant's apiHost)",
                      "forbidden");
  nlohmann::json body = {{"tenant", {{"id", t->id}}}, {"licenses", t->licenses}};
  if (!t->organization_id.empty()) body["organization"] = {{"id", t->organization_id}};
  send_json(res, 200, body);
}

}  // namespace

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& error,
                const std::string& message, const std::string& code) {
  send_json(res, status,
            {{"error", error},
             {"message", message},
             {"correlationId", new_uuid()},
             {"code", code},
             {"createdAt", now_iso8601()},
             {"requestId", new_uuid()},
             {"docUrl", kDocUrl}});
}

void route_api(State& st, const httplib::Request& req, httplib::Response& res) {
  static const std::regex kTenant(R"(/api/partner/v1/tenants/([^/]+))");
  static const std::regex kUsage(R"(/api/partner/v1/billing/usage/([^/]+)/([^/]+))");
  static const std::regex kRegion(R"(/region/([a-z0-9]+)(/.*))");
  const std::string& p = req.path;
  std::smatch m;
  if (p == "/id/api/v2/oauth2/token") {
    if (req.method != "POST") return send_error(res, 405, "MethodNotAllowed", "Use POST", "405");
    return token(st, req, res);
  }
  const bool global = p.rfind("/api/", 0) == 0;
  const bool regional = std::regex_match(p, m, kRegion);
  if (!global && !regional)
    return send_error(res, 404, "NotFound", "No such resource: " + p, "notFound");
  if (req.method != "GET")
    return send_error(res, 404, "NotFound", "No such resource: " + req.method + " " + p,
                      "notFound");
  if (!authorised(st, req, res)) return;
  if (regional) {
    const std::string region = m[1], rest = m[2];
    const bool known = std::any_of(st.seed().tenants.begin(), st.seed().tenants.end(),
                                   [&](const Tenant& t) { return t.data_region == region; });
    if (known && rest == "/licenses/v1/licenses") return licenses(st, req, res, region);
    if (known && rest == "/whoami/v1")
      return send_json(res, 200,
                       {{"id", st.seed().partner_id},
                        {"idType", "partner"},
                        {"apiHosts", {{"global", st.base_url() + "/api"}}}});
    return send_error(res, 404, "NotFound", "No such resource: " + p, "notFound");
  }
  if (p == "/api/whoami/v1")
    return send_json(res, 200,
                     {{"id", st.seed().partner_id},
                      {"idType", "partner"},
                      {"apiHosts", {{"global", st.base_url() + "/api"}}}});
  const bool partner_path = p.rfind("/api/partner/", 0) == 0;
  if (partner_path && !partner_ok(st, req, res)) return;
  if (p == "/api/partner/v1/tenants") return tenants(st, req, res);
  if (std::regex_match(p, m, kTenant)) {
    const Tenant* t = st.find_tenant(m[1]);
    if (!t) return send_error(res, 404, "NotFound", "Tenant not found", "notFound");
    return send_json(res, 200, tenant_json(st, *t));
  }
  if (std::regex_match(p, m, kUsage)) return usage(st, req, res, m[1], m[2]);
  send_error(res, 404, "NotFound", "No such resource: " + p, "notFound");
}

}  // namespace sophos_emu
