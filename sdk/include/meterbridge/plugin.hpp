// meterbridge C++ plugin SDK (header-only).
//
// A thin C++ layer over abi.h (the hourglass pattern): plugin authors write a class, and
// MB_PLUGIN turns it into the C table the host loads. Every hook goes through a
// fail-closed barrier: any exception, std or not, becomes a status code and a message, never an
// unwinding across the C boundary.
//
//   class MySource : public meterbridge::SourcePlugin {
//    public:
//     MySource(meterbridge::Host host, const meterbridge::json& settings);
//     meterbridge::json check() override;
//     meterbridge::json discover() override;
//     meterbridge::json collect(const std::string& date) override;
//   };
//   MB_PLUGIN(MySource, "What it reads", R"({...})")
//
// MB_PLUGIN takes the id, kind and version from meterbridge_add_plugin(), which also writes them
// into the manifest (see the end of this file). Without the CMake helper, spell them out:
//   MB_DECLARE_PLUGIN(MySource, MB_KIND_SOURCE, "my-source", "1.0.0", "What it reads", R"({...})")
// The manifest must then carry the same id, kind and version, or the host refuses the plugin.
//
// Optionally the class may declare `static void validate_settings(const meterbridge::json&)`
// (throwing meterbridge::Error on a problem); the macro then fills the validate_settings hook.
#pragma once

#include <meterbridge/abi.h>
#include <meterbridge/errors.hpp>
#include <meterbridge/usage_writer.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace meterbridge {

using json = nlohmann::json;

inline mb_str to_mb_str(std::string_view s) noexcept {
  return mb_str{s.data(), s.size()};
}
inline std::string_view to_view(mb_str s) noexcept {
  return s.ptr == nullptr ? std::string_view{} : std::string_view(s.ptr, s.len);
}

namespace detail {

// Fills out with a copy of text whose release deletes it. Never throws: on allocation failure
// the buffer stays empty (the status still tells the caller what happened).
inline void fill_buffer(mb_buffer* out, std::string_view text) noexcept {
  if (out == nullptr) return;
  try {
    auto* owned = new std::string(text);
    out->ptr = owned->data();
    out->len = owned->size();
    out->private_data = owned;
    out->release = [](mb_buffer* b) {
      delete static_cast<std::string*>(b->private_data);
      *b = mb_buffer{};
    };
  } catch (...) {
    *out = mb_buffer{};
  }
}

// Takes the contents of a buffer filled by the other side and releases it.
inline std::string take_buffer(mb_buffer& b) {
  std::string text = b.ptr == nullptr ? std::string() : std::string(b.ptr, b.len);
  if (b.release != nullptr) b.release(&b);
  b = mb_buffer{};
  return text;
}

// The fail-closed barrier: runs body, converting every exception into a status and message.
template <class Body>
mb_status barrier(mb_buffer* out, Body&& body) noexcept {
  try {
    return body();
  } catch (const Error& e) {
    fill_buffer(out, e.what());
    return e.status() == MB_OK ? MB_E_INTERNAL : e.status();
  } catch (const json::exception& e) {
    fill_buffer(out, std::string("JSON error inside plugin: ") + e.what());
    return MB_E_INTERNAL;
  } catch (const std::bad_alloc&) {
    fill_buffer(out, "out of memory inside plugin");
    return MB_E_INTERNAL;
  } catch (const std::exception& e) {
    fill_buffer(out, std::string("unexpected error inside plugin: ") + e.what());
    return MB_E_INTERNAL;
  } catch (...) {
    fill_buffer(out, "unexpected non-standard exception inside plugin");
    return MB_E_INTERNAL;
  }
}

inline json parse_argument(mb_str text, const char* what) {
  std::string_view v = to_view(text);
  if (v.empty()) return json::object();
  try {
    return json::parse(v);
  } catch (const json::exception& e) {
    throw Error(MB_E_INVALID_ARGUMENT, std::string(what) + " is not valid JSON: " + e.what());
  }
}

}  // namespace detail

// An HTTP request for Host::http ("http.request.v1"). The host adds retries and TLS.
struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::map<std::string, std::string> headers;
  std::string body;
  int64_t timeout_ms = 0;     // 0 = host default
  int32_t max_attempts = 0;   // 0 = host default; 1 = no retry
  bool retry_unsafe = false;  // also retry POST/PATCH on 5xx (only for idempotent endpoints)

  json to_json() const {
    json j = {
        {"schema", "http.request.v1"}, {"method", method}, {"url", url}, {"headers", headers}};
    if (!body.empty()) j["body"] = body;
    if (timeout_ms > 0) j["timeout_ms"] = timeout_ms;
    if (max_attempts > 0) j["max_attempts"] = max_attempts;
    if (retry_unsafe) j["retry_unsafe"] = true;
    return j;
  }
};

// An HTTP response ("http.response.v1"). Header names are lower-case.
struct HttpResponse {
  int32_t status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  int32_t attempts = 0;

  static HttpResponse from_json(const json& j) {
    HttpResponse r;
    r.status = j.at("status").get<int32_t>();
    if (j.contains("headers"))
      r.headers = j.at("headers").get<std::map<std::string, std::string>>();
    r.body = j.value("body", std::string());
    r.attempts = j.value("attempts", 1);
    return r;
  }
  std::optional<std::string> header(const std::string& lower_case_name) const {
    auto it = headers.find(lower_case_name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
  }
  json json_body() const {
    try {
      return json::parse(body);
    } catch (const json::exception& e) {
      throw transient_error("response body is not valid JSON (HTTP " + std::to_string(status) +
                            "): " + e.what());
    }
  }
};

// A host service is present when the host's table is large enough to hold it and it is set.
#define MB_SDK_HOST_HAS(field) \
  (api_ != nullptr && MB_HAS_FIELD(api_, mb_host_api, field) && api_->field != nullptr)

// The host services, as C++. Cheap to copy; valid between create and destroy.
class Host {
 public:
  explicit Host(const mb_host_api* api) : api_(api) {}

  void log(int32_t level, std::string_view message) const {
    if (MB_SDK_HOST_HAS(log)) api_->log(api_->host, level, to_mb_str(message));
  }
  void trace(std::string_view m) const { log(MB_LOG_TRACE, m); }
  void debug(std::string_view m) const { log(MB_LOG_DEBUG, m); }
  void info(std::string_view m) const { log(MB_LOG_INFO, m); }
  void warn(std::string_view m) const { log(MB_LOG_WARN, m); }
  void error(std::string_view m) const { log(MB_LOG_ERROR, m); }

  // Throws NoResponseError when no HTTP response arrived, Error for a cancelled or malformed
  // request; any HTTP status is returned, not thrown.
  HttpResponse http(const HttpRequest& request) const {
    require(MB_SDK_HOST_HAS(http), "http");
    std::string text = request.to_json().dump();
    mb_buffer out{};
    mb_status s = api_->http(api_->host, to_mb_str(text), &out);
    std::string answer = detail::take_buffer(out);
    if (s == MB_E_TRANSIENT) throw NoResponseError(s, answer);
    if (s != MB_OK) throw Error(s, answer);
    return HttpResponse::from_json(json::parse(answer));
  }

  std::optional<std::string> state_get(std::string_view key) const {
    require(MB_SDK_HOST_HAS(state_get), "state_get");
    mb_buffer out{};
    mb_status s = api_->state_get(api_->host, to_mb_str(key), &out);
    std::string value = detail::take_buffer(out);
    if (s == MB_E_NOT_FOUND) return std::nullopt;
    if (s != MB_OK) throw Error(s, value);
    return value;
  }
  void state_put(std::string_view key, std::string_view value) const {
    require(MB_SDK_HOST_HAS(state_put), "state_put");
    mb_status s = api_->state_put(api_->host, to_mb_str(key), to_mb_str(value));
    if (s != MB_OK) throw Error(s, "state_put failed for key '" + std::string(key) + "'");
  }

  // The resolved value of the secret setting `name` (see abi.h secret_get).
  std::string secret(std::string_view name) const {
    require(MB_SDK_HOST_HAS(secret_get), "secret_get");
    mb_buffer out{};
    mb_status s = api_->secret_get(api_->host, to_mb_str(name), &out);
    std::string value = detail::take_buffer(out);
    if (s != MB_OK) throw Error(s, value);
    return value;
  }

  bool cancelled() const {
    return MB_SDK_HOST_HAS(is_cancelled) && api_->is_cancelled(api_->host) != 0;
  }
  // Throws Error(MB_E_CANCELLED) when the host asked to stop; call it between requests.
  void throw_if_cancelled() const {
    if (cancelled()) throw Error(MB_E_CANCELLED, "cancelled by the host");
  }
  int64_t now_unix_ms() const {
    require(MB_SDK_HOST_HAS(now_unix_ms), "now_unix_ms");
    return api_->now_unix_ms(api_->host);
  }

  const mb_host_api* raw() const noexcept { return api_; }

 private:
  void require(bool present, const char* name) const {
    if (!present) throw unsupported_error(std::string("host does not offer service ") + name);
  }

  const mb_host_api* api_;
};

// Base of every plugin instance. The constructor receives the host and the settings object.
class Plugin {
 public:
  virtual ~Plugin() = default;
  // Answers the "check.v1" details object: throw Error to report a failed check.
  virtual json check() = 0;
  // Runs an operation; the default knows none.
  virtual json invoke(const std::string& op, const json& request) {
    (void)request;
    throw unsupported_error("operation '" + op + "' is not supported by this plugin");
  }
  // What the host should know about this plugin beyond its table, sent in the check answer
  // ("capabilities" of check.v1); sources report "past_days".
  virtual json capabilities() const { return json::object(); }
  // Runs an operation whose answer the plugin writes as JSON text itself (large answers, no JSON
  // tree); nullopt: use invoke(). Tried first.
  virtual std::optional<std::string> invoke_text(const std::string& op, const json& request) {
    (void)op;
    (void)request;
    return std::nullopt;
  }
};

// What the host asks a source to collect (the collect request, PROTOCOL.md section 6).
struct CollectDay {
  std::string date;       // the day to answer, YYYY-MM-DD in the operator's time zone
  std::string today;      // the operator's today, same form ("" from a host older than 0.2)
  std::string time_zone;  // the operator's IANA time zone, "Europe/Berlin" ("" likewise)
  // A day before the operator's today. False when the host did not say what today is.
  bool is_past() const { return !today.empty() && date < today; }
};

// A source plugin: answers "discover" (catalog.v1) and "collect" (usage.v1) (sdk/PROTOCOL.md).
class SourcePlugin : public Plugin {
 public:
  // Returns {"customers":[{"id","name"}...], "products":[{"sku","name"}...]}.
  virtual json discover() = 0;
  // Returns {"records":[{"customer_id","customer_name","sku","product_name","metric",
  // "quantity"}...]} for the day `date` (YYYY-MM-DD in the operator's time zone); collect_day()
  // has the rest of the request (today, time zone).
  virtual json collect(const std::string& date) = 0;
  // Optional fast path: write the day's records into `out` and return true; the SDK then sends
  // the text as is. The default returns false and collect() is used.
  virtual bool collect_into(const std::string& date, UsageWriter& out) {
    (void)date;
    (void)out;
    return false;
  }
  // Whether this source can answer a day before today with that day's counts: true for dated
  // data (exports, usage history), false for an API that only tells current counts. The SDK
  // answers a past-day collect of a source that cannot with MB_E_UNSUPPORTED, so the host keeps
  // the day missing instead of billing today's counts for it (PROTOCOL.md P6.9). Reported to
  // the host in the check and discover answers ("past_days").
  virtual bool answers_past_days() const { return false; }

  std::optional<std::string> invoke_text(const std::string& op, const json& request) override {
    if (op != "collect") return std::nullopt;
    begin_collect(request);
    UsageWriter writer;
    if (!collect_into(day_.date, writer)) return std::nullopt;
    return writer.finish(day_.date);
  }

  json invoke(const std::string& op, const json& request) override {
    if (op == "discover") {
      json answer = discover();
      answer["schema"] = "catalog.v1";
      answer["past_days"] = answers_past_days();
      return answer;
    }
    if (op == "collect") {
      begin_collect(request);
      json answer = collect(day_.date);
      answer["schema"] = "usage.v1";
      answer["date"] = day_.date;
      return answer;
    }
    return Plugin::invoke(op, request);
  }

  json capabilities() const override { return {{"past_days", answers_past_days()}}; }

 protected:
  // The collect request being answered (valid inside collect and collect_into).
  const CollectDay& collect_day() const { return day_; }

 private:
  void begin_collect(const json& request) {
    day_ = CollectDay{string_field(request, "date", true), string_field(request, "today", false),
                      string_field(request, "time_zone", false)};
    if (day_.is_past() && !answers_past_days()) {
      throw unsupported_error("this source reads only current counts, so it cannot answer " +
                              day_.date + " (today is " + day_.today +
                              (day_.time_zone.empty() ? "" : " in " + day_.time_zone) +
                              "); the day stays missing rather than billed with today's counts");
    }
  }
  static std::string string_field(const json& request, const char* name, bool required) {
    auto it = request.find(name);
    if (it != request.end() && it->is_string()) return it->get<std::string>();
    if (!required && (it == request.end() || it->is_null())) return {};
    throw Error(MB_E_INVALID_ARGUMENT, std::string("collect needs a string field '") + name + "'" +
                                           (required ? " (YYYY-MM-DD)" : ""));
  }

  CollectDay day_;
};

// An apply answer line for a line that was not written as asked (psa-apply-result.v1):
// `status` becomes "error_class" (the host stops a run after several run-wide classes in a
// row: transient, rate-limited, auth), and `uncertain` says the write was sent and no answer
// came, so it may still land (the host then does not create the line again for a grace time).
inline json sink_error_line(const json& key, const std::string& message, mb_status status,
                            bool uncertain = false) {
  json line = {{"key", key},
               {"before", nullptr},
               {"after", nullptr},
               {"action", "error"},
               {"ref", ""},
               {"message", message},
               {"error_class", status_name(status)}};
  if (uncertain) line["uncertain"] = true;
  return line;
}

// A sink plugin: a PSA that receives billed quantities (sdk/PROTOCOL.md section 6, "Sink
// plugins"). The host always hands absolute desired quantities; a PSA that only takes signed
// deltas computes them from what it reads, never from memory, so a retry cannot double-bill.
class SinkPlugin : public Plugin {
 public:
  // Returns {"companies":[{"id","name"}...], "lines":[{"id","name","unit_price"?}...],
  // "quantity_model":"absolute"|"delta"} (psa-catalog.v1).
  virtual json discover() = 0;
  // For each requested line {"key","company_id","line_id","period","period_start",
  // "period_end"}, what the PSA holds now: {"key","quantity": number|null,"ref",
  // "duplicates"?: [{"ref","quantity","intent_id"?}]} or {"key","error":"..."} (psa-state.v1). null
  // quantity: no owned line exists. duplicates: more owned lines for the same target than the
  // one answered (the host writes nothing for the line and reports them).
  virtual json read(const json& lines) = 0;
  // For each line {..., "quantity", "expected_quantity", "effective_date", "intent_id"}: re-read,
  // write only the difference, and answer {"key","before","after","action","ref","delta"?,
  // "message"?} with action none|update|create|cancel|error (psa-apply-result.v1); an error
  // line is best built with sink_error_line.
  virtual json apply(const json& lines) = 0;

  json invoke(const std::string& op, const json& request) override {
    if (op == "discover") {
      json answer = discover();
      answer["schema"] = "psa-catalog.v1";
      return answer;
    }
    if (op == "read" || op == "apply") {
      if (!request.contains("lines") || !request["lines"].is_array()) {
        throw Error(MB_E_INVALID_ARGUMENT, op + " needs an array field 'lines'");
      }
      json lines = op == "read" ? read(request["lines"]) : apply(request["lines"]);
      return {{"schema", op == "read" ? "psa-state.v1" : "psa-apply-result.v1"},
              {"lines", std::move(lines)}};
    }
    return Plugin::invoke(op, request);
  }
};

namespace detail {

struct InstanceBox {
  std::unique_ptr<Plugin> plugin;
};

template <class T>
concept HasValidateSettings = requires(const json& j) {
  T::validate_settings(j);
};

template <class T>
struct Thunks {
  static mb_status create(const mb_host_api* host, mb_str settings, void** instance,
                          mb_buffer* error) noexcept {
    return barrier(error, [&]() -> mb_status {
      json parsed = parse_argument(settings, "settings");
      auto box = std::make_unique<InstanceBox>();
      box->plugin = std::make_unique<T>(Host(host), parsed);
      *instance = box.release();
      return MB_OK;
    });
  }
  static void destroy(void* instance) noexcept {
    try {
      delete static_cast<InstanceBox*>(instance);
    } catch (...) {
      // A throwing destructor must not unwind into the host; the instance is gone regardless.
    }
  }
  static mb_status check(void* instance, mb_buffer* result) noexcept {
    return barrier(result, [&]() -> mb_status {
      json details = static_cast<InstanceBox*>(instance)->plugin->check();
      json answer = {{"schema", "check.v1"},
                     {"ok", true},
                     {"details", details},
                     {"capabilities", static_cast<InstanceBox*>(instance)->plugin->capabilities()}};
      fill_buffer(result, answer.dump());
      return MB_OK;
    });
  }
  static mb_status invoke(void* instance, mb_str op, mb_str request, mb_buffer* response) noexcept {
    return barrier(response, [&]() -> mb_status {
      json parsed = parse_argument(request, "request");
      Plugin& plugin = *static_cast<InstanceBox*>(instance)->plugin;
      std::string name(to_view(op));
      if (std::optional<std::string> text = plugin.invoke_text(name, parsed)) {
        fill_buffer(response, *text);
        return MB_OK;
      }
      json answer = plugin.invoke(name, parsed);
      fill_buffer(response, answer.dump());
      return MB_OK;
    });
  }
  static mb_status validate_settings(mb_str settings, mb_buffer* error) noexcept {
    return barrier(error, [&]() -> mb_status {
      if constexpr (HasValidateSettings<T>)
        T::validate_settings(parse_argument(settings, "settings"));
      return MB_OK;
    });
  }
};

template <class T>
mb_status entry(const mb_host_version* host, const mb_plugin_api** api, int32_t kind,
                const char* id, const char* version, const char* description,
                const char* schema) noexcept {
  static const mb_plugin_api table = [&] {
    mb_plugin_api t{};
    t.struct_size = sizeof(mb_plugin_api);
    t.abi_major = MB_ABI_MAJOR;
    t.abi_minor = MB_ABI_MINOR;
    t.min_host_minor = 0;  // uses nothing newer than 1.0 from the host
    t.kind = kind;
    t.id = id;
    t.version = version;
    t.description = description;
    t.settings_schema_json = schema;
    t.create = &Thunks<T>::create;
    t.destroy = &Thunks<T>::destroy;
    t.check = &Thunks<T>::check;
    t.invoke = &Thunks<T>::invoke;
    t.validate_settings = HasValidateSettings<T> ? &Thunks<T>::validate_settings : nullptr;
    return t;
  }();
  if (api == nullptr) return MB_E_INVALID_ARGUMENT;
  *api = &table;
  if (host == nullptr || host->abi_major != MB_ABI_MAJOR) return MB_E_UNSUPPORTED;
  return MB_OK;
}

}  // namespace detail
}  // namespace meterbridge

// Declares the plugin: exports meterbridge_plugin_entry for class Class. Use once per library.
// kind is MB_KIND_SOURCE or MB_KIND_SINK; the strings must be literals.
#define MB_DECLARE_PLUGIN(Class, kind, id, version, description, settings_schema_json)    \
  extern "C" MB_EXPORT mb_status meterbridge_plugin_entry(const mb_host_version* host,    \
                                                          const mb_plugin_api** api) {    \
    return ::meterbridge::detail::entry<Class>(host, api, kind, id, version, description, \
                                               settings_schema_json);                     \
  }

// Declares the plugin like MB_DECLARE_PLUGIN, with the id, kind and version that
// meterbridge_add_plugin() passes as MB_PLUGIN_ID, MB_PLUGIN_KIND and MB_PLUGIN_VERSION: they are
// written once, in CMake, which also writes them into the manifest, so the two cannot disagree.
// The definitions come from the command line, so testing for them here is testing the build.
#include <type_traits>
#if defined(MB_PLUGIN_ID) && defined(MB_PLUGIN_KIND) && defined(MB_PLUGIN_VERSION)
#define MB_PLUGIN(Class, description, settings_schema_json)                                       \
  static_assert(MB_PLUGIN_KIND == MB_KIND_SOURCE || MB_PLUGIN_KIND == MB_KIND_SINK,               \
                "MB_PLUGIN_KIND must be MB_KIND_SOURCE or MB_KIND_SINK");                         \
  static_assert(                                                                                  \
      MB_PLUGIN_KIND == MB_KIND_SINK || !std::is_base_of_v<::meterbridge::SinkPlugin, Class>,     \
      "MB_PLUGIN: the class is a meterbridge::SinkPlugin but the plugin's KIND is "               \
      "source (meterbridge_add_plugin)");                                                         \
  static_assert(                                                                                  \
      MB_PLUGIN_KIND == MB_KIND_SOURCE || !std::is_base_of_v<::meterbridge::SourcePlugin, Class>, \
      "MB_PLUGIN: the class is a meterbridge::SourcePlugin but the plugin's KIND is "             \
      "sink (meterbridge_add_plugin)");                                                           \
  MB_DECLARE_PLUGIN(Class, MB_PLUGIN_KIND, MB_PLUGIN_ID, MB_PLUGIN_VERSION, description,          \
                    settings_schema_json)
#else
#define MB_PLUGIN(Class, description, settings_schema_json)                                       \
  static_assert(false,                                                                            \
                "MB_PLUGIN needs MB_PLUGIN_ID, MB_PLUGIN_KIND and MB_PLUGIN_VERSION; build with " \
                "meterbridge_add_plugin() or use MB_DECLARE_PLUGIN");
#endif
