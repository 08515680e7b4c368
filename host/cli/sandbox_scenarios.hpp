// The `meterbridge sandbox` scenarios: each starts its API emulators on loopback with embedded
// demo data, writes a config in its directory and runs the whole billing path as an operator
// would. Each returns the process exit code (0: every step worked and the second sync wrote
// nothing).
#pragma once

#include <filesystem>
#include <vector>

namespace meterbridge::host {

struct ScenarioOptions {
  bool keep = false;          // leave the emulators running and the directory
  std::filesystem::path dir;  // the scenario's own, empty directory
  bool dir_given = false;     // --dir: never remove it
  std::vector<std::filesystem::path> emulator_dirs;  // where the emulator executables are
  bool serve = false;     // --serve: then run `meterbridge serve` on the same config and emulators
  bool isolated = false;  // --isolation process: every instance in a meterbridge-runner
};

// --serve: runs `meterbridge serve` on a scenario's config with a fast test clock until its
// scheduled sync finished, shows /metrics and `meterbridge status`, stops it with SIGTERM.
// True when the collect and sync ran and the service exited 0.
bool run_serve_demo(const std::filesystem::path& config_file);

// Sophos Central to ConnectWise Manage (the default).
int run_sophos_connectwise(const ScenarioOptions& options);
// Kaseya modules (Datto RMM, Datto BCDR and SaaS Protection, a module export) to Autotask.
int run_kaseya_autotask(const ScenarioOptions& options);
// Trend Micro Remote Manager to ConnectWise Manage: Verify, agreements per product, billing
// days, Send now, summaries.
int run_trendmicro_connectwise(const ScenarioOptions& options);

}  // namespace meterbridge::host
