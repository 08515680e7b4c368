#include "loader/plugin_loader.hpp"

#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

namespace meterbridge::host {

LoadReport load_plugins(const std::vector<std::filesystem::path>& plugin_dirs,
                        const LoaderOptions& options) {
  LoadReport report;
  std::map<std::string, std::filesystem::path> seen;  // id -> manifest that claimed it first
  auto refuse = [&](std::filesystem::path file, std::string id, std::string reason) {
    spdlog::warn("plugin refused: {}", reason);
    report.refusals.push_back({std::move(file), std::move(id), std::move(reason)});
  };
  for (const auto& dir : plugin_dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      refuse(dir, "", "plugin directory " + dir.string() + " does not exist or is not a directory");
      continue;
    }
    std::vector<std::filesystem::path> manifests;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.size() > 12 && name.compare(name.size() - 12, 12, ".plugin.json") == 0)
        manifests.push_back(entry.path());
    }
    std::sort(manifests.begin(), manifests.end());
    for (const auto& file : manifests) {
      Manifest manifest;
      try {
        manifest = read_manifest(file);
      } catch (const ManifestError& e) {
        refuse(file, "", e.what());
        continue;
      }
      if (auto it = seen.find(manifest.id); it != seen.end()) {
        refuse(file, manifest.id,
               "plugin '" + manifest.id + "' (" + file.string() +
                   "): duplicate id, already provided by " + it->second.string() +
                   "; the first one found is kept");
        continue;
      }
      try {
        report.plugins.push_back(PluginModule::load(manifest, options));
        seen[manifest.id] = file;
      } catch (const LoadError& e) {
        refuse(file, e.plugin_id(), e.what());
      }
    }
  }
  return report;
}

}  // namespace meterbridge::host
