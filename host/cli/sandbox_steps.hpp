// What every `meterbridge sandbox` scenario shares: the work directory, private files, finding
// the emulators, running meterbridge steps as an operator would, confirming clear suggestions,
// and counting the API calls each emulator answered.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "sandbox/child_process.hpp"

namespace meterbridge::host::sandbox_steps {

namespace fs = std::filesystem;

// GET url (an emulator's /_emulator/... control endpoint, which needs no credentials) as JSON.
nlohmann::json request_json(const std::string& url);
// Writes text to file, readable by the owner only (seeds and secrets).
void write_private_file(const fs::path& file, const std::string& text);
// The first dirs/name that exists, or an error saying how to build it.
fs::path find_emulator(const std::vector<fs::path>& dirs, const std::string& name);
// Where to look for emulators: --emulators, $METERBRIDGE_EMULATOR_DIR, beside meterbridge, and
// <prefix>/libexec/meterbridge.
std::vector<fs::path> emulator_dirs(const boost::program_options::variables_map& vm);
// --dir (empty or absent) or a new temporary directory.
fs::path make_work_dir(const boost::program_options::variables_map& vm);

// The scenario's config as written: with --isolation process every plugin instance runs in a
// meterbridge-runner (README, "Isolation").
nlohmann::json with_isolation(nlohmann::json config, bool isolated);

// Runs `meterbridge --config <config> args...`, showing it like a terminal would.
class Sandbox {
 public:
  explicit Sandbox(fs::path config) : config_(std::move(config)) {}
  sandbox::StepResult step(const std::vector<std::string>& args, bool capture = false);

 private:
  fs::path config_;
};

// A suggestion at least this close, and clearly ahead of the runner-up, is confirmed by the
// sandbox the way an operator would confirm it with `meterbridge map customer`.
inline constexpr double kConfirmScore = 0.80;

// Confirms the clear suggestions of `map suggest` (the best candidate at kConfirmScore or more
// and 0.05 ahead of the next). Returns how many customers were linked.
int confirm_suggestions(Sandbox& sb);

struct CallCount {
  std::map<std::string, int> by_endpoint;
  int total = 0;
  int writes = 0;  // the PSA's non-GET calls (a vendor's token POST writes nothing)
};

struct EmulatorLog {
  std::string name;
  std::string url;
  bool psa = false;
};

// The calls each emulator answered since `seen` (per emulator), by endpoint; updates seen.
CallCount calls_since(const std::vector<EmulatorLog>& emulators,
                      std::map<std::string, size_t>& seen);
void print_calls(const std::string& title, const CallCount& c, std::chrono::milliseconds wall);

}  // namespace meterbridge::host::sandbox_steps
