// HTTP plumbing every plugin needs, so that a plugin holds only what its vendor's API means.
//
//   meterbridge::ApiClient acme(host, "Acme", settings.at("api_url"));
//   acme.headers["X-Api-Key"] = host.secret("api_key");
//   meterbridge::ApiResponse r = acme.get("v1", "clients").query("page", 2).send();
//   meterbridge::json body = r.json();  // "Acme answered GET /v1/clients?page=2 with ..." if not
//
// What it does for you:
// - Builds URLs: the base URL (its own path kept, trailing '/' dropped), then path segments,
//   each percent-encoded on its own (an id "a/b" stays one segment), then query parameters,
//   percent-encoded, in the order given.
// - Names every call the way the operator can find it: method, path and query, never the host
//   and never a header. A query parameter added with secret_query() shows as "***".
// - Checks cancellation before every request (Host::throw_if_cancelled).
// - Classifies every non-2xx answer by the one rule of http_failure.hpp: 401/403 auth, 429
//   rate-limited (with Retry-After), 5xx transient, 3xx config, and by default 404 and other
//   4xx config on a read (the settings point at something wrong) and invalid-argument on a
//   write (that one request was refused). Pass the statuses you handle yourself to send():
//   `.send({404})` returns a 404 instead of throwing.
// - Turns "no answer at all" into NoResponseError naming the call (a write's outcome is then
//   unknown; see plugin.hpp).
// - json() parses the body, and names the call when it is not JSON (MB_E_TRANSIENT).
//
// Secrets: nothing to do. The host redacts every secret the plugin read with Host::secret from
// every message, log line and answer (PROTOCOL.md P3.3), percent-encoded or not. Keep them out
// of messages anyway: secret_query() does that for a key that travels in the URL.
//
// Retries are the host's job (PROTOCOL.md section 7): 429 for every method, 5xx and transport
// errors for idempotent methods. A plugin never loops on a failed request itself.
#pragma once

#include <meterbridge/http_failure.hpp>
#include <meterbridge/plugin.hpp>

#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meterbridge {

// Percent-encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~), so the
// result is safe as a path segment, a query name or value, and a form field.
inline std::string percent_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

// Standard base64 (RFC 4648, with padding), for HTTP Basic credentials and signatures.
inline std::string base64_encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(data[k])); };
  for (; i + 2 < data.size(); i += 3) {
    const uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  const size_t rest = data.size() - i;
  if (rest > 0) {
    const uint32_t n = (byte(i) << 16) | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// The Authorization value of HTTP Basic authentication (RFC 7617): "Basic base64(user:password)".
inline std::string basic_auth(std::string_view user, std::string_view password) {
  return "Basic " + base64_encode(std::string(user) + ":" + std::string(password));
}

// "scheme://host[:port]" of an absolute URL, lower-cased; "" when url is not absolute.
inline std::string url_origin(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return {};
  const size_t end = url.find_first_of("/?#", scheme_end + 3);
  std::string origin(url.substr(0, end));
  for (char& c : origin) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return origin;
}

// The part of a URL after its origin ("/v1/clients?page=2"), as calls are named in messages.
inline std::string url_target(std::string_view url) {
  const std::string origin = url_origin(url);
  std::string rest(url.substr(origin.size()));
  if (rest.empty() || rest[0] != '/') rest.insert(0, "/");
  return rest;
}

// The service's own explanation in an error body, as far as it uses a common shape: "message",
// "error" (text or {"message"} or {"code"}), "error_description", "detail", "title", or
// "errors": [text | {"message"}]. "" when the body is not JSON or has none of them.
inline std::string default_error_detail(const HttpResponse& r) {
  json body = json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return {};
  auto text = [](const json& v) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object()) {
      for (const char* k : {"message", "code", "description"}) {
        if (v.contains(k) && v[k].is_string()) return v[k].get<std::string>();
      }
    }
    return {};
  };
  std::string detail;
  for (const char* key : {"message", "error_description", "detail", "title", "error"}) {
    if (body.contains(key)) detail = text(body[key]);
    if (!detail.empty()) return detail;
  }
  if (body.contains("errors") && body["errors"].is_array()) {
    for (const json& e : body["errors"]) {
      std::string one = text(e);
      if (one.empty()) continue;
      detail += (detail.empty() ? "" : "; ") + one;
    }
  }
  return detail;
}

class ApiClient;

// What ApiClient::send throws for an answer it does not accept: the classified Error, plus the
// HTTP status, for a caller that treats some statuses apart (a sink failing one line on a 4xx).
class HttpError : public Error {
 public:
  HttpError(const Error& classified, int32_t http_status)
      : Error(classified.status(), classified.what()), http_status_(http_status) {}
  int32_t http_status() const noexcept { return http_status_; }

 private:
  int32_t http_status_;
};

// The answer to one ApiRequest: the HTTP response plus the call's name for messages.
struct ApiResponse : HttpResponse {
  std::string service;  // "Acme"
  std::string call;     // "GET /v1/clients?page=2"

  // The body as JSON; MB_E_TRANSIENT naming the service and the call when it is not JSON.
  ::meterbridge::json json() const {
    ::meterbridge::json parsed = ::meterbridge::json::parse(body, nullptr, false);
    if (parsed.is_discarded()) {
      throw transient_error(service + " answered " + call + " with a body that is not JSON (HTTP " +
                            std::to_string(status) + ", " + std::to_string(body.size()) +
                            " bytes)");
    }
    return parsed;
  }
};

// One request, built step by step. Made by ApiClient::get/post/... (then .send()) or on its own
// with a method and a base URL (then ApiClient::send(request)).
class ApiRequest {
 public:
  ApiRequest(std::string method, std::string base_url, const ApiClient* client = nullptr)
      : method_(std::move(method)), url_(std::move(base_url)), client_(client) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
  }
  // A request to exactly `url` (a next-page link the service handed out): kept as given, a
  // trailing '/' included; query() still appends.
  static ApiRequest exact(std::string method, std::string url, const ApiClient* client = nullptr) {
    ApiRequest r(std::move(method), "", client);
    r.url_ = std::move(url);
    return r;
  }

  // Appends "/segment", percent-encoded: an id with '/' or '?' in it stays one segment.
  ApiRequest& path(std::string_view segment) {
    url_ += '/';
    url_ += percent_encode(segment);
    return *this;
  }
  template <std::integral Number>
  ApiRequest& path(Number segment) {
    return path(std::string_view(std::to_string(segment)));
  }
  // Appends "/a/b" as written, for a fixed path known at compile time ("v1/clients"); use
  // path() for anything that comes from data.
  ApiRequest& raw_path(std::string_view literal_path) {
    if (!literal_path.empty() && literal_path.front() != '/') url_ += '/';
    url_ += literal_path;
    return *this;
  }

  ApiRequest& query(std::string_view name, std::string_view value) {
    return add_query(name, value, false);
  }
  ApiRequest& query(std::string_view name, const char* value) {
    return add_query(name, value, false);
  }
  template <std::integral Number>
  ApiRequest& query(std::string_view name, Number value) {
    return add_query(name, std::to_string(value), false);
  }
  // A query parameter whose value must not appear in messages (an API key in the URL).
  ApiRequest& secret_query(std::string_view name, std::string_view value) {
    return add_query(name, value, true);
  }

  // Overrides the client's header of the same name for this request only.
  ApiRequest& header(std::string name, std::string value) {
    headers_[std::move(name)] = std::move(value);
    return *this;
  }
  // The body as JSON text, with Content-Type: application/json.
  ApiRequest& json_body(const json& body) {
    body_ = body.dump();
    headers_["Content-Type"] = "application/json";
    return *this;
  }
  // The body as application/x-www-form-urlencoded (OAuth token requests).
  ApiRequest& form_body(const std::vector<std::pair<std::string, std::string>>& fields) {
    body_.clear();
    for (const auto& [name, value] : fields) {
      if (!body_.empty()) body_ += '&';
      body_ += percent_encode(name) + '=' + percent_encode(value);
    }
    headers_["Content-Type"] = "application/x-www-form-urlencoded";
    return *this;
  }
  ApiRequest& timeout_ms(int64_t ms) {
    timeout_ms_ = ms;
    return *this;
  }
  // 1: the host must not retry at all (not even a 429).
  ApiRequest& max_attempts(int32_t n) {
    max_attempts_ = n;
    return *this;
  }
  // Lets the host retry a POST/PATCH on 5xx: only for calls that are safe to repeat (a token).
  ApiRequest& retry_unsafe(bool allowed = true) {
    retry_unsafe_ = allowed;
    return *this;
  }

  const std::string& method() const { return method_; }
  // The full URL, query included.
  std::string url() const { return url_ + query_text(false); }
  // "GET /v1/clients?page=2": how messages name this call (no host, no secret).
  std::string what() const { return method_ + " " + url_target(url_) + query_text(true); }
  // "GET /v1/clients": the call without its query (ApiClient::name_calls_by_path).
  std::string what_path() const {
    const std::string target = url_target(url_);
    return method_ + " " + target.substr(0, target.find('?'));
  }
  // A call that changes something: its 4xx is one refused request, not a wrong setting.
  bool is_write() const {
    return !read_ && method_ != "GET" && method_ != "HEAD" && method_ != "OPTIONS";
  }
  // Marks a POST that only reads (a query endpoint, a token request): a 4xx answer is then the
  // settings' fault (config), as for a GET, not one refused write.
  ApiRequest& as_read() {
    read_ = true;
    return *this;
  }
  // The host's request (http.request.v1), without the client's default headers.
  HttpRequest to_http() const {
    HttpRequest r;
    r.method = method_;
    r.url = url();
    r.headers = headers_;
    r.body = body_;
    r.timeout_ms = timeout_ms_;
    r.max_attempts = max_attempts_;
    r.retry_unsafe = retry_unsafe_;
    return r;
  }

  // Sends it with the client that made it. Defined below ApiClient.
  ApiResponse send(std::initializer_list<int32_t> handled = {}) const;

 private:
  struct Param {
    std::string name, value;
    bool secret;
  };
  ApiRequest& add_query(std::string_view name, std::string_view value, bool secret) {
    query_.push_back({std::string(name), std::string(value), secret});
    return *this;
  }
  std::string query_text(bool masked) const {
    std::string out;
    // A link the service handed out (exact()) may carry a query already: append to it.
    const bool has_query = url_.find('?') != std::string::npos;
    for (const Param& p : query_) {
      out += out.empty() && !has_query ? '?' : '&';
      out += percent_encode(p.name) + '=' + (masked && p.secret ? "***" : percent_encode(p.value));
    }
    return out;
  }

  std::string method_;
  std::string url_;  // base and path, no query
  std::vector<Param> query_;
  std::map<std::string, std::string> headers_;
  std::string body_;
  int64_t timeout_ms_ = 0;
  int32_t max_attempts_ = 0;
  bool retry_unsafe_ = false;
  bool read_ = false;
  const ApiClient* client_;
};

// A vendor API: its name (for messages), base URL, default headers and hints. Cheap to keep as
// a member of the plugin; not thread-safe to reconfigure while requests run.
class ApiClient {
 public:
  ApiClient(Host host, std::string service, std::string base_url)
      : host_(host), service_(std::move(service)), base_url_(std::move(base_url)) {
    headers["Accept"] = "application/json";
  }

  // Sent with every request (a request's own header of the same name wins).
  std::map<std::string, std::string> headers;
  // Appended to auth (401; 403 unless forbidden_hint), 403 and config messages: what the
  // operator should check ("check api_key", "check api_url").
  std::string auth_hint;
  std::string forbidden_hint;
  std::string config_hint;
  // Names every call by method and path alone in messages, logs and ApiResponse::call, the
  // query left out: for APIs whose query holds page keys or lists of ids that mean nothing to an
  // operator and would bury the path.
  bool name_calls_by_path = false;
  // Reads the service's own explanation out of an error body; replace it for an odd shape.
  std::function<std::string(const HttpResponse&)> error_detail = default_error_detail;
  // Called before every request is sent (and before the resend after a 401): sets credentials
  // that change, such as a bearer token fetched on demand.
  std::function<void(HttpRequest&)> authorize;
  // Called on a 401; return true to resend the request once (a token that expired early and
  // was renewed). A second 401 is an auth error.
  std::function<bool()> on_unauthorized;
  // A vendor's own reading of a non-2xx answer, tried before the one rule (an API that answers
  // 500 for a validation error, say): return an Error to throw, or nullopt for the rule.
  std::function<std::optional<Error>(const ApiResponse&, const ApiRequest&)> classify;

  template <class... Segments>
  ApiRequest get(const Segments&... segments) const {
    return start("GET", segments...);
  }
  template <class... Segments>
  ApiRequest post(const Segments&... segments) const {
    return start("POST", segments...);
  }
  template <class... Segments>
  ApiRequest put(const Segments&... segments) const {
    return start("PUT", segments...);
  }
  template <class... Segments>
  ApiRequest patch(const Segments&... segments) const {
    return start("PATCH", segments...);
  }
  template <class... Segments>
  ApiRequest del(const Segments&... segments) const {
    return start("DELETE", segments...);
  }
  // A request to an absolute URL the service handed out (a next-page link), named like the rest.
  ApiRequest at(std::string method, std::string absolute_url) const {
    return ApiRequest::exact(std::move(method), std::move(absolute_url), this);
  }

  // Sends request. Returns a 2xx answer, or one whose status is in `handled`; throws the
  // classified Error for any other status, NoResponseError when no answer came, and
  // Error(MB_E_CANCELLED) when the host asked to stop.
  ApiResponse send(const ApiRequest& request, std::initializer_list<int32_t> handled = {}) const {
    const std::string what = name_calls_by_path ? request.what_path() : request.what();
    for (int attempt = 0;; ++attempt) {
      host_.throw_if_cancelled();
      HttpRequest http = request.to_http();
      for (const auto& [name, value] : headers) http.headers.emplace(name, value);
      if (authorize) authorize(http);
      host_.trace(what);
      ApiResponse r;
      try {
        static_cast<HttpResponse&>(r) = host_.http(http);
      } catch (const NoResponseError& e) {
        throw NoResponseError(e.status(), service_ + " did not answer " + what + ": " + e.what());
      }
      r.service = service_;
      r.call = what;
      if (r.status == 401 && attempt == 0 && on_unauthorized && on_unauthorized()) continue;
      if ((r.status >= 200 && r.status < 300) || contains(handled, r.status)) return r;
      if (classify) {
        if (std::optional<Error> own = classify(r, request)) throw HttpError(*own, r.status);
      }
      throw HttpError(failure(r, request.is_write()), r.status);
    }
  }

  // The Error for a non-2xx answer of this service, for a plugin that sends a request itself.
  Error failure(const ApiResponse& r, bool write) const {
    HttpCall call;
    call.service = service_;
    call.what = r.call;
    call.write = write;
    call.detail = error_detail ? error_detail(r) : std::string();
    call.auth_hint = auth_hint;
    call.forbidden_hint = forbidden_hint;
    call.config_hint = config_hint;
    return http_failure(r, call);
  }

  const Host& host() const { return host_; }
  const std::string& service() const { return service_; }
  const std::string& base_url() const { return base_url_; }

 private:
  static bool contains(std::initializer_list<int32_t> list, int32_t status) {
    for (int32_t s : list) {
      if (s == status) return true;
    }
    return false;
  }
  template <class... Segments>
  ApiRequest start(const char* method, const Segments&... segments) const {
    ApiRequest r(method, base_url_, this);
    (r.path(segments), ...);
    return r;
  }

  Host host_;
  std::string service_;
  std::string base_url_;
};

inline ApiResponse ApiRequest::send(std::initializer_list<int32_t> handled) const {
  if (client_ == nullptr)
    throw internal_error("ApiRequest::send: request not made by an ApiClient");
  return client_->send(*this, handled);
}

}  // namespace meterbridge
