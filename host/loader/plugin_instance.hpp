// One created plugin instance. Holds its module, so the library outlives the instance.
// The host never calls one instance from two threads at once (abi.h, Threading); the mutex
// makes that hold even if a caller forgets.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <meterbridge/abi.h>

namespace meterbridge::host {

class PluginModule;

struct CallResult {
  mb_status status = MB_OK;
  std::string text;  // the JSON answer on success, the message otherwise
  bool ok() const { return status == MB_OK; }
};

class PluginInstance {
 public:
  PluginInstance(std::shared_ptr<const PluginModule> module, void* handle);
  ~PluginInstance();  // calls destroy exactly once
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  CallResult check();
  CallResult invoke(std::string_view op, std::string_view request_json);

 private:
  std::shared_ptr<const PluginModule> module_;
  void* handle_;
  std::mutex mutex_;
};

}  // namespace meterbridge::host
