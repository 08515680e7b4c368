// `meterbridge plugins list|check`.
#pragma once

#include "cli/command_line.hpp"

namespace meterbridge::host {

int run_plugins_command(CommandContext& context);

}  // namespace meterbridge::host
