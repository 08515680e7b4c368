#include "cli/psa_sink_support.hpp"

#include <iostream>

#include "cli/exit_codes.hpp"
#include "runtime/collector.hpp"

namespace meterbridge::host {

using nlohmann::json;

const InstanceConfig& pick_sink(CommandContext& context, const PluginHost& host,
                                const ParsedOptions& p) {
  std::vector<std::string> wanted;
  if (p.vm.count("sink")) wanted.push_back(p.vm["sink"].as<std::string>());
  auto sinks = enabled_instances(host, context.config(), MB_KIND_SINK, wanted);
  if (sinks.empty()) usage_error("no enabled sink instance in " + context.config().file.string());
  if (sinks.size() > 1) {
    std::string names;
    for (const auto* s : sinks) names += (names.empty() ? "" : ", ") + s->name;
    usage_error("several sinks are enabled (" + names + "): name one with --sink");
  }
  return *sinks.front();
}

std::optional<json> call_sink_op(RunningInstance& sink, const std::vector<SinkOp>& ops,
                                 int& exit_code, std::string* used) {
  for (size_t i = 0; i < ops.size(); ++i) {
    CallResult r = sink.plugin->invoke(ops[i].op, ops[i].request.dump());
    // A sink for another PSA names the same question differently (agreements / contracts).
    if (r.status == MB_E_UNSUPPORTED && i + 1 < ops.size()) continue;
    if (!r.ok()) {
      std::cerr << "meterbridge psa: " << sink.config->name << ": " << ops[i].op
                << " failed: " << r.text << '\n';
      exit_code = r.status == MB_E_INVALID_ARGUMENT || r.status == MB_E_UNSUPPORTED ||
                          r.status == MB_E_CONFIG
                      ? kExitUsage
                      : kExitFailure;
      return std::nullopt;
    }
    if (used) *used = ops[i].op;
    json answer = json::parse(r.text, nullptr, false);
    if (answer.is_discarded() || !answer.is_object()) {
      std::cerr << "meterbridge psa: " << sink.config->name << ": " << ops[i].op
                << " answered something that is not a JSON object\n";
      exit_code = kExitFailure;
      return std::nullopt;
    }
    return answer;
  }
  exit_code = kExitFailure;
  return std::nullopt;
}

std::string text_of(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace meterbridge::host
