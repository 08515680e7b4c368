// `meterbridge sandbox --serve`: after a scenario's syncs, the same config run as the service
// would run it. `meterbridge serve` starts on the scenario's emulators with a test clock at 30
// minutes per real second from today's midnight: its 00:30 collect and its 02:00 daily sync run
// within seconds, the sandbox scrapes /metrics and asks `meterbridge status`, and then stops it
// with SIGTERM, as systemd would.
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli/sandbox_scenarios.hpp"
#include "cli/sandbox_steps.hpp"
#include "engine/calendar.hpp"
#include "services/host_clock.hpp"

extern char** environ;

namespace meterbridge::host {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

pid_t spawn_serve(const fs::path& config, const std::string& clock, const fs::path& log) {
  std::error_code ec;
  const std::string exe = fs::read_symlink("/proc/self/exe", ec).string();
  std::vector<std::string> args = {exe,     "--config",     config.string(),
                                   "serve", "--test-clock", clock};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start meterbridge serve");
  return pid;
}

// Waits for one of the needles in the log; "" after the timeout.
std::string wait_for_log(const fs::path& log, const std::vector<std::string>& needles,
                         int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    const std::string text = read_text(log);
    for (const auto& n : needles) {
      if (text.find(n) != std::string::npos) return n;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

}  // namespace

bool run_serve_demo(const fs::path& config_file) {
  // The scenario's config, plus what a test clock needs; the operator's own config never has
  // the testing section (README "Operate it").
  json config = json::parse(read_text(config_file));
  const int port = free_loopback_port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  config["service"] = {{"listen", listen}};
  config["schedule"] = {{"collect", {{"at", "00:30"}, {"jitter_minutes", 0}}},
                        {"sync", {{"at", "02:00"}, {"daily", true}}}};
  config["testing"] = {{"allow_test_clock", true}};
  const fs::path serve_config = config_file.parent_path() / "serve-config.json";
  sandbox_steps::write_private_file(serve_config, config.dump(2));
  const std::string today =
      engine::format_iso_date(engine::today_in_zone(config.value("timezone", "UTC"), host_now()));
  const std::string clock = today + "T00:00:00Z,speed=1800";
  const fs::path log = config_file.parent_path() / "logs" / "serve.log";

  std::cout << "\n== meterbridge --config " << serve_config.string() << " serve --test-clock "
            << clock << "\n(the sandbox's config with a schedule: collect at 00:30, sync daily at "
            << "02:00; the test clock runs 30 minutes per second; log in " << log.string() << ")\n";
  const pid_t pid = spawn_serve(serve_config, clock, log);
  const std::string sync_ok = "sync: slot " + today + " ok";
  const std::string seen = wait_for_log(
      log, {sync_ok, "sync: slot " + today + " failed", "sync: slot " + today + " partial"}, 120);
  bool ok = seen == sync_ok;
  std::cout << (seen.empty() ? "no scheduled sync finished within 120 s" : seen) << '\n';

  httplib::Client http("127.0.0.1", port);
  if (auto metrics = http.Get("/metrics"); metrics && metrics->status == 200) {
    std::cout << "\n== curl http://" << listen << "/metrics  (excerpt)\n";
    std::istringstream lines(metrics->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("meterbridge_job_", 0) == 0 || line.rfind("meterbridge_ready", 0) == 0 ||
          line.rfind("meterbridge_api_calls_total", 0) == 0 ||
          line.rfind("meterbridge_sink_lines", 0) == 0) {
        std::cout << line << '\n';
      }
    }
  } else {
    std::cout << "/metrics did not answer\n";
    ok = false;
  }
  sandbox_steps::Sandbox sb(serve_config);
  sb.step({"status"});

  std::cout << "\n== kill -TERM " << pid << "  (what `systemctl stop meterbridge` sends)\n";
  const auto stop = std::chrono::steady_clock::now();
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stop).count();
  const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::cout << "meterbridge serve " << (clean ? "exited 0" : "did NOT exit cleanly") << " "
            << std::fixed << std::setprecision(2) << seconds << " s after SIGTERM\n";
  return ok && clean;
}

}  // namespace meterbridge::host
