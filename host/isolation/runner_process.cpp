#include "isolation/runner_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "isolation/runner_protocol.hpp"
#include "services/logging.hpp"
#include "services/redactor.hpp"

extern char** environ;

namespace meterbridge::host {
namespace {

// What the runner may see of the host's environment: locale, zone, temp directory and the
// sanitizer switches of a test build. Credentials referenced as ${env:...} stay in the host.
bool passed_to_runner(std::string_view entry) {
  static const char* const kNames[] = {"PATH",        "LANG",   "LC_ALL",       "LC_CTYPE",
                                       "TZ",          "TMPDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS",
                                       "LSAN_OPTIONS"};
  for (const char* name : kNames) {
    const size_t n = std::strlen(name);
    if (entry.size() > n && entry.compare(0, n, name) == 0 && entry[n] == '=') return true;
  }
  return false;
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

constexpr size_t kKeptLines = 5;

}  // namespace

RunnerProcess::RunnerProcess(const RunnerSpawn& spawn) : log_name_(spawn.log_name) {
  int calls[2], answers[2], output[2];
  if (pipe2(calls, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (pipe2(answers, O_CLOEXEC) != 0) {
    ::close(calls[0]);
    ::close(calls[1]);
    throw std::runtime_error("pipe failed");
  }
  if (pipe2(output, O_CLOEXEC) != 0) {
    for (int fd : {calls[0], calls[1], answers[0], answers[1]}) ::close(fd);
    throw std::runtime_error("pipe failed");
  }
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::string exe = spawn.executable.string();
  std::vector<std::string> arg_text{exe};
  arg_text.insert(arg_text.end(), spawn.args.begin(), spawn.args.end());
  std::vector<char*> argv;
  for (auto& a : arg_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; e && *e; ++e) {
    if (passed_to_runner(*e)) envp.push_back(*e);
  }
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  const rlim_t cpu = static_cast<rlim_t>(spawn.cpu_seconds);

  pid_ = fork();
  if (pid_ < 0) {
    for (int fd : {calls[0], calls[1], answers[0], answers[1], output[0], output[1]}) ::close(fd);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(125);
    setpgid(0, 0);
    // Move the three ends above every target fd first, so no dup2 overwrites another.
    int in = fcntl(calls[0], F_DUPFD, 10);
    int out = fcntl(answers[1], F_DUPFD, 10);
    int err = fcntl(output[1], F_DUPFD, 10);
    int null = ::open("/dev/null", O_RDONLY);
    if (in < 0 || out < 0 || err < 0 || null < 0) _exit(126);
    dup2(null, STDIN_FILENO);
    dup2(err, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    dup2(in, runner::kCallsFd);
    dup2(out, runner::kAnswersFd);
    close_range(runner::kAnswersFd + 1, ~0U, 0);
    if (cpu > 0) {
      // Soft limit: SIGXCPU (named in the error); the hard limit a second later kills for sure.
      rlimit limit{cpu, cpu + 1};
      setrlimit(RLIMIT_CPU, &limit);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  ::close(calls[0]);
  ::close(answers[1]);
  ::close(output[1]);
  calls_fd_ = calls[1];
  answers_fd_ = answers[0];
  const int output_fd = output[0];
  reader_ = std::thread([this, output_fd] { read_output(output_fd); });
}

RunnerProcess::~RunnerProcess() {
  close_pipes();
  if (!wait_status_) {
    kill_now();
    wait_for_exit(std::chrono::milliseconds(5000));
  }
  if (reader_.joinable()) reader_.join();
}

void RunnerProcess::close_pipes() {
  close_fd(calls_fd_);
  close_fd(answers_fd_);
}

void RunnerProcess::kill_now() {
  if (wait_status_ || pid_ <= 0) return;
  // The group: whatever the plugin started goes too (and stops holding the output pipe).
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
}

bool RunnerProcess::wait_for_exit(std::chrono::milliseconds max_wait) {
  if (wait_status_) return true;
  const auto end = std::chrono::steady_clock::now() + max_wait;
  for (;;) {
    siginfo_t info{};
    int r = waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
    if (r == 0 && info.si_pid == pid_) {
      // Still a zombie, so its group id cannot be reused yet: end what the plugin left behind.
      ::kill(-pid_, SIGKILL);
      int status = 0;
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      wait_status_ = status;
      return true;
    }
    if (r < 0 && errno != EINTR) return false;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::string RunnerProcess::how_it_ended() const {
  if (!wait_status_) return "is still running";
  const int s = *wait_status_;
  if (WIFSIGNALED(s)) {
    const int sig = WTERMSIG(s);
    return "was killed by signal " + std::to_string(sig) + " (" + signal_name(sig) + ")";
  }
  if (WIFEXITED(s)) return "exited with code " + std::to_string(WEXITSTATUS(s));
  return "ended (wait status " + std::to_string(s) + ")";
}

bool RunnerProcess::killed_by_signal(int signal) const {
  return wait_status_ && WIFSIGNALED(*wait_status_) && WTERMSIG(*wait_status_) == signal;
}

std::optional<int64_t> RunnerProcess::resident_mb() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) / 1024;  // kB
  }
  return std::nullopt;
}

void RunnerProcess::join_output() {
  if (reader_.joinable()) reader_.join();
}

std::vector<std::string> RunnerProcess::last_output() const {
  std::lock_guard lock(output_mutex_);
  return {last_output_.begin(), last_output_.end()};
}

void RunnerProcess::read_output(int fd) {
  auto logger = get_logger(log_name_);
  std::string pending;
  char chunk[4096];
  auto emit = [&](std::string line) {
    if (line.empty()) return;
    line = Redactor::global().redact(line);
    logger->warn("plugin output: {}", line);
    std::lock_guard lock(output_mutex_);
    last_output_.push_back(std::move(line));
    if (last_output_.size() > kKeptLines) last_output_.pop_front();
  };
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(chunk, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      emit(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
    if (pending.size() > 16384) {  // a line without end: show it in pieces
      emit(pending);
      pending.clear();
    }
  }
  emit(pending);
  ::close(fd);
}

}  // namespace meterbridge::host
