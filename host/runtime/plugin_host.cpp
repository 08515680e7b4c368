#include "runtime/plugin_host.hpp"

#include <chrono>

#include "config/settings_schema.hpp"
#include "isolation/process_instance.hpp"
#include "runtime/plugin_dirs.hpp"
#include "services/host_clock.hpp"

namespace meterbridge::host {
namespace {

HttpSettings http_settings(const HttpConfig& c) {
  HttpSettings s;
  s.timeout_ms = c.timeout_ms;
  s.connect_timeout_ms = c.connect_timeout_ms;
  s.max_attempts = c.max_attempts;
  s.max_backoff_ms = c.max_backoff_ms;
  s.ca_file = c.ca_file.string();
  s.allow_insecure = c.allow_insecure;
  s.user_agent = "meterbridge/" METERBRIDGE_VERSION;
  return s;
}

std::string where(const InstanceConfig& instance) {
  return "instance '" + instance.name + "'";
}

}  // namespace

PluginHost::PluginHost(const Config& config, std::filesystem::path data_dir)
    : config_(config),
      data_dir_(std::move(data_dir)),
      plugin_dirs_(config.plugin_dirs.empty() ? default_plugin_dirs() : config.plugin_dirs),
      report_(load_plugins(plugin_dirs_)),
      http_(http_settings(config.http)) {}

PluginHost::~PluginHost() = default;

std::shared_ptr<const PluginModule> PluginHost::find_plugin(const std::string& id) const {
  for (const auto& m : report_.plugins) {
    if (m->id() == id) return m;
  }
  return nullptr;
}

std::vector<std::string> PluginHost::settings_problems(const InstanceConfig& instance) const {
  const std::string at = "/plugins/" + instance.name;
  auto module = find_plugin(instance.plugin);
  if (!module) {
    std::string why = "no loaded plugin has id '" + instance.plugin + "'";
    for (const auto& r : report_.refusals) {
      if (r.plugin_id == instance.plugin) why += "; it was refused: " + r.message();
    }
    if (why.find("refused") == std::string::npos) why += " (see `meterbridge plugins list`)";
    return {config_.file.string() + ": " + at + "/plugin: " + why};
  }
  nlohmann::json schema;
  try {
    schema = nlohmann::json::parse(module->settings_schema_json());
  } catch (const nlohmann::json::exception& e) {
    return {"plugin '" + module->id() + "' (" + module->path().string() +
            ") declares a settings schema that is not valid JSON: " + e.what()};
  }
  std::vector<std::string> problems;
  for (const auto& issue : check_schema(schema)) {
    problems.push_back("plugin '" + module->id() + "' (" + module->path().string() +
                       ") declares an unusable settings schema at " + issue.pointer + ": " +
                       issue.message);
  }
  if (!problems.empty()) return problems;
  for (const auto& issue : validate_against_schema(schema, instance.settings, at + "/settings")) {
    problems.push_back(config_.file.string() + ": " + issue.pointer + ": " + issue.message);
  }
  // Under isolation "process" the plugin's own check runs in its runner, before create
  // (isolation/process_instance.cpp): no code of that plugin runs in meterbridge but its entry.
  if (problems.empty() && module->has_validate_settings() &&
      instance.isolation != Isolation::process) {
    CallResult verdict = module->validate_settings(instance.settings.dump());
    if (!verdict.ok()) {
      problems.push_back(config_.file.string() + ": " + at + "/settings: " + verdict.text);
    }
  }
  return problems;
}

StateStore& PluginHost::state_store() {
  if (!state_) state_ = std::make_unique<StateStore>(data_dir_ / "state.sqlite");
  return *state_;
}

std::unique_ptr<RunningInstance> PluginHost::start(const InstanceConfig& instance) {
  std::vector<std::string> problems = settings_problems(instance);
  if (!problems.empty()) {
    std::string message = where(instance) + ": settings refused:";
    for (const auto& p : problems) message += "\n  " + p;
    throw InstanceError(MB_E_CONFIG, message);
  }
  auto running = std::make_unique<RunningInstance>();
  running->config = &instance;
  running->module = find_plugin(instance.plugin);

  std::map<std::string, std::string> secret_references;
  for (const auto& name :
       secret_properties(nlohmann::json::parse(running->module->settings_schema_json()))) {
    if (instance.settings.contains(name))
      secret_references[name] = instance.settings[name].get<std::string>();
  }
  SharedServices shared;
  shared.http = &http_;
  shared.state = &state_store();
  shared.now_unix_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(host_now().time_since_epoch())
        .count();
  };
  shared.cancelled = &cancelled_;
  running->services = std::make_unique<InstanceServices>(instance.name, shared, secret_references,
                                                         config_.base_dir);
  if (instance.isolation == Isolation::process) {
    running->plugin = start_in_runner(instance, *running);
    return running;
  }
  auto created =
      running->module->create_instance(running->services->table(), instance.settings.dump());
  if (!created) {
    throw InstanceError(created.error.status, where(instance) + " (plugin '" + instance.plugin +
                                                  "'): create failed: " + created.error.text);
  }
  running->plugin = std::move(created.instance);
  return running;
}

std::unique_ptr<PluginInstance> PluginHost::start_in_runner(const InstanceConfig& instance,
                                                            const RunningInstance& running) {
  RunnerTarget target;
  target.instance = instance.name;
  target.manifest = running.module->manifest_path();
  target.library = running.module->path();
  target.plugin_id = running.module->id();
  target.plugin_version = running.module->version();
  target.settings_json = instance.settings.dump();
  RunnerConfig runner = instance.runner;
  if (!runner.executable.empty() && runner.executable.is_relative())
    runner.executable = config_.base_dir / runner.executable;
  auto plugin =
      std::make_unique<ProcessInstance>(std::move(target), runner, running.services->table());
  CallResult started = plugin->start();
  if (plugin->settings_refused()) {
    // Worded as settings_problems() words the in-process verdict.
    throw InstanceError(MB_E_CONFIG, where(instance) + ": settings refused:\n  " +
                                         config_.file.string() + ": /plugins/" + instance.name +
                                         "/settings: " + started.text);
  }
  if (!started.ok()) {
    throw InstanceError(started.status, where(instance) + " (plugin '" + instance.plugin +
                                            "'): create failed: " + started.text);
  }
  return plugin;
}

}  // namespace meterbridge::host
