// The operator's configuration: one JSON file. Format described in README.md ("Config").
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
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

// A time that recurs: every day, every week on a weekday, or every month on a day (29-31 clamp
// to the month's last day), at a local time in the config's time zone. The config form is
// {"every": "day"|"week"|"month", "at": "HH:MM", "weekday": "monday", "day": 31}.
struct Recurrence {
  enum class Every { day = 1, week, month };  // zero is never a valid value
  Every every = Every::day;
  int32_t at_minute = 0;     // minutes after local midnight, 0..1439
  int32_t weekday = 1;       // week: 0 Sunday .. 6 Saturday
  int32_t day_of_month = 1;  // month: 1..31
};

// schedule.collect: every enabled source once a day, for the day that just ended and today.
struct CollectSchedule {
  bool enabled = true;
  int32_t at_minute = 30;      // 00:30 local
  int32_t jitter_minutes = 5;  // a random delay up to this, so that MSPs do not all call at once
  int32_t catch_up_days = 31;  // after downtime, missed days collected (from past-day sources)
  int32_t retry_first_minutes = 5;  // a failed source is retried within the day, doubling
  int32_t retry_max_minutes = 60;
};

// schedule.sync: each company on its billing day, and optionally every day.
struct SyncSchedule {
  bool enabled = true;
  int32_t at_minute = 120;  // 02:00 local, after the collect
  bool daily = false;       // also sync the running period every day (increases reach the PSA)
};

struct ScheduleConfig {
  CollectSchedule collect;
  SyncSchedule sync;
  int32_t shutdown_timeout_seconds = 30;  // SIGTERM: cancel, then exit after this at the latest
  int32_t lock_wait_seconds = 600;        // a job waits this long for a CLI sync's writer lock
};

// service: the health and metrics endpoint of `meterbridge serve`.
struct ServiceConfig {
  std::string listen = "127.0.0.1:9477";  // "HOST:PORT"; empty: no endpoint
};

// summaries: what goes to the PSA besides billing (Trend Micro Remote Manager's notifications).
// A kind without a recurrence is not sent. detection: the email-security detection counts of
// the period that ended (a day, the 7 days, or the calendar month before the send day);
// executive: the month before, with usage, billing and detections. A company may have its own
// recurrence or none ("off") for either kind.
struct CompanySummaries {
  std::optional<std::optional<Recurrence>> detection;  // absent: the global; nullopt inside: off
  std::optional<std::optional<Recurrence>> executive;
};
struct SummariesConfig {
  std::optional<Recurrence> detection;
  std::optional<Recurrence> executive;
  std::map<std::string, CompanySummaries> companies;  // PSA company id -> its own
  // The recurrence of a kind ("detection" or "executive") for a company; nullopt: not sent.
  std::optional<Recurrence> of(const std::string& kind, const std::string& company) const;
};

// testing: what only tests may turn on. No operator's config has this section.
struct TestingConfig {
  bool allow_test_clock = false;  // honour $METERBRIDGE_TEST_CLOCK / serve --test-clock
};

// One configured plugin instance: plugins.<name>.
// Where an instance's plugin runs. in_process: inside meterbridge, as a loaded library (the
// default, for the bundled plugins). process: in its own meterbridge-runner, so a crash, hang
// or leak of the plugin fails that instance's call, never meterbridge.
enum class Isolation { in_process = 1, process = 2 };

// "runner": how an instance under isolation "process" is run and limited.
struct RunnerConfig {
  std::filesystem::path executable;   // empty: meterbridge-runner beside meterbridge
  int64_t call_timeout_ms = 600'000;  // one hook call; then cancellation is asked
  int64_t cancel_grace_ms = 10'000;   // after that, SIGKILL
  int64_t memory_mb = 0;              // resident memory limit; 0: none
  int64_t cpu_seconds = 0;            // RLIMIT_CPU of the runner; 0: none
};

struct InstanceConfig {
  std::string name;  // the instance id: log lines, state table and reports use it
  bool enabled = false;
  std::string plugin;  // the plugin id, e.g. "sophos-central"
  nlohmann::json settings = nlohmann::json::object();
  Isolation isolation = Isolation::in_process;
  RunnerConfig runner;
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
  ScheduleConfig schedule;
  ServiceConfig service;
  TestingConfig testing;
  SummariesConfig summaries;
  std::vector<InstanceConfig> plugins;  // sorted by name

  const InstanceConfig* find_instance(const std::string& name) const;
};

// Reads a recurrence ({"every", "at", "weekday", "day"}) at `pointer`; throws ConfigError.
Recurrence parse_recurrence(const nlohmann::json& value, const std::string& pointer,
                            const std::filesystem::path& file);
// "HH:MM" (00:00..23:59) as minutes after midnight, else nullopt.
std::optional<int32_t> parse_time_of_day(const std::string& text);

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
