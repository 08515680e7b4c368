// `meterbridge collect` and `meterbridge discover`: sources (and sinks) into the store.
#pragma once

#include "cli/command_line.hpp"

namespace meterbridge::host {

int run_collect_command(CommandContext& context);
int run_discover_command(CommandContext& context);

}  // namespace meterbridge::host
