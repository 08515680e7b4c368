// The faults every plugin operation is run against (tests/*/..._fault_tests.cpp), and what a
// recovered call looks like in an emulator's request log. The configs of those tests use
// kFaultHttp: 3 attempts per call and short timeouts, so that the faults play out quickly.
#pragma once

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

inline const nlohmann::json kFaultHttp = {
    {"timeout_ms", 1500}, {"max_attempts", 3}, {"max_backoff_ms", 200}};

struct FaultCase {
  std::string name;
  nlohmann::json fault;    // the /_emulator/faults body, path_prefix and method aside
  bool recovers;           // the host's retries get a good answer
  std::string error_text;  // else: what the error says
};

// Faults on a read (or any idempotent call).
inline std::vector<FaultCase> read_fault_cases() {
  return {
      {"429 with Retry-After", {{"kind", "429"}, {"retry_after", 1}}, true, ""},
      {"429 on every attempt",
       {{"kind", "429"}, {"retry_after", 1}, {"count", 3}},
       false,
       "rate limiting"},
      {"one 500", {{"kind", "500"}}, true, ""},
      {"500 on every attempt", {{"kind", "500"}, {"count", 3}}, false, "HTTP 500"},
      {"slower than the timeout", {{"kind", "slow"}, {"delay_ms", 2500}}, true, ""},
      {"dropped connection", {{"kind", "drop"}}, true, ""},
      {"malformed JSON", {{"kind", "malformed"}}, false, "not JSON"},
  };
}

// calls: the log entries of the faulted call, in order. The first met the fault, the second
// was a clean answer; after a 429 the client waited as long as Retry-After asked.
inline void check_recovered(const nlohmann::json& calls, const nlohmann::json& fault) {
  REQUIRE(calls.size() >= 2);
  CHECK(calls[0]["fault"] == fault["kind"]);
  CHECK_FALSE(calls[1].contains("fault"));
  CHECK(calls[1]["status"].get<int>() / 100 == 2);
  if (fault["kind"] == "429") {
    CHECK(calls[1]["received_ms"].get<int64_t>() - calls[0]["received_ms"].get<int64_t>() >=
          fault["retry_after"].get<int64_t>() * 1000);
  }
}
