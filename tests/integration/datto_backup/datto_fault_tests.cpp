// collect of datto-backup through the real host against emulator-datto, with each fault the
// emulator injects on each call a day needs: what a retry recovers is recovered, what it cannot
// fails the day with an error naming the instance and the call, the secret key nowhere and
// nothing stored.
#include <catch2/catch.hpp>

#include "../fault_cases.hpp"
#include "datto_setup.hpp"

using nlohmann::json;

namespace {

// The calls of a collect, by the path prefix a fault is injected at.
const std::vector<std::string> kCalls = {
    "/v1/bcdr/device",                           // the device listing (its first page)
    "/v1/bcdr/device/A1B2C3D4E5F6/asset/agent",  // the agents of one device
    "/v1/saas/domains",                          // the SaaS domains
};

void fault_matrix(const std::string& call) {
  for (const FaultCase& fc : read_fault_cases()) {
    DYNAMIC_SECTION(call << ": " << fc.name) {
      DattoSetup s("datto-fault", kFaultHttp);
      json fault = fc.fault;
      fault["path_prefix"] = call;
      s.control.add_fault(fault);
      const std::vector<std::string> command = {"collect", "--format", "json"};
      ProcessResult r = s.run(command);
      INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
      const std::string all = r.out + r.err;
      CHECK(all.find(s.secret()) == std::string::npos);
      CHECK(s.control.pending_faults().empty());  // the fault was met
      const json calls = s.control.requests_to(call);
      REQUIRE(calls.size() >= 1);
      CHECK(calls[0]["fault"] == fault["kind"]);
      if (fc.recovers) {
        CHECK(r.exit_code == 0);
        CHECK(json::parse(r.out)["days"][0]["ok"] == true);
        check_recovered(calls, fault);
        continue;
      }
      CHECK(r.exit_code == 1);
      CHECK(json::parse(r.out)["days"][0]["ok"] == false);
      CHECK(all.find("datto") != std::string::npos);  // the instance
      CHECK(all.find(fc.error_text) != std::string::npos);
      CHECK(all.find(call) != std::string::npos);                  // the call
      if (fault["kind"] == "malformed") CHECK(calls.size() == 1);  // an answer: not retried
      // Nothing of the day was stored: the next collect is the first one for that day.
      ProcessResult again = s.run(command);
      REQUIRE(again.exit_code == 0);
      CHECK(json::parse(again.out)["days"][0]["first_collection"] == true);
    }
  }
}

}  // namespace

TEST_CASE("faults: collect, the device listing") {
  fault_matrix(kCalls[0]);
}
TEST_CASE("faults: collect, the agents of a device") {
  fault_matrix(kCalls[1]);
}
TEST_CASE("faults: collect, the SaaS domains") {
  fault_matrix(kCalls[2]);
}
