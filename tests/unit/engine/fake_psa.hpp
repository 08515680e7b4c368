// An in-memory PSA behind the sink protocol for engine tests: absolute quantities, or (delta)
// only a list of signed changes, with faults on request, and the requests it received.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/sink_sync.hpp"

namespace engine_test {

using meterbridge::host::CallResult;
using meterbridge::host::engine::SinkCall;
using nlohmann::json;

// A PSA that keeps quantities per company/line; in delta mode only a list of signed changes.
struct FakePsa {
  bool delta = false;
  std::map<std::string, std::vector<double>> changes;  // key -> signed changes (delta)
  std::map<std::string, double> quantity;              // key -> absolute
  int writes = 0;
  int fail_apply_after = -1;  // the call fails (as a timeout would) after this many writes
  std::string unreadable_company;
  std::set<std::string> no_answer;  // keys whose write is sent but never answered (uncertain)
  std::map<std::string, std::vector<double>> duplicates;  // key -> extra owned lines' quantities
  std::string failing_class;  // every apply line fails with this error_class ("" = none)
  int apply_lines = 0;        // apply lines received
  // keys whose write lands in the PSA but whose answer is lost (uncertain, yet it landed)
  std::set<std::string> lands_unanswered;
  mb_status refuse_apply = MB_OK;      // apply calls fail as a whole with this status ...
  size_t refuse_from_call = 0;         // ... from this apply call on (0: the first)
  std::set<std::string> failing_keys;  // these keys' writes fail with error_class transient
  std::vector<json> apply_requests;    // every apply request, as received
  std::map<std::string, std::vector<json>> requests;  // every request by operation

  std::optional<double> held(const std::string& key) const {
    if (delta) {
      auto it = changes.find(key);
      if (it == changes.end()) return std::nullopt;
      double sum = 0;
      for (double c : it->second) sum += c;
      return sum;
    }
    auto it = quantity.find(key);
    if (it == quantity.end()) return std::nullopt;
    return it->second;
  }

  SinkCall call() {
    return [this](const std::string& op, const json& request) -> CallResult {
      requests[op].push_back(request);
      if (op == "apply") apply_requests.push_back(request);
      if (op == "apply" && refuse_apply != MB_OK && apply_requests.size() > refuse_from_call) {
        apply_lines += static_cast<int>(request["lines"].size());
        return {refuse_apply, "HTTP 503 from the PSA"};
      }
      json out = json::array();
      for (const auto& l : request["lines"]) {
        std::string key =
            l["company_id"].get<std::string>() + "/" + l["line_id"].get<std::string>();
        json a = {{"key", l["key"]}};
        if (l["company_id"] == unreadable_company) {
          a["error"] = "company has two active agreements of the type";
          out.push_back(a);
          continue;
        }
        auto before = held(key);
        if (op == "read") {
          a["quantity"] = before ? json(*before) : json(nullptr);
          a["ref"] = "ref-" + key;
          if (duplicates.count(key)) {
            json d = json::array();
            int n = 0;
            for (double q : duplicates[key])
              d.push_back({{"ref", "dup-" + std::to_string(++n)}, {"quantity", q}});
            a["duplicates"] = d;
          }
        } else if (op == "remove_duplicates") {
          a.update({{"action", "none"}, {"kept", "ref-" + key}});
        } else if (++apply_lines && !failing_class.empty()) {
          a.update({{"action", "error"}, {"message", "HTTP 500"}, {"error_class", failing_class}});
        } else if (failing_keys.count(key)) {
          a.update({{"action", "error"}, {"message", "HTTP 502"}, {"error_class", "transient"}});
        } else if (no_answer.count(key)) {
          a.update({{"action", "error"},
                    {"message", "timed out"},
                    {"error_class", "transient"},
                    {"uncertain", true}});
        } else {
          double want = l["quantity"].get<double>();
          a["before"] = before ? json(*before) : json(nullptr);
          if (before && *before == want) {
            a["action"] = "none";
          } else {
            if (delta) {
              changes[key].push_back(want - before.value_or(0));
            } else {
              quantity[key] = want;
            }
            ++writes;
            a["action"] = before ? "update" : "create";
            if (lands_unanswered.count(key)) {
              a = {{"key", l["key"]},
                   {"action", "error"},
                   {"message", "timed out"},
                   {"error_class", "transient"},
                   {"uncertain", true}};
              out.push_back(a);
              continue;
            }
            if (fail_apply_after >= 0 && writes >= fail_apply_after) {
              return {MB_E_TRANSIENT, "timed out waiting for the PSA"};
            }
          }
          a["after"] = want;
          a["ref"] = "ref-" + key;
        }
        out.push_back(a);
      }
      return {MB_OK, json{{"lines", out}}.dump()};
    };
  }
};

}  // namespace engine_test
