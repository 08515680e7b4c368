// Helpers shared by the loader test files.
#pragma once

#include <filesystem>
#include <string>

#include "loader/plugin_loader.hpp"

inline std::filesystem::path fixture_dir(const std::string& name) {
  return std::filesystem::path(FIXTURE_ROOT) / name;
}

// Loads the good fixture next to the named one, without pinning so ASan sees every unload.
inline meterbridge::host::LoadReport load_with_ok(const std::string& name) {
  meterbridge::host::LoaderOptions options;
  options.pin_libraries = false;
  return meterbridge::host::load_plugins({fixture_dir("ok"), fixture_dir(name)}, options);
}

inline bool has_plugin(const meterbridge::host::LoadReport& r, const std::string& id) {
  for (const auto& p : r.plugins) {
    if (p->id() == id) return true;
  }
  return false;
}
