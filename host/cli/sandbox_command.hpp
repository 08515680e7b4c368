// `meterbridge sandbox`: the whole Sophos Central to ConnectWise Manage path on embedded demo
// data, against the API emulators started on loopback; no account or config needed.
#pragma once

#include "cli/command_line.hpp"

namespace meterbridge::host {

int run_sandbox_command(CommandContext& context);

}  // namespace meterbridge::host
