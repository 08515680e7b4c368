// Every trendmicro-rm operation through the real host against emulator-trendmicro, with each fault
// the emulator kit injects (401, 403, 429 with Retry-After, 500, timeouts, dropped connections,
// malformed JSON): what a retry recovers is recovered, what it cannot is a clear error naming the
// instance and the call, with no secret anywhere and nothing half-stored.
#include <catch2/catch.hpp>

#include "../fault_cases.hpp"
#include "trendmicro_setup.hpp"

using nlohmann::json;

namespace {

struct Operation {
  std::string name;
  std::string path_prefix;  // where the fault is injected
  std::vector<std::string> command;
};

const std::vector<std::string> kCollect = {"collect", "--format", "json"};
const Operation kCheck{
    "check", "/SMPI/v2.8/service/wfbss/api/customers", {"plugins", "check", "--format", "json"}};
const Operation kSubscriptions{"collect (LMPI subscriptions)", "/LMPI/v3/customers/", kCollect};
const Operation kUsage{"collect (customers/usage)", "/SMPI/v2.8/service/wfbss/api/customers/usage",
                       kCollect};
const Operation kDetections{"detections",
                            "/SMPI/v2.8/service/tmems/api/customers/detections",
                            {"plugins", "call", "trendmicro", "detections", "--request",
                             R"({"from": "2026-11-01", "to": "2026-11-30"})"}};

// The kit's faults on a read, plus a credential refused (401) and access denied (403) mid-run.
std::vector<FaultCase> fault_cases() {
  std::vector<FaultCase> cases = read_fault_cases();
  cases.push_back({"401 mid-run", {{"kind", "401"}}, false, "refused the credentials"});
  cases.push_back({"403 mid-run", {{"kind", "403"}}, false, "denied"});
  return cases;
}

bool succeeded(const Operation& op, const ProcessResult& r) {
  if (r.exit_code != 0) return false;
  if (op.command[0] == "plugins" && op.command[1] == "check") {
    return json::parse(r.out)[0]["status"] == "ok";
  }
  if (op.command[0] == "collect") return json::parse(r.out)["days"][0]["ok"] == true;
  return json::parse(r.out)["schema"] == "detections.v1";
}

// Runs op once per fault case, each against a fresh emulator and data directory.
void fault_matrix(const Operation& op) {
  for (const FaultCase& fc : fault_cases()) {
    DYNAMIC_SECTION(op.name << ": " << fc.name) {
      TrendMicroSetup s("tm-fault", nullptr, kFaultHttp);
      json fault = fc.fault;
      fault["path_prefix"] = op.path_prefix;
      s.control.add_fault(fault);
      ProcessResult r = s.run(op.command);
      INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
      const std::string all = r.out + r.err;
      CHECK_FALSE(s.leaks(r));
      CHECK(s.control.pending_faults().empty());  // the fault was met
      const json calls = s.control.requests_to(op.path_prefix);
      REQUIRE(calls.size() >= 1);
      CHECK(calls[0]["fault"] == fault["kind"]);

      if (fc.recovers) {
        CHECK(succeeded(op, r));
        check_recovered(calls, fault);
      } else {
        CHECK(r.exit_code == 1);
        CHECK(all.find("trendmicro") != std::string::npos);  // the instance
        CHECK(all.find(fc.error_text) != std::string::npos);
        CHECK(all.find(op.path_prefix) != std::string::npos);  // the call
        // A malformed answer or a refusal is not retried: it was an answer.
        if (fault["kind"] != "429" && fault["kind"] != "500") CHECK(calls.size() == 1);
      }
      if (op.command[0] == "collect" && !fc.recovers) {
        // Nothing of the day was stored: the next collect is the first one for that day.
        ProcessResult again = s.run(op.command);
        REQUIRE(again.exit_code == 0);
        CHECK(json::parse(again.out)["days"][0]["first_collection"] == true);
      }
    }
  }
}

}  // namespace

TEST_CASE("faults: check (customers listing)") {
  fault_matrix(kCheck);
}
TEST_CASE("faults: collect (LMPI subscriptions)") {
  fault_matrix(kSubscriptions);
}
TEST_CASE("faults: collect (customers usage)") {
  fault_matrix(kUsage);
}
TEST_CASE("faults: detections") {
  fault_matrix(kDetections);
}

TEST_CASE("a usage batch that cannot be read fails the whole day and nothing of it is stored") {
  // The second of two usage batches (30 customers) is cut in half: the first batch's seats
  // alone would bill the other ten customers as zero.
  TrendMicroSetup s("tm-partial", {{"customers", generated_customers(30)}}, kFaultHttp);
  s.control.add_fault({{"kind", "malformed"},
                       {"skip", 1},
                       {"path_prefix", "/SMPI/v2.8/service/wfbss/api/customers/usage"}});
  ProcessResult r = s.run(kCollect);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("not JSON") != std::string::npos);
  ProcessResult again = s.run(kCollect);
  REQUIRE(again.exit_code == 0);
  CHECK(json::parse(again.out)["days"][0]["first_collection"] == true);
  CHECK(json::parse(again.out)["days"][0]["records"] == 30);
}
