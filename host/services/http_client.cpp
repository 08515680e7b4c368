#include "services/http_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "services/logging.hpp"
#include "services/redactor.hpp"

namespace meterbridge::host {
namespace {

using nlohmann::json;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Exchange {
  std::string body;
  std::map<std::string, std::string> headers;
  const std::function<bool()>* cancelled = nullptr;
  // A read in flight is abandoned at once when the host cancels; a write is let finish (within
  // its timeout), so that its outcome is known and journaled instead of "sent, may have landed".
  bool abort_on_cancel = true;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<Exchange*>(user)->body.append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
      value.erase(0, 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
      value.pop_back();
    static_cast<Exchange*>(user)->headers[name] = value;
  } else if (line.rfind("HTTP/", 0) == 0) {
    static_cast<Exchange*>(user)
        ->headers.clear();  // a new response (after 100-continue, redirects)
  }
  return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* ex = static_cast<Exchange*>(user);
  return (ex->abort_on_cancel && ex->cancelled && *ex->cancelled && (*ex->cancelled)()) ? 1 : 0;
}

std::string without_query(const std::string& url) {
  return url.substr(0, url.find_first_of("?#"));
}

// The host part of url as libcurl parses it (lower case, IPv6 without brackets); "" when it
// cannot be parsed.
std::string url_host(const std::string& url) {
  std::unique_ptr<CURLU, void (*)(CURLU*)> u(curl_url(), curl_url_cleanup);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return {};
  char* part = nullptr;
  if (curl_url_get(u.get(), CURLUPART_HOST, &part, 0) != CURLUE_OK || part == nullptr) return {};
  std::string host(part);
  curl_free(part);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

bool idempotent(const std::string& method) {
  static const std::set<std::string> m = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"};
  return m.count(method) > 0;
}

std::string validate(const json& r) {
  static const std::set<std::string> methods = {"GET",   "HEAD",   "POST",   "PUT",
                                                "PATCH", "DELETE", "OPTIONS"};
  if (!r.is_object()) return "request must be a JSON object";
  if (!r.contains("method") || !r["method"].is_string() ||
      !methods.count(r["method"].get<std::string>())) {
    return "request.method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
  }
  if (!r.contains("url") || !r["url"].is_string()) return "request.url must be a string";
  const std::string url = r["url"];
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
    return "request.url must start with https:// or http://";
  }
  if (r.contains("headers")) {
    if (!r["headers"].is_object()) return "request.headers must be an object of strings";
    for (const auto& [k, v] : r["headers"].items()) {
      if (!v.is_string()) return "request.headers." + k + " must be a string";
      if (k.find_first_of(":\r\n") != std::string::npos ||
          v.get<std::string>().find_first_of("\r\n") != std::string::npos) {
        return "request.headers." + k + " contains a forbidden character";
      }
    }
  }
  if (r.contains("body") && !r["body"].is_string()) return "request.body must be a string";
  for (const char* k : {"timeout_ms", "max_attempts"}) {
    if (r.contains(k) && (!r[k].is_number_integer() || r[k].get<int64_t>() < 1)) {
      return std::string("request.") + k + " must be a positive integer";
    }
  }
  if (r.contains("retry_unsafe") && !r["retry_unsafe"].is_boolean())
    return "request.retry_unsafe must be a boolean";
  return {};
}

}  // namespace

HttpClient::HttpClient(HttpSettings settings, Sleeper sleeper)
    : settings_(std::move(settings)), sleeper_(std::move(sleeper)) {
  init_curl_once();
  if (!sleeper_) sleeper_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

int64_t HttpClient::parse_retry_after_ms(const std::string& value,
                                         std::chrono::system_clock::time_point now) {
  if (value.empty()) return -1;
  if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return value.size() > 9 ? -1 : std::stoll(value) * 1000;
  }
  time_t when = curl_getdate(value.c_str(), nullptr);
  if (when < 0) return -1;
  auto delta = std::chrono::system_clock::from_time_t(when) - now;
  return std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(delta).count());
}

bool HttpClient::is_loopback_url(const std::string& url) {
  const std::string host = url_host(url);
  if (host == "localhost" || host == "localhost.") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  }
  return false;
}

HttpOutcome HttpClient::perform(const json& request, const std::function<bool()>& is_cancelled,
                                const std::string& requester) const {
  HttpOutcome out = exchange(request, is_cancelled, requester);
  // The plugin may pass this message on to the operator: no secret in it, whatever libcurl or
  // the URL said. The response itself goes back to the plugin as it came.
  if (!out.error.empty()) out.error = Redactor::global().redact(out.error);
  return out;
}

HttpOutcome HttpClient::exchange(const json& request, const std::function<bool()>& is_cancelled,
                                 const std::string& requester) const {
  if (std::string problem = validate(request); !problem.empty()) {
    return {MB_E_INVALID_ARGUMENT, {}, "invalid http request: " + problem};
  }
  const std::string method = request["method"];
  const std::string url = request["url"];
  const std::string where = method + " " + Redactor::global().redact(without_query(url));
  const bool plain_http = url.rfind("http://", 0) == 0;
  const bool loopback = is_loopback_url(url);
  if (plain_http && !loopback && !settings_.allow_insecure) {
    // Refused before any connection: Basic credentials or an API key would cross the network
    // in clear text. The operator decides, in the config.
    return {MB_E_CONFIG,
            {},
            (requester.empty() ? std::string() : requester + ": ") + "refusing plain " +
                Redactor::global().redact(without_query(url)) +
                " (credentials would cross the network unencrypted); use https:// or set "
                "http.allow_insecure: true"};
  }
  const int32_t attempts_max = request.value("max_attempts", settings_.max_attempts);
  const int64_t timeout_ms = request.value("timeout_ms", settings_.timeout_ms);
  const bool retry_5xx = idempotent(method) || request.value("retry_unsafe", false);
  auto log = get_logger("host");
  std::mt19937_64 rng(std::random_device{}());

  std::string last_error;
  for (int32_t attempt = 1; attempt <= attempts_max; ++attempt) {
    if (is_cancelled && is_cancelled()) return {MB_E_CANCELLED, {}, where + ": cancelled"};
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    Exchange ex;
    ex.cancelled = &is_cancelled;
    ex.abort_on_cancel = method == "GET" || method == "HEAD";
    curl_slist* headers = nullptr;
    if (request.contains("headers")) {
      for (const auto& [k, v] : request["headers"].items()) {
        headers = curl_slist_append(headers, (k + ": " + v.get<std::string>()).c_str());
      }
    }
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(headers, curl_slist_free_all);
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    const std::string body = request.value("body", std::string());
    // POST/PUT/PATCH always carry a body, if empty, so that Content-Length: 0 is sent (many
    // APIs answer 411 to a body-less POST).
    if (request.contains("body") || method == "POST" || method == "PUT" || method == "PATCH") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list.get());
    curl_easy_setopt(c, CURLOPT_USERAGENT, settings_.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!settings_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, settings_.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.connect_timeout_ms));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    // A redirect is answered to the plugin, never followed: following one could carry the
    // request's credentials to another host, or from https:// down to plain http://.
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    // Plain http is allowed to loopback because it stays on this machine; a proxy would take it
    // off the machine (to the proxy's own loopback, at that), so none is used for it.
    if (plain_http && loopback) curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &ex);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &ex);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &ex);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    char curl_detail[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_detail);
    // Proxies: libcurl reads http_proxy, https_proxy and no_proxy itself; nothing here overrides
    // them.

    CURLcode rc = curl_easy_perform(c);
    int64_t wait_ms = -1;
    if (rc == CURLE_ABORTED_BY_CALLBACK) return {MB_E_CANCELLED, {}, where + ": cancelled"};
    if (rc == CURLE_OK) {
      long code = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
      // The answer as it stands; returned when it is final or no longer worth waiting for.
      const HttpOutcome answered{MB_OK,
                                 {{"schema", "http.response.v1"},
                                  {"status", code},
                                  {"headers", ex.headers},
                                  {"body", ex.body},
                                  {"attempts", attempt}},
                                 {}};
      const bool retryable = code == 429 || (code >= 500 && code <= 599 && retry_5xx);
      if (!retryable || attempt == attempts_max) {
        return answered;
      }
      if (auto it = ex.headers.find("retry-after"); it != ex.headers.end()) {
        wait_ms = parse_retry_after_ms(it->second, std::chrono::system_clock::now());
        if (wait_ms > settings_.max_retry_after_ms) {
          log->warn("{}: HTTP {} asks to retry after {} ms, more than the {} ms allowed; giving up",
                    where, code, wait_ms, settings_.max_retry_after_ms);
          return answered;
        }
      }
      last_error = "HTTP " + std::to_string(code);
    } else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE) {
      // A certificate that does not verify will not verify on a retry either: the operator has
      // to act (a private CA, a wrong site URL, an intercepting proxy).
      const std::string detail = curl_detail[0] ? curl_detail : curl_easy_strerror(rc);
      const std::string hint =
          rc == CURLE_SSL_CACERT_BADFILE
              ? "check that http.ca_file names a readable PEM CA bundle"
              : "the server's certificate is not trusted: if a private CA signs it, set "
                "http.ca_file to that CA's certificate; check the URL";
      return {MB_E_CONFIG, {}, where + ": TLS: " + detail + "; " + hint};
    } else {
      last_error = curl_easy_strerror(rc);
      if (!idempotent(method) && !request.value("retry_unsafe", false)) {
        // The server may have acted on a POST before the connection broke: retrying could
        // create a second record. Report it and let the caller re-read.
        return {MB_E_TRANSIENT,
                {},
                where + ": " + last_error + " (not retried: " + method + " is not idempotent)"};
      }
      if (attempt == attempts_max) break;
    }
    if (wait_ms < 0) {
      const int64_t base =
          std::min(settings_.max_backoff_ms, settings_.initial_backoff_ms << (attempt - 1));
      wait_ms =
          base / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(base / 2 + 1));  // jitter
    }
    log->warn("{}: {} on attempt {}/{}; retrying in {} ms", where, last_error, attempt,
              attempts_max, wait_ms);
    // Wait in slices so that cancellation is noticed during a long backoff.
    for (int64_t left = wait_ms; left > 0; left -= 200) {
      if (is_cancelled && is_cancelled())
        return {MB_E_CANCELLED, {}, where + ": cancelled while waiting to retry"};
      sleeper_(std::chrono::milliseconds(std::min<int64_t>(left, 200)));
    }
  }
  return {
      MB_E_TRANSIENT,
      {},
      where + ": no response after " + std::to_string(attempts_max) + " attempts: " + last_error};
}

}  // namespace meterbridge::host
