// `meterbridge psa verify | agreements | catalog search|add|edit`: the operator's questions to a
// sink's PSA (the vendors' Verify button, the agreement picker with its Default, the catalog
// search and "Add product to PSA"), answered by the sink plugin's own operations.
#pragma once

#include <string>
#include <vector>

#include "cli/command_line.hpp"

namespace meterbridge::host {

bool is_psa_sink_subcommand(const std::string& sub);
int run_psa_sink_command(CommandContext& context, const std::string& sub,
                         std::vector<std::string> args);

}  // namespace meterbridge::host
