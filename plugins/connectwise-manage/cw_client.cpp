// connectwise-manage: the ConnectWise PSA REST client. See cw_client.hpp.
//
// Secrets: the private key is read from the host once, goes into the Authorization header only,
// and is scrubbed from every message this client builds (in case a server echoes it).
#include "cw_client.hpp"

#include <meterbridge/paging.hpp>

#include <utility>

using meterbridge::ApiRequest;
using meterbridge::ApiResponse;
using meterbridge::HttpResponse;

namespace connectwise_manage {
namespace {

constexpr int64_t kMaxPages = 100'000;  // a guard against a server that never stops paging

std::string string_field(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

}  // namespace

std::string quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string cw_error_message(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {};
  std::string code = string_field(j, "code");
  std::string message = string_field(j, "message");
  std::string out = code;
  if (!message.empty()) out += out.empty() ? message : ": " + message;
  if (j.contains("errors") && j["errors"].is_array()) {
    std::string details;
    for (const json& e : j["errors"]) {
      std::string m = string_field(e, "message");
      if (m.empty()) m = string_field(e, "code");
      if (m.empty()) continue;
      details += (details.empty() ? "" : "; ") + m;
    }
    if (!details.empty()) out += " (" + details + ")";
  }
  return out;
}

bool is_numeric_id(std::string_view text) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Client::Client(meterbridge::Host host, ClientSettings settings)
    : host_(host), settings_(std::move(settings)), api_(host, "ConnectWise", settings_.site_url) {
  while (!settings_.site_url.empty() && settings_.site_url.back() == '/')
    settings_.site_url.pop_back();
  codebase_ = settings_.codebase;
  if (!codebase_.empty() && codebase_.back() != '/') codebase_ += '/';
  while (!codebase_.empty() && codebase_.front() == '/') codebase_.erase(0, 1);
  api_.headers["clientId"] = settings_.client_id;
  api_.auth_hint = "check company_id ('" + settings_.company_id + "'), public_key ('" +
                   settings_.public_key + "'), private_key and client_id";
  api_.forbidden_hint =
      "the API member lacks permission: grant its security role Finance > Agreements, "
      "Companies inquire and Procurement > Product Catalog";
  api_.config_hint = "check site_url, codebase and the settings";
  api_.error_detail = [this](const HttpResponse& r) { return redact(cw_error_message(r.body)); };
}

std::string Client::redact(std::string text) const {
  if (private_key_.size() < 4) return text;
  for (size_t at; (at = text.find(private_key_)) != std::string::npos;)
    text.replace(at, private_key_.size(), "***");
  return text;
}

ApiResponse Client::send(const ApiRequest& request, const std::string& name, bool allow_404) {
  // Not ApiClient::send: the sink needs the HTTP status and ConnectWise's message of a refusal
  // (ApiError), which the SDK's classified Error does not carry.
  host_.throw_if_cancelled();
  if (!api_.headers.count("Authorization")) {
    private_key_ = host_.secret("private_key");
    api_.headers["Authorization"] =
        meterbridge::basic_auth(settings_.company_id + "+" + settings_.public_key, private_key_);
  }
  meterbridge::HttpRequest http = request.to_http();
  http.headers.insert(api_.headers.begin(), api_.headers.end());  // the request's own win
  host_.trace(name);
  ApiResponse r;
  static_cast<HttpResponse&>(r) = host_.http(http);
  r.service = api_.service();
  r.call = name;
  if ((r.status >= 200 && r.status < 300) || (allow_404 && r.status == 404)) return r;
  const meterbridge::Error e = api_.failure(r, request.is_write());
  throw ApiError(e.status(), e.what(), r.status, api_.error_detail(r));
}

const std::string& Client::codebase() {
  if (!codebase_.empty()) return codebase_;
  const std::string state_key = "codebase/" + settings_.site_url + "/" + settings_.company_id;
  if (std::optional<std::string> cached = host_.state_get(state_key); cached && !cached->empty()) {
    codebase_ = *cached;
    return codebase_;
  }
  ApiRequest request("GET", settings_.site_url);
  request.path("login").path("companyinfo").path(settings_.company_id);
  const std::string what = request.what();
  ApiResponse r = send(request, what, true);
  if (r.status == 404) {
    throw meterbridge::config_error("ConnectWise does not know company '" + settings_.company_id +
                                    "' (" + what + " answered HTTP 404); check company_id");
  }
  json body = r.json();
  std::string found = string_field(body, "Codebase");
  if (found.empty()) found = string_field(body, "codebase");
  while (!found.empty() && found.front() == '/') found.erase(0, 1);
  if (found.empty()) {  // also "/": nothing is left once the leading slashes are gone
    throw meterbridge::config_error("ConnectWise answered " + what +
                                    " without a Codebase; set the 'codebase' setting");
  }
  if (found.back() != '/') found += '/';
  host_.state_put(state_key, found);
  host_.debug("ConnectWise codebase of company '" + settings_.company_id + "' is " + found);
  codebase_ = std::move(found);
  return codebase_;
}

std::string Client::api_base() {
  return settings_.site_url + "/" + codebase() + "apis/3.0";
}

json Client::get(const std::string& path, const std::string& query) {
  ApiRequest request("GET", api_base());
  request.raw_path(query.empty() ? path : path + "?" + query);
  return send(request, "GET " + path).json();
}

std::optional<json> Client::get_optional(const std::string& path) {
  ApiResponse r = send(ApiRequest("GET", api_base()).raw_path(path), "GET " + path, true);
  if (r.status == 404) return std::nullopt;
  return r.json();
}

std::vector<json> Client::list(const std::string& path, const std::string& conditions,
                               size_t max_items) {
  const std::string what = "GET " + path;
  ApiRequest first("GET", api_base());
  first.raw_path(path).query("page", 1).query("pageSize", settings_.page_size);
  if (!conditions.empty()) first.query("conditions", conditions);
  std::vector<json> items;
  meterbridge::paging::by_next_url(
      host_, "ConnectWise listing " + what, first.url(),
      [&](const std::string& url) -> std::string {
        ApiResponse r = send(api_.at("GET", url), what);
        json body = r.json();
        if (!body.is_array()) {
          throw meterbridge::transient_error("ConnectWise answered " + what +
                                             " with JSON that is not an array");
        }
        for (json& item : body) {
          items.push_back(std::move(item));
          if (max_items > 0 && items.size() >= max_items) return "";
        }
        if (body.empty()) return "";
        std::string next = meterbridge::paging::link_next(r, url).value_or("");
        // A relative target without a leading '/': resolved against the site, as before.
        if (!next.empty() && meterbridge::url_origin(next).empty())
          next = settings_.site_url + "/" + next;
        return next;
      },
      kMaxPages);
  return items;
}

json Client::post(const std::string& path, const json& body) {
  // Not retried on 5xx: a POST may have been applied (the next read adopts it by its marker).
  return send(ApiRequest("POST", api_base()).raw_path(path).json_body(body), "POST " + path).json();
}

json Client::patch(const std::string& path, const json& operations) {
  // A replace of absolute values is idempotent: the host may retry it.
  ApiRequest request("PATCH", api_base());
  request.raw_path(path).json_body(operations).retry_unsafe();
  return send(request, "PATCH " + path).json();
}

}  // namespace connectwise_manage
