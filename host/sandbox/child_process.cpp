#include "sandbox/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace meterbridge::host::sandbox {
namespace fs = std::filesystem;

namespace {

std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

EmulatorChild::EmulatorChild(const fs::path& exe, const fs::path& seed, const fs::path& log_dir,
                             bool detached)
    : name_(exe.filename().string()), log_(log_dir / (exe.filename().string() + ".log")) {
  const fs::path out_file = log_dir / (name_ + ".url");
  std::vector<std::string> args = {exe.string(), "--listen", "127.0.0.1:0", "--seed",
                                   seed.string()};
  auto argv = argv_of(args);
  // fork + exec rather than posix_spawn: a child that is not detached asks the kernel to
  // SIGTERM it when the sandbox dies, however it dies (Ctrl-C, a closed pipe, SIGKILL).
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("cannot start " + exe.string() + ": fork failed");
  if (pid_ == 0) {
    if (detached) {
      setsid();
    } else {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(127);  // the sandbox died before prctl took effect
    }
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  // The first line of its stdout is the base URL; anything else means it did not come up.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(out_file);
    std::string line;
    if (std::getline(in, line) && !in.eof()) {
      url_ = line;
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(name_ + " exited before serving; see " + log_.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  throw std::runtime_error(name_ + " printed no base URL within 30 s; see " + log_.string());
}

EmulatorChild::~EmulatorChild() {
  stop();
}

void EmulatorChild::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  wait_exit_code(pid_);
  pid_ = -1;
}

StepResult run_self(const std::vector<std::string>& args, bool capture) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the meterbridge executable (/proc/self/exe)");
  std::vector<std::string> all = {self.string()};
  all.insert(all.end(), args.begin(), args.end());
  auto argv = argv_of(all);

  std::cout.flush();
  int fds[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (capture) {
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
  }
  StepResult r;
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (capture) close(fds[1]);
  if (rc != 0) {
    if (capture) close(fds[0]);
    throw std::runtime_error("cannot run " + self.string() + ": " + std::strerror(rc));
  }
  if (capture) {
    char buf[65536];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) != 0) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      r.out.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
  }
  r.exit_code = wait_exit_code(pid);
  r.wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  return r;
}

}  // namespace meterbridge::host::sandbox
