// The mb_host_api table handed to one plugin instance: its log, http, state, secrets,
// cancellation and clock, all bound to the instance id.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include <meterbridge/abi.h>

#include "services/http_client.hpp"
#include "services/state_store.hpp"

namespace meterbridge::host {

struct SharedServices {
  const HttpClient* http = nullptr;
  StateStore* state = nullptr;
  std::function<int64_t()> now_unix_ms;
  const std::atomic<bool>* cancelled = nullptr;
};

class InstanceServices {
 public:
  // secret_references: settings key -> ${env:...}/${file:...} reference, resolved on demand.
  InstanceServices(std::string instance_id, SharedServices shared,
                   std::map<std::string, std::string> secret_references,
                   std::filesystem::path base_dir);
  InstanceServices(const InstanceServices&) = delete;
  InstanceServices& operator=(const InstanceServices&) = delete;

  // Valid as long as this object; table()->host points at it.
  const mb_host_api* table() const noexcept { return &table_; }
  const std::string& instance_id() const { return instance_id_; }

 private:
  static void log(void* host, int32_t level, mb_str message);
  static mb_status http(void* host, mb_str request, mb_buffer* response);
  static mb_status state_get(void* host, mb_str key, mb_buffer* value);
  static mb_status state_put(void* host, mb_str key, mb_str value);
  static mb_status secret_get(void* host, mb_str name, mb_buffer* value);
  static int32_t is_cancelled(void* host);
  static int64_t now_unix_ms(void* host);

  std::string instance_id_;
  SharedServices shared_;
  std::map<std::string, std::string> secret_references_;
  std::filesystem::path base_dir_;
  mb_host_api table_{};
};

}  // namespace meterbridge::host
