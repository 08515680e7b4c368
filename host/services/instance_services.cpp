#include "services/instance_services.hpp"

#include <chrono>

#include <meterbridge/plugin.hpp>

#include "services/api_counters.hpp"
#include "services/host_clock.hpp"
#include "services/logging.hpp"
#include "services/secrets.hpp"

namespace meterbridge::host {
namespace {

using meterbridge::detail::fill_buffer;

InstanceServices& self(void* host) {
  return *static_cast<InstanceServices*>(host);
}

spdlog::level::level_enum to_spdlog(int32_t level) {
  switch (level) {
    case MB_LOG_TRACE:
      return spdlog::level::trace;
    case MB_LOG_DEBUG:
      return spdlog::level::debug;
    case MB_LOG_INFO:
      return spdlog::level::info;
    case MB_LOG_WARN:
      return spdlog::level::warn;
    case MB_LOG_ERROR:
      return spdlog::level::err;
    default:
      return spdlog::level::warn;  // an unknown level is still shown, never dropped
  }
}

}  // namespace

InstanceServices::InstanceServices(std::string instance_id, SharedServices shared,
                                   std::map<std::string, std::string> secret_references,
                                   std::filesystem::path base_dir)
    : instance_id_(std::move(instance_id)),
      shared_(std::move(shared)),
      secret_references_(std::move(secret_references)),
      base_dir_(std::move(base_dir)) {
  table_.struct_size = sizeof(mb_host_api);
  table_.abi_major = MB_ABI_MAJOR;
  table_.abi_minor = MB_ABI_MINOR;
  table_.host = this;
  table_.log = &InstanceServices::log;
  table_.http = &InstanceServices::http;
  table_.state_get = &InstanceServices::state_get;
  table_.state_put = &InstanceServices::state_put;
  table_.secret_get = &InstanceServices::secret_get;
  table_.is_cancelled = &InstanceServices::is_cancelled;
  table_.now_unix_ms = &InstanceServices::now_unix_ms;
}

void InstanceServices::log(void* host, int32_t level, mb_str message) {
  try {
    get_logger(self(host).instance_id_)->log(to_spdlog(level), "{}", std::string(to_view(message)));
  } catch (...) {
    // Logging must never take the plugin down.
  }
}

mb_status InstanceServices::http(void* host, mb_str request, mb_buffer* response) {
  try {
    auto& s = self(host);
    if (!s.shared_.http) {
      fill_buffer(response, "http is not available in this host");
      return MB_E_UNSUPPORTED;
    }
    nlohmann::json parsed = nlohmann::json::parse(to_view(request), nullptr, false);
    if (parsed.is_discarded()) {
      fill_buffer(response, "invalid http request: not valid JSON");
      return MB_E_INVALID_ARGUMENT;
    }
    HttpOutcome out = s.shared_.http->perform(
        parsed, [&s] { return is_cancelled(&s) != 0; }, "instance '" + s.instance_id_ + "'");
    // A cancelled request was never sent: it is no API call.
    if (out.status == MB_OK) {
      record_api_call(s.instance_id_, out.response.value("status", 0));
    } else if (out.status != MB_E_CANCELLED) {
      record_api_call(s.instance_id_, 0);
    }
    fill_buffer(response,
                out.status == MB_OK
                    ? out.response.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                    : out.error);
    return out.status;
  } catch (const std::exception& e) {
    fill_buffer(response, std::string("http failed inside the host: ") + e.what());
    return MB_E_INTERNAL;
  }
}

mb_status InstanceServices::state_get(void* host, mb_str key, mb_buffer* value) {
  try {
    auto& s = self(host);
    auto v = s.shared_.state->get(s.instance_id_, std::string(to_view(key)));
    if (!v) return MB_E_NOT_FOUND;
    fill_buffer(value, *v);
    return MB_OK;
  } catch (const std::exception& e) {
    fill_buffer(value, e.what());
    return MB_E_INTERNAL;
  }
}

mb_status InstanceServices::state_put(void* host, mb_str key, mb_str value) {
  try {
    auto& s = self(host);
    s.shared_.state->put(s.instance_id_, std::string(to_view(key)), std::string(to_view(value)));
    return MB_OK;
  } catch (const std::exception& e) {
    get_logger(self(host).instance_id_)->error("state_put failed: {}", e.what());
    return MB_E_INTERNAL;
  }
}

mb_status InstanceServices::secret_get(void* host, mb_str name, mb_buffer* value) {
  auto& s = self(host);
  const std::string key(to_view(name));
  auto it = s.secret_references_.find(key);
  if (it == s.secret_references_.end()) {
    fill_buffer(value, "instance '" + s.instance_id_ + "': no secret setting named '" + key + "'");
    return MB_E_NOT_FOUND;
  }
  try {
    fill_buffer(value, resolve_secret(it->second, s.base_dir_));
    return MB_OK;
  } catch (const std::exception& e) {
    fill_buffer(value, "instance '" + s.instance_id_ + "': setting '" + key + "': " + e.what());
    return MB_E_CONFIG;
  }
}

int32_t InstanceServices::is_cancelled(void* host) {
  const auto* flag = self(host).shared_.cancelled;
  return (flag && flag->load()) ? 1 : 0;
}

int64_t InstanceServices::now_unix_ms(void* host) {
  auto& s = self(host);
  if (s.shared_.now_unix_ms) return s.shared_.now_unix_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(host_now().time_since_epoch())
      .count();
}

}  // namespace meterbridge::host
