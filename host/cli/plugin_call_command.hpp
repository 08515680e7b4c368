// `meterbridge plugins call INSTANCE OP [--request JSON]`: one operation of a plugin instance,
// its answer printed; how an operator reaches a plugin's extra operations.
#pragma once

#include "cli/command_line.hpp"

namespace meterbridge::host {

int run_plugin_call_command(CommandContext& context);

}  // namespace meterbridge::host
