// `meterbridge map auto`: links vendor customers to PSA companies by the source's psa_hint,
// then by exact normalised name (see map_auto_command.cpp).
#pragma once

#include <string>
#include <vector>

#include "cli/command_line.hpp"

namespace meterbridge::host {

int run_map_auto(CommandContext& context, const std::vector<std::string>& args);

}  // namespace meterbridge::host
