// A billing scenario on disk for CLI tests: a file-drop folder, a ledger sink file, a config
// that names both, and helpers to run meterbridge against it as a user would.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../cli/run_process.hpp"

struct BillingScenario {
  explicit BillingScenario(const std::string& name, const std::string& sink_extra = "");

  // Rewrites the config (e.g. to change the sink's fault settings between runs).
  // sync: the config's "sync" object (pending_grace_ms, stop_after_failures), if any.
  void write_config(const std::string& sink_extra, const nlohmann::json& sync = nullptr);
  // Writes a CSV export into the drop folder (header added).
  void drop_csv(const std::string& file, const std::vector<std::string>& rows);
  ProcessResult run(std::vector<std::string> args) const;
  // Runs and parses stdout as JSON; fails the test when the exit code is not expected.
  nlohmann::json run_json(std::vector<std::string> args, int expected_exit = 0) const;
  nlohmann::json ledger() const;

  std::filesystem::path dir, drop, ledger_file, config;
};
