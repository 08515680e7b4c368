// meterbridge plugin testing kit (header-only): fakes of the host services, so a plugin author
// can unit-test a plugin without the host.
//
//   meterbridge::testing::FakeHost host;
//   host.http_handler = [](const meterbridge::HttpRequest& r) { ... return response; };
//   meterbridge::testing::PluginHarness plugin(meterbridge_plugin_entry, host);
//   auto created = plugin.create(R"({"region": "eu"})");
//   auto answer = plugin.invoke("collect", {{"date", "2026-11-01"}});
//
// Build the test with meterbridge_add_plugin_test(), which links the plugin's objects into the
// test executable (one plugin per executable: the entry symbol is fixed). Uses only abi.h,
// plugin.hpp and nlohmann/json.
#pragma once

#include <meterbridge/plugin.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace meterbridge::testing {

struct LogLine {
  int32_t level;
  std::string message;
};

// A real mb_host_api table backed by memory. Not copyable: the table points at this object.
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
      return detail::barrier(out, [&]() -> mb_status {
        FakeHost& host = self(h);
        json j = json::parse(to_view(request));
        HttpRequest r;
        r.method = j.value("method", "GET");
        r.url = j.value("url", "");
        r.headers = j.value("headers", std::map<std::string, std::string>{});
        r.body = j.value("body", "");
        host.requests.push_back(r);
        if (!host.http_handler)
          throw transient_error("FakeHost: no http_handler set for " + r.method + " " + r.url);
        HttpResponse resp = host.http_handler(r);
        json answer = {{"schema", "http.response.v1"},
                       {"status", resp.status},
                       {"headers", resp.headers},
                       {"body", resp.body},
                       {"attempts", resp.attempts == 0 ? 1 : resp.attempts}};
        detail::fill_buffer(out, answer.dump());
        return MB_OK;
      });
    };
    table_.state_get = [](void* h, mb_str key, mb_buffer* out) -> mb_status {
      auto& state = self(h).state;
      auto it = state.find(std::string(to_view(key)));
      if (it == state.end()) return MB_E_NOT_FOUND;
      detail::fill_buffer(out, it->second);
      return MB_OK;
    };
    table_.state_put = [](void* h, mb_str key, mb_str value) -> mb_status {
      self(h).state[std::string(to_view(key))] = std::string(to_view(value));
      return MB_OK;
    };
    table_.secret_get = [](void* h, mb_str name, mb_buffer* out) -> mb_status {
      auto& secrets = self(h).secrets;
      auto it = secrets.find(std::string(to_view(name)));
      if (it == secrets.end()) {
        detail::fill_buffer(out, "no secret setting named '" + std::string(to_view(name)) + "'");
        return MB_E_NOT_FOUND;
      }
      detail::fill_buffer(out, it->second);
      return MB_OK;
    };
    table_.is_cancelled = [](void* h) -> int32_t { return self(h).cancelled.load() ? 1 : 0; };
    table_.now_unix_ms = [](void* h) -> int64_t { return self(h).now_unix_ms; };
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const mb_host_api* table() const { return &table_; }

  // Everything below is the fake's state: set it up before, inspect it after.
  std::vector<LogLine> logs;
  std::map<std::string, std::string> state;
  std::map<std::string, std::string> secrets;  // settings key -> resolved value
  std::function<HttpResponse(const HttpRequest&)> http_handler;
  std::vector<HttpRequest> requests;
  std::atomic<bool> cancelled{false};
  int64_t now_unix_ms = 1764547200000;  // 2025-12-01T00:00:00Z

  bool logged(const std::string& fragment) const {
    for (const auto& l : logs) {
      if (l.message.find(fragment) != std::string::npos) return true;
    }
    return false;
  }

 private:
  static FakeHost& self(void* h) { return *static_cast<FakeHost*>(h); }
  mb_host_api table_{};
};

// The outcome of one hook call: status, the JSON answer on success, the message otherwise.
struct Outcome {
  mb_status status = MB_OK;
  json answer;
  std::string message;
  bool ok() const { return status == MB_OK; }
};

// Drives a plugin through its entry point exactly as the host does, releasing every buffer.
class PluginHarness {
 public:
  PluginHarness(mb_plugin_entry_fn entry, FakeHost& host) : host_(host) {
    mb_host_version v{sizeof(mb_host_version), MB_ABI_MAJOR, MB_ABI_MINOR};
    negotiation_ = entry(&v, &api_);
    if (api_ == nullptr) throw std::runtime_error("plugin entry returned no table");
  }
  ~PluginHarness() { destroy(); }
  PluginHarness(const PluginHarness&) = delete;
  PluginHarness& operator=(const PluginHarness&) = delete;

  mb_status negotiation() const { return negotiation_; }
  const mb_plugin_api& api() const { return *api_; }

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
