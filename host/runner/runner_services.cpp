#include "runner/runner_services.hpp"

#include <cstdio>
#include <cstdlib>

#include <meterbridge/plugin.hpp>

#include "isolation/runner_protocol.hpp"
#include "services/redactor.hpp"

namespace meterbridge::host::runner {
namespace {

using meterbridge::detail::fill_buffer;

RunnerServices& self(void* host) {
  return *static_cast<RunnerServices*>(host);
}

}  // namespace

RunnerServices::RunnerServices(HostChannel& channel) : channel_(channel) {
  table_.struct_size = sizeof(mb_host_api);
  table_.abi_major = MB_ABI_MAJOR;
  table_.abi_minor = MB_ABI_MINOR;
  table_.host = this;
  table_.log = &RunnerServices::log;
  table_.http = &RunnerServices::http;
  table_.state_get = &RunnerServices::state_get;
  table_.state_put = &RunnerServices::state_put;
  table_.secret_get = &RunnerServices::secret_get;
  table_.is_cancelled = &RunnerServices::is_cancelled;
  table_.now_unix_ms = &RunnerServices::now_unix_ms;
}

void RunnerServices::begin_hook() {
  std::lock_guard lock(mutex_);
  channel_.clear_cancel();
  in_hook_ = true;
}

void RunnerServices::end_hook() {
  std::lock_guard lock(mutex_);
  in_hook_ = false;
}

RunnerServices::Answer RunnerServices::ask(const char* name, const nlohmann::json& extra,
                                           std::string_view body) {
  {
    std::lock_guard lock(mutex_);
    if (!in_hook_) {
      return {MB_E_UNSUPPORTED,
              std::string("host service ") + name +
                  " is reachable only while a hook runs (isolation: process; sdk/PROTOCOL.md)",
              0};
    }
  }
  nlohmann::json header = {{"t", "service"}, {"name", name}};
  if (extra.is_object()) header.update(extra);
  std::optional<Frame> f = channel_.request(std::move(header), body);
  if (!f) {
    // The host is gone or broke the protocol: nothing more can be done in this process.
    std::fprintf(stderr, "meterbridge-runner: lost the host during %s: %s\n", name,
                 channel_.why().c_str());
    std::_Exit(70);
  }
  return {f->header.value("status", MB_E_INTERNAL), std::move(f->body),
          f->header.value("value", int64_t{0})};
}

void RunnerServices::log(void* host, int32_t level, mb_str message) {
  // Lines the host would drop at its log level never cross (a trace line per request would
  // cost a frame per request).
  if (level < self(host).min_log_level_) return;
  try {
    self(host).channel_.send({{"t", "log"}, {"level", level}}, to_view(message));
  } catch (...) {
    // Logging must never take the plugin down; a lost host shows at the next service call.
  }
}

mb_status RunnerServices::http(void* host, mb_str request, mb_buffer* response) {
  Answer a = self(host).ask("http", nullptr, to_view(request));
  fill_buffer(response, a.text);
  return a.status;
}

mb_status RunnerServices::state_get(void* host, mb_str key, mb_buffer* value) {
  Answer a = self(host).ask("state_get", nullptr, to_view(key));
  if (a.status == MB_OK || !a.text.empty()) fill_buffer(value, a.text);
  return a.status;
}

mb_status RunnerServices::state_put(void* host, mb_str key, mb_str value) {
  Answer a = self(host).ask("state_put", {{"key", std::string(to_view(key))}}, to_view(value));
  return a.status;
}

mb_status RunnerServices::secret_get(void* host, mb_str name, mb_buffer* value) {
  Answer a = self(host).ask("secret_get", nullptr, to_view(name));
  // Redacted here too, so that nothing the runner itself prints can show it.
  if (a.status == MB_OK) Redactor::global().add(a.text);
  fill_buffer(value, a.text);
  return a.status;
}

int32_t RunnerServices::is_cancelled(void* host) {
  // Plugins poll this between requests: the host pushes "cancel" instead of being asked.
  return self(host).channel_.cancelled() ? 1 : 0;
}

int64_t RunnerServices::now_unix_ms(void* host) {
  return self(host).ask("now_unix_ms", nullptr, {}).value;
}

}  // namespace meterbridge::host::runner
