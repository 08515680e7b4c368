// connectwise-manage: the ConnectWise PSA REST client. See cw_client.hpp.
//
// Secrets: the private key is read from the host once, goes into the Authorization header only,
// and is scrubbed from every message this client builds (in case a server echoes it).
#include "cw_client.hpp"

#include <meterbridge/http_failure.hpp>

#include <set>
#include <utility>

using meterbridge::HttpRequest;
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

std::string quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string base64(std::string_view data) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const uint32_t n = (static_cast<unsigned char>(data[i]) << 16) |
                       (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<unsigned char>(data[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
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

std::optional<std::string> next_link(std::string_view header) {
  size_t at = 0;
  while ((at = header.find('<', at)) != std::string_view::npos) {
    const size_t close = header.find('>', at);
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view target = header.substr(at + 1, close - at - 1);
    const size_t next = header.find('<', close);
    const std::string_view params =
        header.substr(close + 1, next == std::string_view::npos ? next : next - close - 1);
    if (params.find("rel=\"next\"") != std::string_view::npos ||
        params.find("rel=next") != std::string_view::npos) {
      return std::string(target);
    }
    at = close;
  }
  return std::nullopt;
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
    : host_(host), settings_(std::move(settings)) {
  while (!settings_.site_url.empty() && settings_.site_url.back() == '/')
    settings_.site_url.pop_back();
  codebase_ = settings_.codebase;
  if (!codebase_.empty() && codebase_.back() != '/') codebase_ += '/';
  while (!codebase_.empty() && codebase_.front() == '/') codebase_.erase(0, 1);
}

std::string Client::redact(std::string text) const {
  if (private_key_.size() < 4) return text;
  for (size_t at; (at = text.find(private_key_)) != std::string::npos;)
    text.replace(at, private_key_.size(), "***");
  return text;
}

HttpResponse Client::send(const std::string& method, const std::string& url,
                          const std::string& body, bool retry_unsafe) {
  host_.throw_if_cancelled();
  if (authorization_.empty()) {
    private_key_ = host_.secret("private_key");
    authorization_ =
        "Basic " + base64(settings_.company_id + "+" + settings_.public_key + ":" + private_key_);
  }
  HttpRequest request;
  request.method = method;
  request.url = url;
  request.headers = {{"Authorization", authorization_},
                     {"clientId", settings_.client_id},
                     {"Accept", "application/json"}};
  if (!body.empty()) {
    request.headers["Content-Type"] = "application/json";
    request.body = body;
  }
  request.retry_unsafe = retry_unsafe;
  host_.trace(method + " " + url_path(url));
  return host_.http(request);
}

json Client::parse(const HttpResponse& r, const std::string& what) const {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) {
    throw meterbridge::transient_error("ConnectWise answered " + what +
                                       " with a body that is not JSON (HTTP " +
                                       std::to_string(r.status) + ")");
  }
  return j;
}

void Client::fail(const HttpResponse& r, const std::string& what, bool write) const {
  const std::string cw = redact(cw_error_message(r.body));
  meterbridge::HttpCall call;
  call.service = "ConnectWise";
  call.what = what;
  call.write = write;
  call.detail = cw;
  call.auth_hint = "check company_id ('" + settings_.company_id + "'), public_key ('" +
                   settings_.public_key + "'), private_key and client_id";
  call.forbidden_hint =
      "the API member lacks permission: grant its security role Finance > Agreements, "
      "Companies inquire and Procurement > Product Catalog";
  call.config_hint = "check site_url, codebase and the settings";
  const meterbridge::HttpFailure f = meterbridge::classify_http_failure(r, call);
  throw ApiError(f.status, f.message, r.status, cw);
}

const std::string& Client::codebase() {
  if (!codebase_.empty()) return codebase_;
  const std::string state_key = "codebase/" + settings_.site_url + "/" + settings_.company_id;
  if (std::optional<std::string> cached = host_.state_get(state_key); cached && !cached->empty()) {
    codebase_ = *cached;
    return codebase_;
  }
  const std::string url =
      settings_.site_url + "/login/companyinfo/" + percent_encode(settings_.company_id);
  const std::string what = "GET " + url_path(url);
  HttpResponse r = send("GET", url, "", false);
  if (r.status == 404) {
    throw meterbridge::config_error("ConnectWise does not know company '" + settings_.company_id +
                                    "' (" + what + " answered HTTP 404); check company_id");
  }
  if (r.status < 200 || r.status >= 300) fail(r, what, false);
  json body = parse(r, what);
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
  const std::string url = api_base() + path + (query.empty() ? "" : "?" + query);
  const std::string what = "GET " + path;
  HttpResponse r = send("GET", url, "", false);
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

std::vector<json> Client::list(const std::string& path, const std::string& conditions,
                               size_t max_items) {
  const std::string what = "GET " + path;
  std::string url = api_base() + path + "?page=1&pageSize=" + std::to_string(settings_.page_size);
  if (!conditions.empty()) url += "&conditions=" + percent_encode(conditions);
  std::vector<json> items;
  std::set<std::string> seen;
  for (int64_t page = 1; page <= kMaxPages; ++page) {
    HttpResponse r = send("GET", url, "", false);
    if (r.status < 200 || r.status >= 300) fail(r, what, false);
    json body = parse(r, what);
    if (!body.is_array()) {
      throw meterbridge::transient_error("ConnectWise answered " + what +
                                         " with JSON that is not an array");
    }
    for (json& item : body) {
      items.push_back(std::move(item));
      if (max_items > 0 && items.size() >= max_items) return items;
    }
    std::optional<std::string> next = next_link(r.header("link").value_or(""));
    if (!next || next->empty() || body.empty()) return items;
    if (next->rfind("http", 0) != 0) {  // a relative link: resolve against the site
      next = settings_.site_url + (next->front() == '/' ? "" : "/") + *next;
    }
    if (!seen.insert(*next).second) {
      throw meterbridge::transient_error("ConnectWise paging of " + what +
                                         " repeats a page; the listing cannot be read whole");
    }
    url = *next;
  }
  throw meterbridge::transient_error("ConnectWise listing " + what + " did not end after " +
                                     std::to_string(kMaxPages) + " pages");
}

json Client::post(const std::string& path, const json& body) {
  const std::string what = "POST " + path;
  // Not retried on 5xx: a POST may have been applied (the next read adopts it by its marker).
  HttpResponse r = send("POST", api_base() + path, body.dump(), false);
  if (r.status < 200 || r.status >= 300) fail(r, what, true);
  return parse(r, what);
}

json Client::patch(const std::string& path, const json& operations) {
  const std::string what = "PATCH " + path;
  // A replace of absolute values is idempotent: the host may retry it.
  HttpResponse r = send("PATCH", api_base() + path, operations.dump(), true);
  if (r.status < 200 || r.status >= 300) fail(r, what, true);
  return parse(r, what);
}

}  // namespace connectwise_manage
