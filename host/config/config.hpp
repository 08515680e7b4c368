// The operator's configuration: one JSON file. Format described in README.md ("Config").
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace meterbridge::host {

// A config problem: which file, where in it (JSON pointer), what was expected and found.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::filesystem::path file, std::string pointer, std::string what_went_wrong);
  const std::filesystem::path& file() const noexcept { return file_; }
  const std::string& pointer() const noexcept { return pointer_; }

 private:
  std::filesystem::path file_;
  std::string pointer_;
};

struct HttpConfig {
  int64_t timeout_ms = 30000;
  int64_t connect_timeout_ms = 10000;
  int32_t max_attempts = 4;
  int64_t max_backoff_ms = 30000;
  std::filesystem::path ca_file;  // empty: the system's CA store
  bool allow_insecure = false;    // plain http:// also to non-loopback hosts
};

// How a sync treats a failing PSA.
struct SyncConfig {
  // A create whose outcome is unknown (no answer) is not sent again for this long: the PSA may
  // still be writing it. 0: four times http.timeout_ms.
  int64_t pending_grace_ms = 0;
  // After this many lines in a row fail for a run-wide reason (transient, rate-limited, auth,
  // no answer), the run stops writing to that sink; the rest are `not-attempted`.
  int32_t stop_after_failures = 5;
};

// One configured plugin instance: plugins.<name>.
struct InstanceConfig {
  std::string name;  // the instance id: log lines, state table and reports use it
  bool enabled = false;
  std::string plugin;  // the plugin id, e.g. "sophos-central"
  nlohmann::json settings = nlohmann::json::object();
};

struct Config {
  std::filesystem::path file;      // where it was read from (empty for built-in defaults)
  std::filesystem::path base_dir;  // relative paths in the file are relative to this
  int32_t config_version = 1;
  std::vector<std::filesystem::path> plugin_dirs;  // empty: the host's default directories
  std::filesystem::path data_dir;                  // empty: the default data directory
  std::filesystem::path store_file;                // empty: <data_dir>/billing.sqlite3
  std::string timezone = "UTC";                    // IANA name, checked against tzdata
  std::string log_level;                           // empty: CLI default
  std::string log_format;                          // empty: CLI default
  HttpConfig http;
  SyncConfig sync;
  std::vector<InstanceConfig> plugins;  // sorted by name

  const InstanceConfig* find_instance(const std::string& name) const;
};

// Reads and checks a config file. Throws ConfigError naming the file and the JSON pointer.
Config load_config(const std::filesystem::path& file);

// Parses and checks the text of a config file (what load_config read); file is used for
// messages and relative paths. Throws ConfigError.
Config parse_config_text(const std::string& text, const std::filesystem::path& file);

// Checks an already parsed document; file is used for messages and relative paths.
Config parse_config(const nlohmann::json& document, const std::filesystem::path& file);

// The default data directory: $XDG_STATE_HOME/meterbridge, else ~/.local/state/meterbridge.
std::filesystem::path default_data_dir();

}  // namespace meterbridge::host
