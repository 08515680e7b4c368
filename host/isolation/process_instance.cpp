#include "isolation/process_instance.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>

#include "isolation/runner_health.hpp"
#include "isolation/runner_process.hpp"
#include "loader/plugin_module.hpp"
#include "services/logging.hpp"

namespace meterbridge::host {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
namespace rp = runner;

// The runner answers its hello before it does anything slow.
constexpr int64_t kHandshakeMs = 30'000;
// How often a call's resident memory is looked at when runner.memory_mb is set.
constexpr milliseconds kMemoryTick{20};

std::string seconds_text(int64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

mb_str view(std::string_view s) {
  return mb_str{s.data(), s.size()};
}

// The lowest MB_LOG_* level the instance's logger shows now.
int32_t min_log_level(const std::string& instance) {
  switch (get_logger(instance)->level()) {
    case spdlog::level::trace:
      return MB_LOG_TRACE;
    case spdlog::level::debug:
      return MB_LOG_DEBUG;
    case spdlog::level::info:
      return MB_LOG_INFO;
    case spdlog::level::warn:
      return MB_LOG_WARN;
    case spdlog::level::err:
    case spdlog::level::critical:
      return MB_LOG_ERROR;
    default:
      return MB_LOG_ERROR + 1;  // off
  }
}

// How often a call's loop looks at the host's cancellation (and the memory) while it waits.
constexpr milliseconds kWatchTick{100};

}  // namespace

std::filesystem::path default_runner_executable() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "meterbridge-runner";
  // A build tree has it beside meterbridge; an installation in <prefix>/libexec/meterbridge.
  const auto beside = self.parent_path() / "meterbridge-runner";
  const auto libexec = self.parent_path().parent_path() / "libexec/meterbridge/meterbridge-runner";
  if (!std::filesystem::exists(beside, ec) && std::filesystem::exists(libexec, ec)) return libexec;
  return beside;
}

ProcessInstance::ProcessInstance(RunnerTarget target, RunnerConfig config,
                                 const mb_host_api* services)
    : target_(std::move(target)), config_(std::move(config)), services_(services) {
  if (config_.executable.empty()) config_.executable = default_runner_executable();
}

ProcessInstance::~ProcessInstance() {
  std::lock_guard lock(mutex_);
  shut_down_runner();
}

std::string ProcessInstance::who() const {
  return "runner of instance '" + target_.instance + "' (plugin file " + target_.library.string() +
         ")";
}

CallResult ProcessInstance::start() {
  std::lock_guard lock(mutex_);
  return ensure_running();
}

CallResult ProcessInstance::check() {
  return call("check", nullptr, {});
}

CallResult ProcessInstance::invoke(std::string_view op, std::string_view request_json) {
  return call("invoke", {{"op", std::string(op)}}, request_json);
}

CallResult ProcessInstance::call(const std::string& hook, const nlohmann::json& extra,
                                 std::string_view body) {
  std::lock_guard lock(mutex_);
  CallResult ready = ensure_running();
  if (!ready.ok()) return ready;
  return send_and_wait(hook, extra, body, config_.call_timeout_ms);
}

CallResult ProcessInstance::ensure_running() {
  if (process_ && created_) return {MB_OK, {}};
  settings_refused_ = false;
  if (!process_) {
    const milliseconds wait = runner_backoff_left(target_.instance);
    if (wait.count() > 0) {
      const int64_t streak = runner_counts()[target_.instance].streak;
      return {MB_E_TRANSIENT, who() + " failed " + std::to_string(streak) +
                                  " times in a row; it is not started again for another " +
                                  seconds_text((wait.count() + 999) / 1000 * 1000) +
                                  " (backoff; see the errors before this one)"};
    }
    if (access(config_.executable.c_str(), X_OK) != 0) {
      return {MB_E_CONFIG,
              "instance '" + target_.instance + "' has \"isolation\": \"process\" " +
                  "but the runner " + config_.executable.string() +
                  " does not exist or is not executable (runner.executable; "
                  "meterbridge-runner comes with meterbridge, in <prefix>/libexec/meterbridge)"};
    }
    record_runner_start(target_.instance);
    try {
      process_ = std::make_unique<RunnerProcess>(
          RunnerSpawn{config_.executable,
                      {"--instance", target_.instance, "--manifest", target_.manifest.string()},
                      target_.instance,
                      config_.cpu_seconds});
    } catch (const std::exception& e) {
      return lost("start", std::string("could not be started: ") + e.what());
    }
    CallResult hello = handshake();
    if (!hello.ok()) return hello;
  }
  // The plugin's own settings check runs here too, never in meterbridge (plugin_host.cpp).
  CallResult valid = send_and_wait("validate_settings", nullptr, target_.settings_json,
                                   std::min<int64_t>(config_.call_timeout_ms, kHandshakeMs));
  if (!process_) return valid;
  if (!valid.ok()) {
    shut_down_runner();
    settings_refused_ = true;
    return {MB_E_CONFIG, valid.text};
  }
  CallResult created = send_and_wait("create", nullptr, target_.settings_json,
                                     std::min<int64_t>(config_.call_timeout_ms, kHandshakeMs * 4));
  if (!process_) return created;  // lost during create: the message says how
  if (!created.ok()) {
    // The plugin refused to create (its own answer): nothing to destroy; the next call tries
    // again with a fresh runner, which is no failure of the runner.
    shut_down_runner();
    return created;
  }
  created_ = true;
  return created;
}

CallResult ProcessInstance::handshake() {
  try {
    rp::write_frame(process_->calls_fd(), {{"t", "hello"},
                                           {"protocol", rp::kProtocolVersion},
                                           {"version", METERBRIDGE_VERSION},
                                           {"instance", target_.instance},
                                           {"memory_mb", config_.memory_mb},
                                           {"log_level", min_log_level(target_.instance)}});
    rp::Frame answer =
        rp::read_frame(process_->answers_fd(), Clock::now() + milliseconds(kHandshakeMs));
    const int protocol = answer.header.value("protocol", 0);
    const std::string version = answer.header.value("version", "?");
    if (answer.type() != "hello" || protocol != rp::kProtocolVersion ||
        version != METERBRIDGE_VERSION) {
      const std::string exe = config_.executable.string();
      shut_down_runner();
      record_runner_failure(target_.instance, "start");
      return {MB_E_CONFIG, "instance '" + target_.instance + "': the runner " + exe +
                               " is meterbridge " + version + " (runner protocol " +
                               std::to_string(protocol) + ") but this is meterbridge " +
                               METERBRIDGE_VERSION + " (runner protocol " +
                               std::to_string(rp::kProtocolVersion) +
                               "); use the meterbridge-runner installed with this meterbridge"};
    }
    if (answer.header.contains("load_error")) {
      const std::string why = answer.header.value("load_error", "");
      shut_down_runner();
      return {MB_E_CONFIG, who() + " could not load the plugin: " + why};
    }
    const nlohmann::json plugin = answer.header.value("plugin", nlohmann::json::object());
    if (plugin.value("id", "") != target_.plugin_id ||
        plugin.value("version", "") != target_.plugin_version) {
      shut_down_runner();
      return {MB_E_CONFIG, who() + " loaded plugin '" + plugin.value("id", "") + "' " +
                               plugin.value("version", "") + ", not '" + target_.plugin_id + "' " +
                               target_.plugin_version +
                               " as this meterbridge did: the file changed; restart meterbridge"};
    }
    return {MB_OK, {}};
  } catch (const rp::PeerClosed&) {
    process_->wait_for_exit(milliseconds(2000));
    return lost(process_->killed_by_signal(SIGKILL) ? "crash" : "start",
                process_->how_it_ended() + " before its handshake");
  } catch (const rp::FrameTimeout&) {
    return lost("start", "did not answer its handshake within " + seconds_text(kHandshakeMs));
  } catch (const rp::ProtocolError& e) {
    return lost("protocol",
                std::string("answered its handshake with something that is not the runner "
                            "protocol: ") +
                    e.what());
  }
}

CallResult ProcessInstance::send_and_wait(const std::string& hook, const nlohmann::json& extra,
                                          std::string_view body, int64_t timeout_ms) {
  nlohmann::json header = {{"t", "call"}, {"hook", hook}};
  if (extra.is_object()) header.update(extra);
  const std::string what = hook == "invoke" ? "invoke " + extra.value("op", "") : hook;
  try {
    std::lock_guard lock(write_mutex_);
    rp::write_frame(process_->calls_fd(), header, body);
  } catch (const rp::PeerClosed&) {
    process_->wait_for_exit(milliseconds(2000));
    return lost("crash", process_->how_it_ended() + " before " + what);
  }
  return wait_for_result(what, timeout_ms);
}

CallResult ProcessInstance::wait_for_result(const std::string& what, int64_t timeout_ms) {
  cancelling_ = false;
  bool cancel_sent = false;
  const auto call_deadline = Clock::now() + milliseconds(timeout_ms);
  std::optional<Clock::time_point> kill_at;
  for (;;) {
    const auto now = Clock::now();
    if (!kill_at && now >= call_deadline) {
      cancelling_ = true;
      kill_at = now + milliseconds(config_.cancel_grace_ms);
      get_logger(target_.instance)
          ->warn("{} passed its time limit of {}: asked to cancel", what, seconds_text(timeout_ms));
    }
    if (kill_at && now >= *kill_at) {
      process_->kill_now();
      process_->wait_for_exit(milliseconds(5000));
      return lost("timeout",
                  "did not finish " + what + " within " + seconds_text(timeout_ms) +
                      " (runner.call_timeout_seconds) nor stop within " +
                      seconds_text(config_.cancel_grace_ms) +
                      " of being asked to cancel (runner.cancel_grace_seconds); it was killed",
                  MB_E_TRANSIENT);
    }
    // The plugin polls is_cancelled locally: push "cancel" once, when the call passed its time
    // or the host is stopping (SIGTERM).
    if (!cancel_sent && (cancelling_ || services_->is_cancelled(services_->host) != 0)) {
      cancel_sent = true;
      std::lock_guard lock(write_mutex_);
      try {
        rp::write_frame(process_->calls_fd(), {{"t", "cancel"}});
      } catch (const std::exception&) {
        // Gone: the read below says how.
      }
    }
    auto wake = std::min(kill_at ? *kill_at : call_deadline, now + kWatchTick);
    if (config_.memory_mb > 0) wake = std::min(wake, now + kMemoryTick);
    const bool readable = rp::wait_readable(process_->answers_fd(), wake);
    if (config_.memory_mb > 0) {
      auto rss = process_->resident_mb();
      if (rss && *rss > config_.memory_mb) {
        process_->kill_now();
        process_->wait_for_exit(milliseconds(5000));
        return lost("memory", "used " + std::to_string(*rss) + " MiB during " + what +
                                  ", over its limit of " + std::to_string(config_.memory_mb) +
                                  " MiB (runner.memory_mb); it was killed");
      }
    }
    if (!readable) continue;
    rp::Frame f;
    try {
      f = rp::read_frame(process_->answers_fd(), kill_at ? *kill_at : call_deadline);
      if (f.type() == "result") {
        const mb_status status = f.header.value("status", MB_E_INTERNAL);
        join_service_threads();  // a plugin thread may have left one in flight
        // A runner that creates fine and then crashes in every call is still failing.
        if (what == "check" || what.rfind("invoke", 0) == 0) record_runner_answer(target_.instance);
        CallResult r = plugin_result(status, std::move(f.body));
        if (cancelling_) {
          r.text = what + " passed its time limit of " + seconds_text(timeout_ms) +
                   " (runner.call_timeout_seconds) and was cancelled: " + r.text;
          if (r.ok()) r.status = MB_E_CANCELLED;
        }
        return r;
      }
      if (f.type() == "log") {
        services_->log(services_->host, f.header.value("level", MB_LOG_INFO), view(f.body));
      } else if (f.type() == "service") {
        answer_service(f);
      } else {
        throw rp::ProtocolError("unexpected frame '" + f.type() + "'");
      }
    } catch (const rp::PeerClosed&) {
      if (!process_->wait_for_exit(milliseconds(2000))) process_->kill_now();
      process_->wait_for_exit(milliseconds(2000));
      const bool cpu = process_->killed_by_signal(SIGXCPU);
      return lost(
          cpu ? "cpu"
              : (process_->how_it_ended().find("signal") != std::string::npos ? "crash" : "exit"),
          process_->how_it_ended() + " during " + what +
              (cpu ? " (over its CPU limit of " + std::to_string(config_.cpu_seconds) +
                         " s, runner.cpu_seconds)"
                   : ""));
    } catch (const rp::FrameTimeout&) {
      continue;  // nothing had begun: the deadline handling above ends the call
    } catch (const rp::ProtocolError& e) {
      process_->kill_now();
      process_->wait_for_exit(milliseconds(5000));
      return lost("protocol", "wrote something that is not the runner protocol during " + what +
                                  ": " + e.what() + "; it was killed");
    }
  }
}

void ProcessInstance::answer_service(const rp::Frame& f) {
  const std::string name = f.header.value("name", "");
  const int64_t id = f.header.value("id", int64_t{0});
  const mb_host_api& t = *services_;
  if (name == "http" && f.header.value("overlap", false)) {
    // The plugin has other requests in flight (the autotask sink overlaps its writes): this one
    // is answered from a thread of its own, as in-process threads would call the service, so
    // the loop goes on reading the others. A lone request is answered right here: a thread
    // start and a wake-up less on every request of a plugin that asks one thing at a time.
    service_threads_.emplace_back([this, id, request = f.body] {
      mb_buffer buffer{};
      const mb_status status = services_->http(services_->host, view(request), &buffer);
      send_answer(id, status, 0, take_plugin_buffer(buffer));
    });
    return;
  }
  mb_buffer buffer{};
  mb_status status = MB_OK;
  int64_t value = 0;
  if (name == "http") {
    status = t.http(t.host, view(f.body), &buffer);
  } else if (name == "state_get") {
    status = t.state_get(t.host, view(f.body), &buffer);
  } else if (name == "state_put") {
    const std::string key = f.header.value("key", "");
    status = t.state_put(t.host, view(key), view(f.body));
  } else if (name == "secret_get") {
    // The value crosses to this runner only, the one that asked; it is registered for
    // redaction in the host by the service itself.
    status = t.secret_get(t.host, view(f.body), &buffer);
  } else if (name == "is_cancelled") {
    value = (cancelling_ || t.is_cancelled(t.host) != 0) ? 1 : 0;
  } else if (name == "now_unix_ms") {
    value = t.now_unix_ms(t.host);
  } else {
    status = MB_E_UNSUPPORTED;
  }
  std::string text = take_plugin_buffer(buffer);
  if (status == MB_E_UNSUPPORTED && text.empty()) text = "unknown host service '" + name + "'";
  send_answer(id, status, value, text);
}

void ProcessInstance::send_answer(int64_t id, mb_status status, int64_t value,
                                  const std::string& text) {
  std::lock_guard lock(write_mutex_);
  try {
    rp::write_frame(process_->calls_fd(),
                    {{"t", "answer"}, {"id", id}, {"status", status}, {"value", value}}, text);
  } catch (const std::exception&) {
    // The runner is gone; the call's loop finds out from the answers pipe and says how.
  }
}

void ProcessInstance::join_service_threads() {
  for (auto& t : service_threads_) t.join();
  service_threads_.clear();
}

CallResult ProcessInstance::lost(const std::string& cause, const std::string& what_happened,
                                 mb_status status) {
  std::string message = who() + " " + what_happened;
  if (process_) {
    process_->kill_now();
    process_->wait_for_exit(milliseconds(5000));
    join_service_threads();  // before the pipes close: they write to them
    process_->close_pipes();
    process_->join_output();  // so the last lines are complete
    auto output = process_->last_output();
    process_.reset();
    if (!output.empty()) message += "; its last output: \"" + output.back() + "\"";
  }
  created_ = false;
  record_runner_failure(target_.instance, cause);
  message += "; the next call starts a new runner";
  get_logger(target_.instance)->error("{}", message);
  return {status, message, /*lost=*/true};
}

void ProcessInstance::shut_down_runner() {
  if (!process_) return;
  if (created_) {
    CallResult r =
        send_and_wait("destroy", nullptr, {}, std::max<int64_t>(config_.cancel_grace_ms, 1000));
    if (!r.ok()) get_logger(target_.instance)->warn("destroy: {}", r.text);
    created_ = false;
  }
  if (!process_) return;  // lost during destroy
  join_service_threads();
  process_->close_pipes();
  if (!process_->wait_for_exit(milliseconds(std::max<int64_t>(config_.cancel_grace_ms, 1000)))) {
    process_->kill_now();
    process_->wait_for_exit(milliseconds(5000));
  }
  process_.reset();
}

}  // namespace meterbridge::host
