// The processes the sandbox starts: the API emulators (long-running, their base URL read from
// the first line of their stdout) and meterbridge itself for each step of the demo, so every
// step is exactly the command a user would type.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace meterbridge::host::sandbox {

// A running emulator. Its stdout and stderr go to files in `log_dir`, so it can outlive the
// sandbox (--keep) without writing into a closed pipe.
class EmulatorChild {
 public:
  // Starts `exe --listen 127.0.0.1:0 --seed seed` and waits (up to 30 s) for its base URL.
  // detached: in its own session, so that it survives the terminal that started the sandbox.
  // Throws std::runtime_error naming the emulator and its log when it does not come up.
  EmulatorChild(const std::filesystem::path& exe, const std::filesystem::path& seed,
                const std::filesystem::path& log_dir, bool detached);
  ~EmulatorChild();
  EmulatorChild(const EmulatorChild&) = delete;
  EmulatorChild& operator=(const EmulatorChild&) = delete;

  const std::string& url() const { return url_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& log_file() const { return log_; }
  // SIGTERM and wait; the emulator exits 0 on SIGTERM.
  void stop();
  // Leaves the emulator running when this object goes.
  void release() { pid_ = -1; }

 private:
  std::string name_;
  pid_t pid_ = -1;
  std::string url_;
  std::filesystem::path log_;
};

struct StepResult {
  int exit_code = -1;
  std::string out;  // stdout, when captured
  std::chrono::milliseconds wall{0};
};

// Runs this meterbridge executable with args, stdout captured or passed through, stderr
// passed through, and waits for it.
StepResult run_self(const std::vector<std::string>& args, bool capture);

}  // namespace meterbridge::host::sandbox
