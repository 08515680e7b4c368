#include "runtime/plugin_dirs.hpp"

#include <algorithm>
#include <system_error>

namespace meterbridge::host {

std::vector<std::filesystem::path> default_plugin_dirs() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  std::vector<std::filesystem::path> dirs;
  // Both relative paths are fixed at build time by CMake (host/runtime/CMakeLists.txt).
  for (const char* rel : {METERBRIDGE_BUILD_PLUGIN_RELDIR, METERBRIDGE_INSTALL_PLUGIN_RELDIR}) {
    std::filesystem::path dir = (exe.parent_path() / rel).lexically_normal();
    if (std::filesystem::is_directory(dir, ec) &&
        std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
      dirs.push_back(dir);
    }
  }
  return dirs;
}

}  // namespace meterbridge::host
