// `meterbridge psa target | targets | adopt`: the operator's explicit target container per
// company (an Autotask contract, a ConnectWise agreement), kept in the billing store and sent
// with every line of that company, and adopting a PSA line meterbridge did not create.
#pragma once

#include <string>
#include <vector>

#include "cli/command_line.hpp"

namespace meterbridge::host {

bool is_psa_target_subcommand(const std::string& sub);
int run_psa_target_command(CommandContext& context, const std::string& sub,
                           std::vector<std::string> args);

}  // namespace meterbridge::host
