// The emulated Datto RMM API: the OAuth token endpoint, the bearer check, the account's rate
// limit, and the reads of the v2 spec the billing plugin needs (account, sites, site, devices,
// filters, system). See README.md.
#include "api.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

#include "url_encode.hpp"

namespace rmm_emu {
namespace {

constexpr const char* kPublicClient = "Basic cHVibGljLWNsaWVudDpwdWJsaWM=";  // public-client:public

// The reason phrases of the statuses this emulator answers.
const char* reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    default:
      return "Error";
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool like(const json& object, const char* key, const std::string& needle) {
  return lower(object.value(key, "")).find(lower(needle)) != std::string::npos;
}

// A non-negative integer query parameter; nullopt (and a 400 sent) when it is not one.
std::optional<int64_t> number(const httplib::Request& req, httplib::Response& res, const char* name,
                              int64_t fallback) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  try {
    size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used == text.size() && v >= 0) return v;
  } catch (const std::exception&) {
  }
  send_error(res, 400, req.path);
  return std::nullopt;
}

// One page of items, as the spec's *Page objects: {pageDetails, <key>: [...]}, with absolute
// prev/next URLs that repeat the request's other parameters.
void send_page(State& st, const httplib::Request& req, httplib::Response& res, const char* key,
               const json& items) {
  auto page = number(req, res, "page", 0);
  if (!page) return;
  auto max = number(req, res, "max", st.pagination_max());
  if (!max) return;
  const int64_t size = std::clamp<int64_t>(*max, 1, st.pagination_max());
  const auto total = static_cast<int64_t>(items.size());
  json slice = json::array();
  for (int64_t i = *page * size; i < std::min(total, (*page + 1) * size); ++i)
    slice.push_back(items[static_cast<size_t>(i)]);
  auto url = [&](int64_t p) {
    std::string u = st.base_url() + req.path + "?";
    for (const auto& [k, v] : req.params) {
      if (k != "page" && k != "max")
        u += emulator_kit::url_encode(k) + "=" + emulator_kit::url_encode(v) + "&";
    }
    return json(u + "max=" + std::to_string(size) + "&page=" + std::to_string(p));
  };
  json details = {{"count", slice.size()},
                  {"totalCount", total},
                  {"prevPageUrl", *page > 0 ? url(*page - 1) : json(nullptr)},
                  {"nextPageUrl", (*page + 1) * size < total ? url(*page + 1) : json(nullptr)}};
  send_json(res, 200, {{"pageDetails", details}, {key, slice}});
}

void token(State& st, const httplib::Request& req, httplib::Response& res) {
  if (req.method != "POST") return send_error(res, 405, req.path);
  // As Spring's OAuth2 server answers: the client first, then the grant.
  if (req.get_header_value("Authorization") != kPublicClient)
    return send_json(
        res, 401,
        {{"error", "unauthorized"},
         {"error_description", "Full authentication is required to access this resource"}});
  if (req.get_param_value("grant_type") != "password")
    return send_json(
        res, 400,
        {{"error", "unsupported_grant_type"},
         {"error_description", "Unsupported grant type: " + req.get_param_value("grant_type")}});
  if (!st.valid_user(req.get_param_value("username"), req.get_param_value("password")))
    return send_json(res, 400,
                     {{"error", "invalid_grant"}, {"error_description", "Bad credentials"}});
  send_json(res, 200, st.issue_token());
}

json devices_of_site(State& st, const std::string& uid) {
  json out = json::array();
  for (const json& d : st.devices()) {
    if (d["siteUid"] == uid) out.push_back(d);
  }
  return out;
}

const json* site(State& st, const std::string& uid) {
  for (const json& s : st.sites()) {
    if (s["uid"] == uid) return &s;
  }
  return nullptr;
}

// filterId, when given, "exclusively determines the results" (spec); unknown: 404.
bool apply_filter(State& st, const httplib::Request& req, httplib::Response& res, json& devices) {
  if (!req.has_param("filterId")) return true;
  auto id = number(req, res, "filterId", 0);
  if (!id) return false;
  const json* members = st.filter_devices(*id);
  if (members == nullptr) {
    send_error(res, 404, req.path);
    return false;
  }
  json kept = json::array();
  for (const json& d : devices) {
    if (std::find(members->begin(), members->end(), d["uid"]) != members->end()) kept.push_back(d);
  }
  devices = kept;
  return true;
}

void account_devices(State& st, const httplib::Request& req, httplib::Response& res) {
  json devices = st.devices();
  if (!apply_filter(st, req, res, devices)) return;
  json kept = json::array();
  for (const json& d : devices) {
    const bool match = like(d, "hostname", req.get_param_value("hostname")) &&
                       like(d, "operatingSystem", req.get_param_value("operatingSystem")) &&
                       like(d, "siteName", req.get_param_value("siteName")) &&
                       like(d["deviceType"], "category", req.get_param_value("deviceType"));
    if (match) kept.push_back(d);
  }
  send_page(st, req, res, "devices", kept);
}

void site_routes(State& st, const httplib::Request& req, httplib::Response& res,
                 const std::string& rest) {
  const auto slash = rest.find('/');
  const std::string uid = rest.substr(0, slash);
  const std::string tail = slash == std::string::npos ? "" : rest.substr(slash);
  const json* s = site(st, uid);
  if (tail != "" && tail != "/devices") return send_error(res, 404, req.path);
  if (s == nullptr) return send_error(res, 404, req.path);
  if (tail.empty()) return send_json(res, 200, *s);
  json devices = devices_of_site(st, uid);
  if (!apply_filter(st, req, res, devices)) return;
  send_page(st, req, res, "devices", devices);
}

void reads(State& st, const httplib::Request& req, httplib::Response& res, const std::string& p) {
  if (p == "/v2/account") {
    json a = st.account();
    const auto n = static_cast<int64_t>(st.devices().size());
    a["devicesStatus"] = {{"numberOfDevices", n},
                          {"numberOfOnlineDevices", n},
                          {"numberOfOfflineDevices", 0},
                          {"numberOfOnDemandDevices", 0},
                          {"numberOfManagedDevices", n}};
    return send_json(res, 200, a);
  }
  if (p == "/v2/account/sites") {
    json sites = json::array();
    for (const json& s : st.sites()) {
      if (like(s, "name", req.get_param_value("siteName"))) sites.push_back(s);
    }
    return send_page(st, req, res, "sites", sites);
  }
  if (p == "/v2/account/devices") return account_devices(st, req, res);
  if (p.rfind("/v2/site/", 0) == 0) return site_routes(st, req, res, p.substr(9));
  if (p == "/v2/filter/custom-filters") return send_page(st, req, res, "filters", st.filters());
  if (p == "/v2/filter/default-filters") return send_page(st, req, res, "filters", json::array());
  if (p == "/v2/system/request_rate") return send_json(res, 200, st.request_rate());
  if (p == "/v2/system/pagination") return send_json(res, 200, {{"max", st.pagination_max()}});
  send_error(res, 404, req.path);
}

}  // namespace

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& path) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  send_json(res, status,
            {{"timestamp", now}, {"status", status}, {"error", reason(status)}, {"path", path}});
}

void route_api(State& st, const httplib::Request& req, httplib::Response& res) {
  if (req.path.rfind("/api/", 0) != 0) return send_error(res, 404, req.path);
  const std::string p = req.path.substr(4);
  if (p == "/auth/oauth/token") return token(st, req, res);
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) != 0 || !st.token_valid(auth.substr(7)))
    return send_error(res, 401, p);
  const Rate rate = st.count_request();
  if (rate == Rate::kRefused) return send_error(res, 429, p);
  if (rate == Rate::kDelayed) std::this_thread::sleep_for(std::chrono::milliseconds(st.delay_ms()));
  if (req.method != "GET") return send_error(res, 405, p);
  reads(st, req, res, p);
}

}  // namespace rmm_emu
