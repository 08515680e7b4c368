// Global options and command dispatch for `meterbridge` (Boost.Program_options).
// Global options may stand before or after the command words; every command has --help.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace meterbridge::host {

struct GlobalOptions {
  std::optional<std::filesystem::path> config_file;  // --config, else $METERBRIDGE_CONFIG
  std::optional<std::filesystem::path> data_dir;     // --data-dir overrides the config's
  std::string log_level;                             // --log-level (empty: config, then info)
  std::string log_format;                            // --log-format (empty: config, then text)
};

// What a command gets: the global options, its own arguments, and the config on demand.
class CommandContext {
 public:
  CommandContext(GlobalOptions global, std::vector<std::string> args);
  const GlobalOptions& global() const { return global_; }
  const std::vector<std::string>& args() const { return args_; }
  // The config named by --config or $METERBRIDGE_CONFIG; throws ConfigError when there is none
  // or it is wrong. Also applies the config's log settings unless the command line set them.
  const Config& config();
  // Like config(), but a missing --config gives built-in defaults instead of an error.
  const Config& config_or_defaults();
  // The data directory: --data-dir, else the config's data_dir, else the default.
  std::filesystem::path data_dir();

 private:
  GlobalOptions global_;
  std::vector<std::string> args_;
  std::optional<Config> config_;
};

// Runs the CLI; returns the process exit code (cli/exit_codes.hpp).
int run_command_line(int argc, const char* const* argv);

}  // namespace meterbridge::host
