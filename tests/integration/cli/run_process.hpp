// Runs the meterbridge executable as a child process and captures what it printed.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

ProcessResult run_meterbridge(const std::vector<std::string>& args,
                              const std::vector<std::string>& env = {});

// Starts meterbridge without waiting (stdout and stderr into the files, stdin /dev/null); the
// caller waits for, or kills, the returned process.
pid_t start_meterbridge(const std::vector<std::string>& args, const std::vector<std::string>& env,
                        const std::filesystem::path& out_file,
                        const std::filesystem::path& err_file);

// A fresh directory under the system temp directory for one test.
std::filesystem::path fresh_dir(const std::string& name);

// Writes text to path (creating parent directories).
void write_file(const std::filesystem::path& path, const std::string& text);
