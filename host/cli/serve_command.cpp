#include "cli/serve_command.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <thread>

#include <spdlog/spdlog.h>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "service/health_server.hpp"
#include "service/scheduler.hpp"
#include "services/host_clock.hpp"
#include "systemd/systemd_notify.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;

namespace {

// Signals are taken by one thread with sigwait, so that no handler runs in the middle of a
// job: SIGTERM and SIGINT stop, SIGHUP reloads the config.
void block_service_signals(sigset_t& set) {
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void watch_signals(sigset_t set, service::Scheduler& scheduler, std::filesystem::path config_file,
                   int32_t shutdown_timeout_seconds, std::atomic<bool>& done) {
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      systemd::notify_reloading();
      try {
        Config next = load_config(config_file);
        if (test_clock() && !next.testing.allow_test_clock)
          throw ConfigError(config_file, "/testing/allow_test_clock",
                            "the running test clock needs it; a test clock is for tests only");
        scheduler.reload(std::move(next));
        spdlog::info("serve: SIGHUP: {} read; it applies from the next job", config_file.string());
      } catch (const std::exception& e) {
        spdlog::error("serve: SIGHUP: the config stays as it was: {}", e.what());
      }
      systemd::notify_ready();
      continue;
    }
    spdlog::info("serve: {} received: stopping (cancelling the running job, at most {} s)",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT", shutdown_timeout_seconds);
    systemd::notify_stopping();
    scheduler.stop();
    // The bound on shutdown: a plugin that ignores cancellation does not keep the service up.
    // Every write so far is journaled (intent before, outcome after), so exiting here leaves
    // the store as consistent as a crash would, which the next run recovers from.
    for (int i = 0; i < shutdown_timeout_seconds * 10 && !done.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!done.load()) {
      spdlog::error("serve: the running job did not stop within {} s; exiting anyway",
                    shutdown_timeout_seconds);
      spdlog::shutdown();
      std::_Exit(kExitOk);
    }
    return;
  }
}

}  // namespace

int run_serve_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge serve`");
  options.add_options()("listen", po::value<std::string>()->value_name("HOST:PORT"),
                        "health and metrics address (default: the config's service.listen, "
                        "127.0.0.1:9477); \"\" for none")(
      "test-clock", po::value<std::string>()->value_name("SPEC"),
      "tests only (needs testing.allow_test_clock in the config): "
      "START[,speed=N][,jump][,until=END], e.g. "
      "2026-11-01T00:00:00Z,jump,until=2026-12-01T00:00:00Z");
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout << "Usage: meterbridge --config PATH serve [--listen HOST:PORT]\n\n"
                 "Runs in the foreground until SIGTERM or SIGINT: collects every enabled source\n"
                 "once a day (schedule.collect.at, default 00:30 in the config's time zone) and\n"
                 "syncs each company on its billing day (schedule.sync.at, default 02:00; every\n"
                 "day with schedule.sync.daily). Missed slots run once after downtime. SIGHUP\n"
                 "re-reads the config. /healthz, /readyz, /metrics and /status answer on the\n"
                 "listen address. See README \"Operate it\".\n\n"
              << options;
    return kExitOk;
  }
  const Config& config = context.config();
  if (p.vm.count("test-clock")) {
    if (!config.testing.allow_test_clock) {
      throw ConfigError(config.file, "/testing/allow_test_clock",
                        "--test-clock is for tests only, and this config does not allow it");
    }
    try {
      install_test_clock(parse_test_clock(p.vm["test-clock"].as<std::string>()));
    } catch (const std::invalid_argument& e) {
      usage_error(std::string("--test-clock: ") + e.what());
    }
  }
  std::string listen =
      p.vm.count("listen") ? p.vm["listen"].as<std::string>() : config.service.listen;

  sigset_t signals;
  block_service_signals(signals);  // before any thread starts, so that every thread inherits it
  service::Scheduler scheduler(config, {context.data_dir(), store_path(context)});
  std::unique_ptr<service::HealthServer> server;
  if (!listen.empty()) {
    try {
      server = std::make_unique<service::HealthServer>(
          listen, service::HealthServer::Handlers{[&scheduler] { return scheduler.status(); }});
      server->start();
    } catch (const std::invalid_argument& e) {
      usage_error(std::string("--listen / service.listen: ") + e.what());
    } catch (const std::exception& e) {
      std::cerr << "meterbridge serve: " << e.what() << '\n';
      return kExitFailure;
    }
    spdlog::info("serve: health and metrics on http://{}:{}/ (healthz, readyz, metrics, status)",
                 server->address().host, server->port());
  }
  if (auto interval = systemd::watchdog_interval()) {
    auto last = std::make_shared<std::chrono::steady_clock::time_point>();
    scheduler.set_tick([interval = *interval, last] {
      auto now = std::chrono::steady_clock::now();
      if (now - *last >= interval / 2) {
        systemd::notify_watchdog();
        *last = now;
      }
    });
  }
  std::atomic<bool> done{false};
  std::thread signal_thread(watch_signals, signals, std::ref(scheduler), config.file,
                            config.schedule.shutdown_timeout_seconds, std::ref(done));
  signal_thread.detach();
  systemd::notify_ready();
  int code = kExitOk;
  try {
    scheduler.run();
  } catch (const std::exception& e) {
    std::cerr << "meterbridge serve: " << e.what() << '\n';
    code = kExitFailure;
  }
  done.store(true);
  if (server) server->stop();
  return code;
}

}  // namespace meterbridge::host
