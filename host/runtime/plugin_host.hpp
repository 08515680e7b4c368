// The running host: loads the plugins found in the configured directories and starts
// configured instances, each wired to its own host-services table.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "loader/plugin_instance.hpp"
#include "loader/plugin_loader.hpp"
#include "services/http_client.hpp"
#include "services/instance_services.hpp"
#include "services/state_store.hpp"

namespace meterbridge::host {

// Why an instance could not start: status class (MB_E_CONFIG for the operator's config) and
// a message naming the instance.
class InstanceError : public std::runtime_error {
 public:
  InstanceError(mb_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  mb_status status() const noexcept { return status_; }

 private:
  mb_status status_;
};

// A created plugin instance and the services table it holds a pointer to.
// Member order matters: the plugin instance is destroyed before its services.
struct RunningInstance {
  const InstanceConfig* config = nullptr;
  std::shared_ptr<const PluginModule> module;
  std::unique_ptr<InstanceServices> services;
  std::unique_ptr<PluginInstance> plugin;
};

class PluginHost {
 public:
  // Loads every plugin of the configured (or default) plugin directories; refusals are kept in
  // load_report() and logged, never fatal. data_dir holds the state database (opened lazily).
  PluginHost(const Config& config, std::filesystem::path data_dir);
  ~PluginHost();

  const LoadReport& load_report() const { return report_; }
  const std::vector<std::filesystem::path>& plugin_dirs() const { return plugin_dirs_; }
  std::shared_ptr<const PluginModule> find_plugin(const std::string& id) const;

  // Config-class problems of an instance, without creating it: unknown plugin id, settings
  // that break the plugin's schema, and the plugin's own validate_settings verdict.
  std::vector<std::string> settings_problems(const InstanceConfig& instance) const;

  // Creates the instance; throws InstanceError (MB_E_CONFIG for settings problems).
  std::unique_ptr<RunningInstance> start(const InstanceConfig& instance);

  // Asks every running operation to stop (is_cancelled answers 1 from now on).
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  StateStore& state_store();
  // isolation "process": the instance in its own meterbridge-runner; throws InstanceError.
  std::unique_ptr<PluginInstance> start_in_runner(const InstanceConfig& instance,
                                                  const RunningInstance& running);

  const Config& config_;
  std::filesystem::path data_dir_;
  std::vector<std::filesystem::path> plugin_dirs_;
  LoadReport report_;
  HttpClient http_;
  std::unique_ptr<StateStore> state_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace meterbridge::host
