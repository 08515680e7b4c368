// meterbridge plugin testing kit (header-only): fakes of the host services, so a plugin author
// can unit-test a plugin without the host.
//
//   meterbridge::testing::FakeHost host;
//   host.script({meterbridge::testing::reply_json(200, {{"items", json::array()}})});
//   meterbridge::testing::PluginHarness plugin(host);
//   auto created = plugin.create({{"region", "eu"}, {"api_key", "${env:ACME_KEY}"}});
//   auto answer = plugin.invoke("collect", {{"date", "2026-11-01"}});
//
// Build the test with meterbridge_add_plugin_test(), which links the plugin's objects into the
// test executable (one plugin per executable: the entry symbol is fixed). Uses only abi.h,
// plugin.hpp, settings_schema.hpp, secret_reference.hpp and nlohmann/json.
#pragma once

#include <meterbridge/plugin.hpp>
#include <meterbridge/secret_reference.hpp>
#include <meterbridge/settings_schema.hpp>

#include <atomic>
#include <cctype>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// The plugin under test, defined by its MB_DECLARE_PLUGIN (declared the same way, so that the
// declaration and the definition never disagree). A test needs no declaration of its own.
extern "C" MB_EXPORT mb_status meterbridge_plugin_entry(const mb_host_version* host,
                                                        const mb_plugin_api** api);

namespace meterbridge::testing {

struct LogLine {
  int32_t level;
  std::string message;
};

// One scripted answer to an HTTP request: a response, or no response at all (a timeout or a
// reset connection), which Host::http reports as NoResponseError.
struct Reply {
  HttpResponse response;
  bool answered = true;
  std::string error;  // why no response arrived, when !answered
};

// A response with status, body and headers (names lower-cased, as the host delivers them):
//   reply(429, "", {{"Retry-After", "1"}})
inline Reply reply(int32_t status, std::string body = {},
                   const std::map<std::string, std::string>& headers = {}) {
  Reply r;
  r.response.status = status;
  r.response.body = std::move(body);
  for (const auto& [name, value] : headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.response.headers[lower] = value;
  }
  return r;
}

// A JSON response; content-type is application/json unless headers say otherwise:
//   reply_json(200, {{"items", json::array()}, {"next", nullptr}})
inline Reply reply_json(int32_t status, const json& body,
                        const std::map<std::string, std::string>& headers = {}) {
  Reply r = reply(status, body.dump(), headers);
  r.response.headers.emplace("content-type", "application/json");
  return r;
}

// No response arrived (the server took the request, or not): no_answer("timeout after 30 s").
inline Reply no_answer(std::string why = "connection reset by peer (scripted)") {
  Reply r;
  r.answered = false;
  r.error = std::move(why);
  return r;
}

// A real mb_host_api table backed by memory. Not copyable: the table points at this object.
//
// HTTP: each request is recorded in `requests` (every field) and answered by, in this order,
// the next reply of its route (exact method + url), the next reply of the script, then
// http_handler. A request nothing answers fails with MB_E_TRANSIENT and a message naming it,
// and is listed in `unanswered`:
//   host.route("GET", "https://acme.test/v1/clients?page=1", {reply_json(200, page1)});
//   host.route("GET", "https://acme.test/v1/clients?page=2", {reply_json(200, page2)});
//   host.script({reply(429, "", {{"retry-after", "1"}}), reply_json(200, json::object())});
//
// The host's retries (sdk/PROTOCOL.md section 7) are off by default, so a plugin sees every
// scripted reply. With emulate_host_retries, a 429 is retried for every method, a 5xx and
// no_answer only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) or retry_unsafe, up
// to the request's max_attempts (default_max_attempts when 0), without sleeping; a Retry-After
// of more seconds than max_retry_after_ms allows ends the retries (HTTP dates are not read);
// and a cancelled host answers MB_E_CANCELLED. The response's `attempts` says how many replies
// one request took, and so does `attempts[i]` for requests[i]:
//   host.emulate_host_retries = true;
//   host.script({reply(503), reply_json(200, json::object())});  // one GET, attempts == 2
//
// Secrets: secret_get(name) answers from `secrets`, else resolves the instance's reference
// (PluginHarness::create fills secret_references from the settings) as the host does, and
// records the value in resolved_secrets:
//   setenv("ACME_KEY", "k-123", 1);  // settings {"api_key": "${env:ACME_KEY}"}
//
// Cancellation: set `cancelled`, or cancel_after_requests = 2 to cancel once two requests
// were answered (a plugin should then stop between pages).
class FakeHost {
 public:
  FakeHost() {
    table_.struct_size = sizeof(mb_host_api);
    table_.abi_major = MB_ABI_MAJOR;
    table_.abi_minor = MB_ABI_MINOR;
    table_.host = this;
    table_.log = [](void* h, int32_t level, mb_str m) {
      self(h).logs.push_back({level, std::string(to_view(m))});
    };
    table_.http = [](void* h, mb_str request, mb_buffer* out) -> mb_status {
      return detail::barrier(out, [&]() -> mb_status { return self(h).serve_http(request, out); });
    };
    table_.state_get = [](void* h, mb_str key, mb_buffer* out) -> mb_status {
      auto& store = self(h).state;
      auto it = store.find(std::string(to_view(key)));
      if (it == store.end()) return MB_E_NOT_FOUND;
      detail::fill_buffer(out, it->second);
      return MB_OK;
    };
    table_.state_put = [](void* h, mb_str key, mb_str value) -> mb_status {
      self(h).state[std::string(to_view(key))] = std::string(to_view(value));
      return MB_OK;
    };
    table_.secret_get = [](void* h, mb_str name, mb_buffer* out) -> mb_status {
      return detail::barrier(out, [&]() -> mb_status {
        return self(h).serve_secret(std::string(to_view(name)), out);
      });
    };
    table_.is_cancelled = [](void* h) -> int32_t { return self(h).cancelled.load() ? 1 : 0; };
    table_.now_unix_ms = [](void* h) -> int64_t { return self(h).now_unix_ms; };
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const mb_host_api* table() const { return &table_; }

  // Appends replies to the script, which answers requests in order.
  void script(std::vector<Reply> replies) {
    std::lock_guard<std::mutex> lock(http_mutex_);
    for (auto& r : replies) script_.push_back(std::move(r));
  }
  // Appends replies for exactly this method and url (query included); tried before the script.
  void route(const std::string& method, const std::string& url, std::vector<Reply> replies) {
    std::lock_guard<std::mutex> lock(http_mutex_);
    auto& queue = routes_[method + " " + url];
    for (auto& r : replies) queue.push_back(std::move(r));
  }
  // Scripted replies not used yet, routes and script together (0: the plugin asked for all).
  size_t replies_left() const {
    std::lock_guard<std::mutex> lock(http_mutex_);
    size_t left = script_.size();
    for (const auto& [unused, queue] : routes_) left += queue.size();
    return left;
  }

  // Everything below is the fake's state: set it up before, inspect it after.
  std::vector<LogLine> logs;
  std::map<std::string, std::string> state;
  std::map<std::string, std::string> secrets;            // settings key -> value, asked first
  std::map<std::string, std::string> secret_references;  // settings key -> ${env:..}/${file:..}
  std::filesystem::path secret_base_dir;                 // of relative ${file:} paths (the host:
                                                         // the config file's folder)
  std::map<std::string, std::string> resolved_secrets;   // settings key -> value read
  std::function<HttpResponse(const HttpRequest&)> http_handler;
  std::vector<HttpRequest> requests;
  std::vector<int32_t> attempts;        // attempts[i]: replies used for requests[i]
  std::vector<std::string> unanswered;  // "METHOD url" of the requests nothing answered
  bool emulate_host_retries = false;
  int32_t default_max_attempts = 4;     // the host's http.max_attempts default
  int64_t max_retry_after_ms = 120000;  // the host's cap on Retry-After
  std::optional<size_t> cancel_after_requests;
  std::atomic<bool> cancelled{false};
  int64_t now_unix_ms = 1764547200000;  // 2025-12-01T00:00:00Z

  bool logged(const std::string& fragment) const {
    for (const auto& l : logs) {
      if (l.message.find(fragment) != std::string::npos) return true;
    }
    return false;
  }

 private:
  // What one request came to: a response, or a status and message.
  struct Exchange {
    mb_status status = MB_OK;
    HttpResponse response;
    std::string error;
    int32_t attempts = 1;
  };

  static FakeHost& self(void* h) { return *static_cast<FakeHost*>(h); }

  static bool idempotent(const std::string& method) {
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
           method == "OPTIONS";
  }

  mb_status serve_http(mb_str text, mb_buffer* out) {
    const json j = json::parse(to_view(text));
    HttpRequest r;
    r.method = j.value("method", "GET");
    r.url = j.value("url", "");
    r.headers = j.value("headers", std::map<std::string, std::string>{});
    r.body = j.value("body", "");
    r.timeout_ms = j.value("timeout_ms", int64_t{0});
    r.max_attempts = j.value("max_attempts", int32_t{0});
    r.retry_unsafe = j.value("retry_unsafe", false);
    size_t index = 0;
    {
      std::lock_guard<std::mutex> lock(http_mutex_);
      requests.push_back(r);
      attempts.push_back(0);
      index = requests.size() - 1;
    }
    Exchange x;
    try {
      x = emulate_host_retries ? exchange_with_retries(r) : exchange_once(r);
    } catch (...) {
      settle(index, 1);  // http_handler threw: the barrier reports it, as before
      throw;
    }
    settle(index, x.attempts);
    if (x.status != MB_OK) {
      detail::fill_buffer(out, x.error);
      return x.status;
    }
    json answer = {{"schema", "http.response.v1"},
                   {"status", x.response.status},
                   {"headers", x.response.headers},
                   {"body", x.response.body},
                   {"attempts", x.attempts}};
    detail::fill_buffer(out, answer.dump());
    return MB_OK;
  }

  void settle(size_t index, int32_t used) {
    std::lock_guard<std::mutex> lock(http_mutex_);
    attempts[index] = used;
    if (cancel_after_requests && requests.size() >= *cancel_after_requests) cancelled = true;
  }

  // The next reply for r, or nullopt with why_none set when nothing answers it.
  std::optional<Reply> next_reply(const HttpRequest& r, std::string& why_none) {
    {
      std::lock_guard<std::mutex> lock(http_mutex_);
      auto route = routes_.find(r.method + " " + r.url);
      if (route != routes_.end() && !route->second.empty()) {
        Reply next = std::move(route->second.front());
        route->second.pop_front();
        return next;
      }
      if (!script_.empty()) {
        Reply next = std::move(script_.front());
        script_.pop_front();
        ++script_used_;
        return next;
      }
      if (!http_handler) {
        why_none =
            "FakeHost: nothing answers " + r.method + " " + r.url + ": " +
            (route != routes_.end() ? "its route's replies are used up" : "no route matches it") +
            ", " +
            (script_used_ > 0 ? "the script is exhausted after " + std::to_string(script_used_) +
                                    (script_used_ == 1 ? " reply" : " replies")
                              : "no script is set") +
            " and no http_handler is set";
        unanswered.push_back(r.method + " " + r.url);
        return std::nullopt;
      }
    }
    return Reply{http_handler(r), true, {}};
  }

  Exchange exchange_once(const HttpRequest& r) {
    std::string why_none;
    std::optional<Reply> next = next_reply(r, why_none);
    if (!next) return {MB_E_TRANSIENT, {}, why_none, 1};
    if (!next->answered) return {MB_E_TRANSIENT, {}, where(r) + ": " + next->error, 1};
    const int32_t reported = next->response.attempts == 0 ? 1 : next->response.attempts;
    return {MB_OK, std::move(next->response), {}, reported};
  }

  // The host's loop (host/services/http_client.cpp) without the network and the waits.
  Exchange exchange_with_retries(const HttpRequest& r) {
    const int32_t max = r.max_attempts > 0 ? r.max_attempts : default_max_attempts;
    const bool may_repeat = idempotent(r.method) || r.retry_unsafe;
    std::string last_error;
    for (int32_t attempt = 1; attempt <= max; ++attempt) {
      if (cancelled.load()) return {MB_E_CANCELLED, {}, where(r) + ": cancelled", attempt - 1};
      std::string why_none;
      std::optional<Reply> next;
      try {
        next = next_reply(r, why_none);
      } catch (const Error& e) {
        // An http_handler reports "no response" as the real host's callers see it.
        if (e.status() != MB_E_TRANSIENT) throw;
        next = no_answer(e.what());
      }
      if (!next) return {MB_E_TRANSIENT, {}, why_none, attempt};
      if (next->answered) {
        HttpResponse response = std::move(next->response);
        response.attempts = attempt;
        const int32_t code = response.status;
        const bool retryable = code == 429 || (code >= 500 && code <= 599 && may_repeat);
        if (!retryable || attempt == max || retry_after_too_long(response)) {
          return {MB_OK, std::move(response), {}, attempt};
        }
        last_error = "HTTP " + std::to_string(code);
      } else {
        last_error = next->error;
        if (!may_repeat) {
          return {
              MB_E_TRANSIENT,
              {},
              where(r) + ": " + last_error + " (not retried: " + r.method + " is not idempotent)",
              attempt};
        }
      }
    }
    return {MB_E_TRANSIENT,
            {},
            where(r) + ": no response after " + std::to_string(max) + " attempts: " + last_error,
            max};
  }

  bool retry_after_too_long(const HttpResponse& response) const {
    const std::string value = response.header("retry-after").value_or("");
    if (value.empty() || value.size() > 9) return false;
    for (char c : value) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    return std::stoll(value) * 1000 > max_retry_after_ms;
  }

  // As the host names a request in its messages: method and url without the query.
  static std::string where(const HttpRequest& r) {
    return r.method + " " + r.url.substr(0, r.url.find('?'));
  }

  mb_status serve_secret(const std::string& name, mb_buffer* out) {
    if (auto it = secrets.find(name); it != secrets.end()) {
      detail::fill_buffer(out, it->second);
      return MB_OK;
    }
    auto ref = secret_references.find(name);
    if (ref == secret_references.end()) {
      detail::fill_buffer(out, "no secret setting named '" + name + "'");
      return MB_E_NOT_FOUND;
    }
    meterbridge::secrets::ResolvedSecret r =
        meterbridge::secrets::resolve_secret_reference(ref->second, secret_base_dir);
    if (!r.ok()) {
      detail::fill_buffer(out, "setting '" + name + "': " + r.error);
      return MB_E_CONFIG;
    }
    resolved_secrets[name] = r.value;
    detail::fill_buffer(out, r.value);
    return MB_OK;
  }

  mb_host_api table_{};
  mutable std::mutex http_mutex_;
  std::deque<Reply> script_;
  size_t script_used_ = 0;
  std::map<std::string, std::deque<Reply>> routes_;  // "METHOD url" -> replies
};

// The outcome of one hook call: status, the JSON answer on success, the message otherwise.
struct Outcome {
  mb_status status = MB_OK;
  json answer;
  std::string message;
  bool ok() const { return status == MB_OK; }
};

// Drives a plugin through its entry point exactly as the host does, releasing every buffer.
//
// create(settings) first refuses what the host refuses (validate): the plugin's settings schema
// checked with the host's own code (meterbridge/settings_schema.hpp: required, type, pattern,
// enum, lengths, additionalProperties, plain-text values of x-secret fields, ...), then the
// plugin's validate_settings hook. A refusal is MB_E_CONFIG with the host's message, the JSON
// path under /plugins/<instance_name>/settings:
//   PluginHarness plugin(host);
//   Outcome o = plugin.create({{"api_key", "hunter2"}});
//   // o.status == MB_E_CONFIG, o.message: "instance 'test': settings refused:\n
//   //   /plugins/test/settings/api_key: a secret must be given as a reference ..."
// create_unchecked(settings) skips those checks, to test the plugin's own defences.
class PluginHarness {
 public:
  explicit PluginHarness(FakeHost& host) : PluginHarness(&::meterbridge_plugin_entry, host) {}
  PluginHarness(mb_plugin_entry_fn entry, FakeHost& host) : host_(host) {
    mb_host_version v{sizeof(mb_host_version), MB_ABI_MAJOR, MB_ABI_MINOR};
    negotiation_ = entry(&v, &api_);
    if (api_ == nullptr) throw std::runtime_error("plugin entry returned no table");
  }
  ~PluginHarness() { destroy(); }
  PluginHarness(const PluginHarness&) = delete;
  PluginHarness& operator=(const PluginHarness&) = delete;

  // The instance's name in messages and JSON paths, as in the operator's config.
  std::string instance_name = "test";

  mb_status negotiation() const { return negotiation_; }
  const mb_plugin_api& api() const { return *api_; }

  // The host's checks of settings before create: schema, then the validate_settings hook.
  Outcome validate(const json& settings) {
    const std::vector<std::string> problems = settings_problems(settings);
    if (problems.empty()) return {};
    Outcome o;
    o.status = MB_E_CONFIG;
    o.message = "instance '" + instance_name + "': settings refused:";
    for (const auto& p : problems) o.message += "\n  " + p;
    return o;
  }
  // The plugin's validate_settings hook alone, with its own status and message.
  Outcome validate_settings(const json& settings) {
    if (!MB_HAS_FIELD(api_, mb_plugin_api, validate_settings) || !api_->validate_settings)
      return {};
    std::string text = settings.dump();
    mb_buffer out{};
    mb_status s = api_->validate_settings(to_mb_str(text), &out);
    return finish(s, out, false);
  }
  Outcome create(const json& settings) {
    destroy();
    Outcome refused = validate(settings);
    if (!refused.ok()) return refused;
    return create_unchecked(settings);
  }
  Outcome create_unchecked(const json& settings) {
    destroy();
    host_.secret_references = secret_references(settings);
    std::string text = settings.dump();
    mb_buffer out{};
    void* instance = nullptr;
    mb_status s = api_->create(host_.table(), to_mb_str(text), &instance, &out);
    if (s == MB_OK) {
      instance_ = instance;
      created_ = true;
    }
    return finish(s, out, false);
  }
  Outcome check() {
    require_instance();
    mb_buffer out{};
    return finish(api_->check(instance_, &out), out, true);
  }
  Outcome invoke(const std::string& op, const json& request = json::object()) {
    require_instance();
    std::string text = request.dump();
    mb_buffer out{};
    return finish(api_->invoke(instance_, to_mb_str(op), to_mb_str(text), &out), out, true);
  }
  void destroy() {
    if (created_) api_->destroy(instance_);
    created_ = false;
    instance_ = nullptr;
  }

 private:
  // As host/runtime/plugin_host.cpp words them, without the config file's name.
  std::vector<std::string> settings_problems(const json& settings) {
    const std::string at = "/plugins/" + instance_name;
    const std::string plugin = std::string("plugin '") + (api_->id ? api_->id : "") + "'";
    json schema;
    try {
      schema = json::parse(api_->settings_schema_json ? api_->settings_schema_json : "{}");
    } catch (const json::exception& e) {
      return {plugin + " declares a settings schema that is not valid JSON: " + e.what()};
    }
    std::vector<std::string> problems;
    for (const auto& issue : meterbridge::schema::check_schema(schema)) {
      problems.push_back(plugin + " declares an unusable settings schema at " + issue.pointer +
                         ": " + issue.message);
    }
    if (!problems.empty()) return problems;
    for (const auto& issue :
         meterbridge::schema::validate_against_schema(schema, settings, at + "/settings")) {
      problems.push_back(issue.pointer + ": " + issue.message);
    }
    if (problems.empty()) {
      Outcome hook = validate_settings(settings);
      if (!hook.ok()) problems.push_back(at + "/settings: " + hook.message);
    }
    return problems;
  }
  // The references of the settings the schema marks x-secret, which the host resolves on ask.
  std::map<std::string, std::string> secret_references(const json& settings) const {
    std::map<std::string, std::string> refs;
    json schema =
        json::parse(api_->settings_schema_json ? api_->settings_schema_json : "{}", nullptr, false);
    if (schema.is_discarded() || !settings.is_object()) return refs;
    for (const auto& name : meterbridge::schema::secret_properties(schema)) {
      if (settings.contains(name) && settings[name].is_string())
        refs[name] = settings[name].get<std::string>();
    }
    return refs;
  }
  void require_instance() const {
    if (!created_) throw std::logic_error("PluginHarness: call create() first");
  }
  static Outcome finish(mb_status s, mb_buffer& out, bool json_answer) {
    Outcome o;
    o.status = s;
    std::string text = detail::take_buffer(out);
    if (s == MB_OK && json_answer) {
      o.answer = json::parse(text);
    } else {
      o.message = text;
    }
    return o;
  }

  FakeHost& host_;
  const mb_plugin_api* api_ = nullptr;
  mb_status negotiation_ = MB_E_INTERNAL;
  void* instance_ = nullptr;
  bool created_ = false;
};

}  // namespace meterbridge::testing
