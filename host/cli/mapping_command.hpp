// `meterbridge map ...`, `meterbridge psa ...` and `meterbridge billing ...`: what is billed
// where, and when.
#pragma once

#include "cli/command_line.hpp"

namespace meterbridge::host {

int run_map_command(CommandContext& context);
int run_psa_command(CommandContext& context);
int run_billing_settings_command(CommandContext& context);

}  // namespace meterbridge::host
