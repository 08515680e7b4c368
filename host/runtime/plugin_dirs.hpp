// Where the host looks for plugins when the config names no plugin_dirs.
#pragma once

#include <filesystem>
#include <vector>

namespace meterbridge::host {

// <dir of the meterbridge executable>/<relative plugin dir>, for the build tree
// (bin/ -> lib/meterbridge/plugins) and for an installed prefix (bin/ ->
// <libdir>/meterbridge/plugins). Only directories that exist are returned.
std::vector<std::filesystem::path> default_plugin_dirs();

}  // namespace meterbridge::host
