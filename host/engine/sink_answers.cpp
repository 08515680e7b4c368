#include "engine/sink_answers.hpp"

#include <stdexcept>

#include <meterbridge/plugin.hpp>

namespace meterbridge::host::engine {

using nlohmann::json;

json sink_line_address(const std::string& key, const std::string& company, const std::string& line,
                       const std::string& period, Day start, Day end, const std::string& target) {
  json a = {{"key", key},
            {"company_id", company},
            {"line_id", line},
            {"period", period},
            {"period_start", format_iso_date(start)},
            {"period_end", format_iso_date(end)}};
  if (!target.empty()) a["target"] = target;
  return a;
}

std::map<std::string, json> call_sink_lines(const SinkCall& call, const std::string& psa,
                                            const std::string& op, const json& lines,
                                            std::optional<CallResult>* failure, const json& extra) {
  json request = extra.is_object() ? extra : json::object();
  request["lines"] = lines;
  CallResult r = call(op, request);
  if (!r.ok()) {
    if (failure) *failure = r;
    throw std::runtime_error("sink '" + psa + "' " + op + " failed (" + status_name(r.status) +
                             "): " + r.text);
  }
  json answer;
  try {
    answer = json::parse(r.text);
  } catch (const json::exception& e) {
    throw std::runtime_error("sink '" + psa + "' answered " + op +
                             " with invalid JSON: " + e.what());
  }
  if (!answer.contains("lines") || !answer["lines"].is_array()) {
    throw std::runtime_error("sink '" + psa + "' answered " + op + " without a 'lines' array");
  }
  std::map<std::string, json> by_key;
  for (const auto& l : answer["lines"]) {
    if (l.is_object() && l.contains("key") && l["key"].is_string()) {
      by_key[l["key"].get<std::string>()] = l;
    }
  }
  return by_key;
}

std::optional<double> sink_number(const json& line, const char* field) {
  if (!line.contains(field) || line[field].is_null()) return std::nullopt;
  if (!line[field].is_number()) throw std::runtime_error(std::string(field) + " is not a number");
  return line[field].get<double>();
}

std::vector<SinkDuplicate> sink_duplicates(const json& line) {
  std::vector<SinkDuplicate> out;
  if (!line.contains("duplicates") || line["duplicates"].is_null()) return out;
  if (!line["duplicates"].is_array()) throw std::runtime_error("duplicates is not an array");
  for (const json& d : line["duplicates"]) {
    if (!d.is_object() || !d.contains("ref") || !d["ref"].is_string()) {
      throw std::runtime_error("a duplicate without a string 'ref'");
    }
    SinkDuplicate dup{d["ref"].get<std::string>(), sink_number(d, "quantity").value_or(0), {}};
    if (d.contains("intent_id") && d["intent_id"].is_number_integer()) {
      dup.intent_id = d["intent_id"].get<int64_t>();
    }
    out.push_back(std::move(dup));
  }
  return out;
}

bool sink_status_is_run_wide(mb_status status) {
  return status == MB_E_TRANSIENT || status == MB_E_RATE_LIMITED || status == MB_E_AUTH;
}

bool sink_error_class_is_run_wide(const std::string& error_class) {
  return error_class == "transient" || error_class == "rate-limited" || error_class == "auth";
}

}  // namespace meterbridge::host::engine
