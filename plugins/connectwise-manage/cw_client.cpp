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
  api_.authorize = [this](meterbridge::HttpRequest& http) {
    if (authorization_.empty()) {
      private_key_ = host_.secret("private_key");
      authorization_ =
          meterbridge::basic_auth(settings_.company_id + "+" + settings_.public_key, private_key_);
    }
    http.headers["Authorization"] = authorization_;
  };
}

bool refused_request(const meterbridge::HttpError& e) {
  const int32_t s = e.http_status();
  return s >= 400 && s < 500 && s != 401 && s != 403 && s != 429;
}

std::string Client::redact(std::string text) const {
  if (private_key_.size() < 4) return text;
  for (size_t at; (at = text.find(private_key_)) != std::string::npos;)
    text.replace(at, private_key_.size(), "***");
  return text;
}

ApiRequest Client::request(const char* method, const std::string& path) {
  return ApiRequest(method, api_base(), &api_).raw_path(path);
}

const std::string& Client::codebase() {
  if (!codebase_.empty()) return codebase_;
  const std::string state_key = "codebase/" + settings_.site_url + "/" + settings_.company_id;
  if (std::optional<std::string> cached = host_.state_get(state_key); cached && !cached->empty()) {
    codebase_ = *cached;
    return codebase_;
  }
  ApiResponse r = api_.get("login", "companyinfo", settings_.company_id).send({404});
  const std::string& what = r.call;
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
  return request("GET", query.empty() ? path : path + "?" + query).send().json();
}

std::optional<json> Client::get_optional(const std::string& path) {
  ApiResponse r = request("GET", path).send({404});
  if (r.status == 404) return std::nullopt;
  return r.json();
}

std::vector<json> Client::list(const std::string& path, const std::string& conditions,
                               size_t max_items) {
  const std::string what = "GET " + path;
  ApiRequest first = request("GET", path);
  first.query("page", 1).query("pageSize", settings_.page_size);
  if (!conditions.empty()) first.query("conditions", conditions);
  std::vector<json> items;
  meterbridge::paging::by_next_url(
      host_, "ConnectWise listing " + what, first.url(),
      [&](const std::string& url) -> std::string {
        ApiResponse r = api_.at("GET", url).send();
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
  return request("POST", path).json_body(body).send().json();
}

json Client::patch(const std::string& path, const json& operations) {
  // A replace of absolute values is idempotent: the host may retry it.
  return request("PATCH", path).json_body(operations).retry_unsafe().send().json();
}

}  // namespace connectwise_manage
