// What the `psa` commands that talk to a sink share: picking the sink instance (--sink or the
// only enabled one), calling a setup operation with the other PSA's name as a fallback, and
// showing answer values.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command_line.hpp"
#include "cli/command_support.hpp"
#include "runtime/plugin_host.hpp"

namespace meterbridge::host {

// The enabled sink instance named by --sink, else the only enabled one; a usage error when
// there is none or several. Throws InstanceError for a --sink that is not an enabled sink.
const InstanceConfig& pick_sink(CommandContext& context, const PluginHost& host,
                                const ParsedOptions& p);

// One way to ask a sink: the operation and its request.
struct SinkOp {
  std::string op;
  nlohmann::json request;
};

// Calls the first operation; when the sink answers MB_E_UNSUPPORTED, the next one (a
// ConnectWise setup operation, then the Autotask one of the same meaning). Returns the answer
// and sets `used` to the operation that answered; on failure prints the plugin's message and
// sets exit_code (2 for invalid-argument, unsupported and config, else 1).
std::optional<nlohmann::json> call_sink_op(RunningInstance& sink, const std::vector<SinkOp>& ops,
                                           int& exit_code, std::string* used = nullptr);

// A JSON value as table text: strings as they are, null as "-", anything else as JSON.
std::string text_of(const nlohmann::json& v);

}  // namespace meterbridge::host
