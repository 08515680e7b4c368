#include "run_process.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Under `--isolation process` (tests/test_main.cpp) every instance of the config a test hands
// meterbridge runs in a meterbridge-runner, unless the test chose its isolation itself. The file
// is rewritten before meterbridge reads it; one that is not a JSON object with plugins (a test of
// a broken config) stays as it is.
void apply_test_isolation(const std::vector<std::string>& args) {
  const char* isolation = std::getenv("METERBRIDGE_TEST_ISOLATION");
  if (!isolation || std::string(isolation) != "process") return;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] != "--config") continue;
    const std::filesystem::path file = args[i + 1];
    nlohmann::json config = nlohmann::json::parse(slurp(file), nullptr, false);
    if (config.is_discarded() || !config.is_object() || !config.contains("plugins") ||
        !config["plugins"].is_object()) {
      return;
    }
    bool changed = false;
    for (auto& [name, instance] : config["plugins"].items()) {
      if (instance.is_object() && !instance.contains("isolation")) {
        instance["isolation"] = "process";
        changed = true;
      }
    }
    if (changed) std::ofstream(file, std::ios::binary) << config.dump(2);
    return;
  }
}

}  // namespace

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("mb-cli-" + std::to_string(getpid())) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

pid_t start_meterbridge(const std::vector<std::string>& args, const std::vector<std::string>& env,
                        const std::filesystem::path& out_file,
                        const std::filesystem::path& err_file) {
  apply_test_isolation(args);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = open("/dev/null", O_RDONLY);
    dup2(out, 1);
    dup2(err, 2);
    dup2(in, 0);
    for (const auto& kv : env) putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(METERBRIDGE_EXE));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(METERBRIDGE_EXE, argv.data());
    _exit(127);
  }
  return pid;
}

ProcessResult run_meterbridge(const std::vector<std::string>& args,
                              const std::vector<std::string>& env) {
  auto dir = std::filesystem::temp_directory_path() / ("mb-cli-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto out_file = dir / "stdout.txt";
  const auto err_file = dir / "stderr.txt";

  const pid_t pid = start_meterbridge(args, env, out_file, err_file);
  int status = 0;
  waitpid(pid, &status, 0);
  ProcessResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  return r;
}
