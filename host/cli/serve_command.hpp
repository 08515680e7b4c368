// `meterbridge serve`: the headless service (scheduler, health and metrics endpoint, signals),
// and `meterbridge status`: what the service and the store say about the schedule.
#pragma once

#include "cli/command_line.hpp"

namespace meterbridge::host {

int run_serve_command(CommandContext& context);
int run_status_command(CommandContext& context);

}  // namespace meterbridge::host
