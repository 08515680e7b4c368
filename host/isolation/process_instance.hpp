// A plugin instance that lives in a meterbridge-runner child process ("isolation": "process").
// Each call crosses the runner protocol (runner_protocol.hpp); the host services the plugin
// calls back are answered here from the instance's own services table, so http, state,
// secrets, clock, cancellation and log redaction are exactly those of an in-process instance.
//
// A runner that crashes, exits, writes garbage, outgrows runner.memory_mb or overruns
// runner.call_timeout_seconds (asked to cancel first, SIGKILLed after
// runner.cancel_grace_seconds) ends that call with an error naming the instance, the plugin
// file and the cause; the runner is gone and the next call starts a fresh one and creates the
// instance again, after a backoff when runners keep failing (runner_health.hpp).
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <meterbridge/abi.h>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "isolation/runner_protocol.hpp"
#include "loader/plugin_instance.hpp"

namespace meterbridge::host {

class RunnerProcess;

struct RunnerTarget {
  std::string instance;                   // the instance id
  std::filesystem::path manifest;         // read by the runner's own loader
  std::filesystem::path library;          // named in every error
  std::string plugin_id, plugin_version;  // what the host loaded; the runner must load the same
  std::string settings_json;              // for create, again after every restart
};

// meterbridge-runner beside the running meterbridge executable (a build tree), else in
// <prefix>/libexec/meterbridge (an installation).
std::filesystem::path default_runner_executable();

class ProcessInstance final : public PluginInstance {
 public:
  // services: the instance's host-services table; outlives this object.
  ProcessInstance(RunnerTarget target, RunnerConfig config, const mb_host_api* services);
  ~ProcessInstance() override;  // destroy in the runner, then it exits (killed if it will not)

  // Starts the runner and creates the instance in it (what the constructor does not do, so a
  // failure is an answer, not an exception).
  CallResult start();
  // Whether the last start failed because the plugin's validate_settings refused the settings
  // (the answer's text is then the plugin's message, as in process).
  bool settings_refused() const { return settings_refused_; }
  CallResult check() override;
  CallResult invoke(std::string_view op, std::string_view request_json) override;

 private:
  CallResult call(const std::string& hook, const nlohmann::json& extra, std::string_view body);
  CallResult ensure_running();
  CallResult handshake();
  CallResult send_and_wait(const std::string& hook, const nlohmann::json& extra,
                           std::string_view body, int64_t timeout_ms);
  CallResult wait_for_result(const std::string& what, int64_t timeout_ms);
  void answer_service(const runner::Frame& frame);
  void send_answer(int64_t id, mb_status status, int64_t value, const std::string& text);
  // Waits for the http requests still being answered (their runner may be gone already).
  void join_service_threads();
  // Ends the runner, counts the failure, and says what happened.
  CallResult lost(const std::string& cause, const std::string& what_happened,
                  mb_status status = MB_E_INTERNAL);
  void shut_down_runner();
  std::string who() const;

  RunnerTarget target_;
  RunnerConfig config_;
  const mb_host_api* services_;
  std::unique_ptr<RunnerProcess> process_;
  bool created_ = false;
  bool settings_refused_ = false;
  bool cancelling_ = false;
  std::mutex mutex_;
  // Frames to the runner come from the calling thread and from the http answers' threads.
  std::mutex write_mutex_;
  std::vector<std::thread> service_threads_;
};

}  // namespace meterbridge::host
