// `meterbridge resolve-duplicates`: removes the extra PSA lines meterbridge created for one
// company line (found and journaled by a sync), through the sink, journaled.
#pragma once

#include "cli/command_line.hpp"

namespace meterbridge::host {

int run_resolve_duplicates_command(CommandContext& context);

}  // namespace meterbridge::host
