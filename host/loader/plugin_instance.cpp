#include "loader/plugin_instance.hpp"

#include "loader/plugin_module.hpp"

namespace meterbridge::host {

InProcessInstance::InProcessInstance(std::shared_ptr<const PluginModule> module, void* handle)
    : module_(std::move(module)), handle_(handle) {}

InProcessInstance::~InProcessInstance() {
  module_->api().destroy(handle_);
}

CallResult InProcessInstance::check() {
  std::lock_guard lock(mutex_);
  mb_buffer out{};
  mb_status s = module_->api().check(handle_, &out);
  return take_plugin_result(s, out);
}

CallResult InProcessInstance::invoke(std::string_view op, std::string_view request_json) {
  std::lock_guard lock(mutex_);
  mb_buffer out{};
  mb_status s = module_->api().invoke(handle_, mb_str{op.data(), op.size()},
                                      mb_str{request_json.data(), request_json.size()}, &out);
  return take_plugin_result(s, out);
}

}  // namespace meterbridge::host
