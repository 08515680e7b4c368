// One meterbridge-runner child process: started with the runner protocol's pipe pair on its
// fds 3 and 4, stdin from /dev/null, stdout and stderr into a pipe the host reads line by line
// and logs (redacted) under the instance's name. The child gets a short allow-list of the
// host's environment (never the variables that hold secrets), its own process group (a
// terminal's Ctrl-C reaches the host, which stops it in order), RLIMIT_CPU when asked, and
// SIGKILL when the host thread that started it dies.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace meterbridge::host {

struct RunnerSpawn {
  std::filesystem::path executable;
  std::vector<std::string> args;  // after argv[0]
  std::string log_name;           // the logger its output goes to (the instance id)
  int64_t cpu_seconds = 0;        // 0: no limit
};

class RunnerProcess {
 public:
  // Throws std::runtime_error when the process cannot be started (pipes, fork).
  explicit RunnerProcess(const RunnerSpawn& spawn);
  ~RunnerProcess();  // kills the whole process group if it still runs, reaps, joins the reader
  RunnerProcess(const RunnerProcess&) = delete;
  RunnerProcess& operator=(const RunnerProcess&) = delete;

  pid_t pid() const { return pid_; }
  int calls_fd() const { return calls_fd_; }      // host writes
  int answers_fd() const { return answers_fd_; }  // host reads

  // Closes the host's ends of the pipe pair: a healthy runner destroys and exits.
  void close_pipes();
  void kill_now();
  // Waits up to max_wait for the process to end; true when it has (and is reaped).
  bool wait_for_exit(std::chrono::milliseconds max_wait);
  // How it ended, for people: "was killed by signal 11 (SIGSEGV)", "exited with code 3";
  // "is still running" before it ended.
  std::string how_it_ended() const;
  bool killed_by_signal(int signal) const;
  // Its resident memory now (VmRSS), in MiB; nullopt when it cannot be read.
  std::optional<int64_t> resident_mb() const;
  // Waits until everything it printed is read (call once it has ended).
  void join_output();
  // The last lines it printed (redacted), oldest first, for error messages.
  std::vector<std::string> last_output() const;

 private:
  void read_output(int fd);

  pid_t pid_ = -1;
  int calls_fd_ = -1, answers_fd_ = -1;
  std::optional<int> wait_status_;
  std::thread reader_;
  std::string log_name_;
  mutable std::mutex output_mutex_;
  std::deque<std::string> last_output_;
};

}  // namespace meterbridge::host
