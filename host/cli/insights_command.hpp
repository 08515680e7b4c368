// `meterbridge insights`: what the operator should act on, with the resolving command.
#pragma once

#include "cli/command_line.hpp"

namespace meterbridge::host {

int run_insights_command(CommandContext& context);

}  // namespace meterbridge::host
