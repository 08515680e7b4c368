// Discovers plugins through their manifests, loads and negotiates each, and keeps going after
// every refusal: one broken plugin never stops the others.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "loader/plugin_module.hpp"

namespace meterbridge::host {

struct Refusal {
  std::filesystem::path file;  // the manifest (or directory) refused
  std::string plugin_id;       // empty when unknown
  std::string reason;
  std::string message() const { return reason; }
};

struct LoadReport {
  std::vector<std::shared_ptr<PluginModule>> plugins;
  std::vector<Refusal> refusals;
};

// Loads every *.plugin.json of each directory (sorted, not recursive), in directory order.
// All loads run on the calling thread.
LoadReport load_plugins(const std::vector<std::filesystem::path>& plugin_dirs,
                        const LoaderOptions& options = {});

}  // namespace meterbridge::host
