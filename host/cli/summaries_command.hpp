// `meterbridge summaries send|list` and `meterbridge report executive`.
#pragma once

#include "cli/command_line.hpp"

namespace meterbridge::host {

int run_summaries_command(CommandContext& context);
// report executive --company ID --period YYYY-MM [--out FILE] (args after "executive").
int run_executive_report(CommandContext& context, const std::vector<std::string>& args);

}  // namespace meterbridge::host
