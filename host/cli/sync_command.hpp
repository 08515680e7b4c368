// `meterbridge sync` and `meterbridge send-now`: collect what is missing, plan, and reconcile the
// plan into every enabled PSA sink. Send now is the scheduled sync run at once, optionally for one
// customer, so both take exactly the same path (and the same journal).
#pragma once

#include "cli/command_line.hpp"

namespace meterbridge::host {

int run_sync_command(CommandContext& context);
int run_send_now_command(CommandContext& context);

}  // namespace meterbridge::host
