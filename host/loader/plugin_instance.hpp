// One created plugin instance, as the rest of the host calls it: in this process
// (InProcessInstance) or in a meterbridge-runner (isolation/process_instance.hpp).
// The in-process one holds its module, so the library outlives the instance. The host never
// calls one instance from two threads at once (abi.h, Threading); the mutex makes that hold
// even if a caller forgets.
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
  // The plugin's process was lost in the middle of the call (isolation "process": a crash, a
  // kill at the time limit). Unlike a failure the plugin answered, which attempted nothing
  // (PROTOCOL.md P6.5), such a call may have done anything it was asked to: a sink's writes
  // may have landed.
  bool lost = false;
  bool ok() const { return status == MB_OK; }
};

class PluginInstance {
 public:
  PluginInstance() = default;
  virtual ~PluginInstance() = default;  // destroys the plugin's instance exactly once
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  virtual CallResult check() = 0;
  virtual CallResult invoke(std::string_view op, std::string_view request_json) = 0;
};

class InProcessInstance final : public PluginInstance {
 public:
  InProcessInstance(std::shared_ptr<const PluginModule> module, void* handle);
  ~InProcessInstance() override;  // calls destroy exactly once

  CallResult check() override;
  CallResult invoke(std::string_view op, std::string_view request_json) override;

 private:
  std::shared_ptr<const PluginModule> module_;
  void* handle_;
  std::mutex mutex_;
};

}  // namespace meterbridge::host
