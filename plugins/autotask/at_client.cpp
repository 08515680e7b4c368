// autotask: the REST client. See at_client.hpp.
#include "at_client.hpp"

#include "at_errors.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace autotask {
namespace {

using meterbridge::HttpRequest;
using meterbridge::HttpResponse;

// A listing that has not ended after this many pages is broken, not big: 2,500,000 records.
constexpr int kMaxPages = 5000;

std::string string_field(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string percent_encode(std::string_view value) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string error_text(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {};
  std::string out;
  if (j.contains("errors") && j["errors"].is_array()) {
    for (const json& e : j["errors"]) {
      std::string m = e.is_string() ? e.get<std::string>() : string_field(e, "message");
      if (!m.empty()) out += (out.empty() ? "" : "; ") + m;
    }
  }
  if (out.empty()) out = string_field(j, "Message");
  if (out.empty()) out = string_field(j, "message");
  return out;
}

std::string url_origin(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  const size_t end = url.find_first_of("/?#", scheme + 3);
  std::string origin(url.substr(0, end));
  std::transform(origin.begin(), origin.end(), origin.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return origin;
}

std::string url_path(std::string_view url) {
  const size_t scheme = url.find("://");
  size_t start = scheme == std::string_view::npos ? 0 : url.find('/', scheme + 3);
  if (start == std::string_view::npos) return "/";
  return std::string(url.substr(start, url.find('?', start) - start));
}

Client::Client(meterbridge::Host host, ClientSettings settings)
    : host_(host), settings_(std::move(settings)) {
  for (std::string* u : {&settings_.zone_url, &settings_.global_url}) {
    if (!u->empty() && u->back() != '/') *u += '/';
  }
  zone_ = settings_.zone_url;
}

void Client::load_credentials() {
  std::lock_guard lock(mutex_);
  if (!secret_.empty()) return;
  integration_code_ = host_.secret("integration_code");
  secret_ = host_.secret("secret");
}

HttpResponse Client::send(const std::string& method, const std::string& url,
                          const std::string& body, bool retry_unsafe, bool auth) {
  host_.throw_if_cancelled();
  HttpRequest request;
  request.method = method;
  request.url = url;
  request.headers = {{"Accept", "application/json"}};
  if (auth) {
    load_credentials();
    request.headers["ApiIntegrationCode"] = integration_code_;
    request.headers["UserName"] = settings_.username;
    request.headers["Secret"] = secret_;
    if (settings_.impersonation_resource_id) {
      request.headers["ImpersonationResourceId"] =
          std::to_string(*settings_.impersonation_resource_id);
    }
  }
  if (!body.empty()) {
    request.headers["Content-Type"] = "application/json";
    request.body = body;
  }
  request.retry_unsafe = retry_unsafe;
  host_.trace(method + " " + url_path(url));
  ++calls_;
  return host_.http(request);
}

json Client::parse(const HttpResponse& r, const std::string& what) const {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw meterbridge::transient_error("Autotask answered " + what + " with a body that is not " +
                                       (j.is_discarded() ? "JSON" : "a JSON object") + " (HTTP " +
                                       std::to_string(r.status) + ")");
  }
  return j;
}

void Client::fail(const HttpResponse& r, const std::string& what, bool write) const {
  throw classify(r, {what, write, error_text(r.body), settings_.username});
}

std::string Client::zone_url() {
  {
    std::lock_guard lock(mutex_);
    if (!zone_.empty()) return zone_;
  }
  const std::string state_key = "zone/" + settings_.global_url + settings_.username;
  if (std::optional<std::string> cached = host_.state_get(state_key); cached && !cached->empty()) {
    std::lock_guard lock(mutex_);
    return zone_ = *cached;
  }
  const std::string url =
      settings_.global_url + "v1.0/zoneInformation?user=" + percent_encode(settings_.username);
  const std::string what = "GET " + url_path(url);
  // Not thread limited and without credentials: the lookup only names the user.
  HttpResponse r = send("GET", url, "", false, false);
  if (r.status == 404 || r.status == 400) {
    throw meterbridge::config_error("Autotask does not know the API user '" + settings_.username +
                                    "' (" + what + " answered HTTP " + std::to_string(r.status) +
                                    "); check username, or set zone_url");
  }
  if (r.status < 200 || r.status >= 300) fail(r, what, false);
  std::string found = string_field(parse(r, what), "url");
  if (found.rfind("https://", 0) != 0 && found.rfind("http://", 0) != 0) {
    throw meterbridge::config_error("Autotask answered " + what +
                                    " without a zone url; set the 'zone_url' setting");
  }
  if (found.back() != '/') found += '/';
  host_.state_put(state_key, found);
  host_.debug("Autotask zone of API user '" + settings_.username + "' is " + found);
  std::lock_guard lock(mutex_);
  return zone_ = found;
}

json Client::get(const std::string& path) {
  const std::string what = "GET " + path;
  HttpResponse r = send("GET", api_base() + path, "", false);
  if (r.status < 200 || r.status >= 300) fail(r, what, false);
  return parse(r, what);
}

std::optional<json> Client::get_optional(const std::string& path) {
  const std::string what = "GET " + path;
  HttpResponse r = send("GET", api_base() + path, "", false);
  if (r.status == 404) return std::nullopt;
  if (r.status < 200 || r.status >= 300) fail(r, what, false);
  return parse(r, what);
}

std::vector<json> Client::query(const Query& q) {
  json fields = json::array({"id"});
  for (const auto& f : q.include_fields) {
    if (f != "id") fields.push_back(f);
  }
  json body = {{"MaxRecords", std::clamp(q.max_records, 1, 500)}, {"Filter", q.filter}};
  if (!q.include_fields.empty()) body["IncludeFields"] = std::move(fields);
  const std::string text = body.dump();
  const std::string what = "POST /" + q.entity + "/query";
  std::string url = api_base() + "/" + q.entity + "/query";
  const std::string origin = url_origin(url);
  std::vector<json> items;
  std::set<std::string> seen;
  for (int page = 1; page <= kMaxPages; ++page) {
    // A query changes nothing: the host may retry it on a 5xx.
    HttpResponse r = send("POST", url, text, true);
    if (r.status < 200 || r.status >= 300) fail(r, what + (page > 1 ? " (next page)" : ""), false);
    json answer = parse(r, what);
    if (!answer.contains("items") || !answer["items"].is_array()) {
      throw meterbridge::transient_error("Autotask answered " + what + " without an 'items' array");
    }
    for (json& item : answer["items"]) {
      if (!item.is_object()) {
        throw meterbridge::transient_error("Autotask answered " + what +
                                           " with an item that is not a JSON object");
      }
      items.push_back(std::move(item));
      if (q.max_items > 0 && items.size() >= q.max_items) return items;
    }
    const json details = answer.value("pageDetails", json::object());
    const std::string next = string_field(details, "nextPageUrl");
    if (next.empty() || answer["items"].empty()) return items;
    // The credentials go with every request: never to another host than the zone's.
    if (url_origin(next) != origin) {
      throw meterbridge::transient_error("Autotask's nextPageUrl of " + what +
                                         " points to another host (" + url_origin(next) +
                                         "); refusing to send the credentials there");
    }
    if (!seen.insert(next).second) {
      throw meterbridge::transient_error("Autotask paging of " + what +
                                         " repeats a page; the query cannot be read whole");
    }
    url = next;  // re-POSTed with the same body (some deployments refuse GET there)
  }
  throw meterbridge::transient_error("Autotask query " + what + " did not end after " +
                                     std::to_string(kMaxPages) + " pages");
}

json Client::post(const std::string& path, const json& body) {
  const std::string what = "POST " + path;
  HttpResponse r = send("POST", api_base() + path, body.dump(), false);
  if (r.status < 200 || r.status >= 300) fail(r, what, true);
  return parse(r, what);
}

json Client::patch(const std::string& path, const json& body) {
  const std::string what = "PATCH " + path;
  HttpResponse r = send("PATCH", api_base() + path, body.dump(), false);
  if (r.status < 200 || r.status >= 300) fail(r, what, true);
  return parse(r, what);
}

Threshold Client::threshold() {
  json j = get("/ThresholdInformation");
  auto number = [&](const char* key) {
    return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : int64_t{-1};
  };
  Threshold t{number("externalRequestThreshold"), number("requestThresholdTimeframe"),
              number("currentTimeframeRequestCount")};
  if (t.limit < 0 || t.timeframe_minutes < 0 || t.used < 0) {
    throw meterbridge::transient_error(
        "Autotask answered GET /ThresholdInformation without its three counts");
  }
  return t;
}

}  // namespace autotask
