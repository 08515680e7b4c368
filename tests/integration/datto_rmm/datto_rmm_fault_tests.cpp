// collect through the real host against emulator-datto-rmm with each fault the kit injects, on
// each of its calls: what the host's retries recover is recovered; what they cannot is a clear
// error naming the instance and the call, and nothing is stored for the day.
#include <catch2/catch.hpp>

#include "../fault_cases.hpp"
#include "datto_rmm_setup.hpp"

using nlohmann::json;

namespace {

void fault_matrix(const std::string& path_prefix) {
  for (const FaultCase& fc : read_fault_cases()) {
    DYNAMIC_SECTION(path_prefix << ": " << fc.name) {
      RmmSetup s("rmm-fault", nullptr, nullptr, kFaultHttp);
      json fault = fc.fault;
      fault["path_prefix"] = path_prefix;
      s.control.add_fault(fault);
      ProcessResult r = s.run({"collect", "--format", "json"});
      INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
      const std::string all = r.out + r.err;
      CHECK(all.find(s.secret()) == std::string::npos);
      CHECK(s.control.pending_faults().empty());
      const json calls = s.control.requests_to(path_prefix);
      REQUIRE(calls.size() >= 1);
      CHECK(calls[0]["fault"] == fault["kind"]);
      if (fc.recovers) {
        CHECK(r.exit_code == 0);
        CHECK(json::parse(r.out)["days"][0]["ok"] == true);
        check_recovered(calls, fault);
        continue;
      }
      CHECK(r.exit_code == 1);
      CHECK(all.find("instance 'rmm'") != std::string::npos);
      CHECK(all.find(fc.error_text) != std::string::npos);
      CHECK(all.find(path_prefix) != std::string::npos);  // the call
      if (fault["kind"] == "malformed") CHECK(calls.size() == 1);
      ProcessResult again = s.run({"collect", "--format", "json"});
      REQUIRE(again.exit_code == 0);
      CHECK(json::parse(again.out)["days"][0]["first_collection"] == true);
    }
  }
}

}  // namespace

TEST_CASE("faults: the token request") {
  fault_matrix("/api/auth/oauth/token");
}
TEST_CASE("faults: request_rate") {
  fault_matrix("/api/v2/system/request_rate");
}
TEST_CASE("faults: the _NotBillable_ filter") {
  fault_matrix("/api/v2/filter/custom-filters");
}
TEST_CASE("faults: sites") {
  fault_matrix("/api/v2/account/sites");
}
TEST_CASE("faults: a site's devices") {
  fault_matrix("/api/v2/site/d3n7a1-0002/devices");
}
