// `meterbridge plan`, `report reconcile`, `journal` and `approve`: the billing engine's results
// and the operator's approvals.
#pragma once

#include "cli/command_line.hpp"

namespace meterbridge::host {

int run_plan_command(CommandContext& context);
int run_report_command(CommandContext& context);
int run_journal_command(CommandContext& context);
int run_approve_command(CommandContext& context);

}  // namespace meterbridge::host
