// Every sophos-central operation through the real host against emulator-sophos, with each fault
// the emulator injects: what a retry recovers is recovered (and Retry-After is waited for), what
// it cannot is a clear error naming the instance and the call, with the secret nowhere and
// nothing half-stored.
#include <catch2/catch.hpp>

#include "../fault_cases.hpp"
#include "sophos_setup.hpp"

using nlohmann::json;

namespace {

const char* const kTenant = "6513270e-269e-4d37-b2a7-4de452e6b438";  // eu01, in the example seed

struct Operation {
  std::string name;
  std::string path_prefix;  // where the fault is injected
  std::vector<std::string> command;
};

// The plugin's operations and the call of each that the fault hits.
const Operation kToken{
    "token", "/id/api/v2/oauth2/token", {"plugins", "check", "--format", "json"}};
const Operation kCheck{"check", "/api/whoami/v1", {"plugins", "check", "--format", "json"}};
const Operation kDiscover{"discover", "/api/partner/v1/tenants", {"discover", "--format", "json"}};
const Operation kCollect{"collect",
                         "/api/partner/v1/billing/usage",
                         {"collect", "--date", "2026-10-15", "--format", "json"}};
const Operation kLicenses{
    "licenses",
    "/region/eu01/licenses/v1/licenses",
    {"plugins", "call", "sophos", "licenses", "--request", json{{"tenant_id", kTenant}}.dump()}};

bool succeeded(const Operation& op, const ProcessResult& r) {
  if (r.exit_code != 0) return false;
  if (op.command[0] == "plugins" && op.command[1] == "check") {
    return json::parse(r.out)[0]["status"] == "ok";
  }
  if (op.command[0] == "collect") return json::parse(r.out)["days"][0]["ok"] == true;
  return true;
}

// Runs op once per fault case, each against a fresh emulator and data directory.
void fault_matrix(const Operation& op) {
  for (const FaultCase& fc : read_fault_cases()) {
    DYNAMIC_SECTION(op.name << ": " << fc.name) {
      SophosSetup s("sophos-fault", kFaultHttp);
      json fault = fc.fault;
      fault["path_prefix"] = op.path_prefix;
      s.control.add_fault(fault);
      ProcessResult r = s.run(op.command);
      INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
      const std::string all = r.out + r.err;
      CHECK(all.find(s.secret()) == std::string::npos);
      CHECK(s.control.pending_faults().empty());  // the fault was met
      const json calls = s.control.requests_to(op.path_prefix);
      REQUIRE(calls.size() >= 1);
      CHECK(calls[0]["fault"] == fault["kind"]);

      if (fc.recovers) {
        CHECK(succeeded(op, r));
        check_recovered(calls, fault);
      } else {
        CHECK(r.exit_code == 1);
        CHECK(all.find("sophos") != std::string::npos);  // the instance
        CHECK(all.find(fc.error_text) != std::string::npos);
        CHECK(all.find(op.path_prefix) != std::string::npos);  // the call
        // A malformed answer is not retried: it was an answer.
        if (fault["kind"] == "malformed") CHECK(calls.size() == 1);
      }
      if (op.command[0] == "collect" && !fc.recovers) {
        // Nothing of the month was stored: the next collect is the first one for that day.
        ProcessResult again = s.run(op.command);
        REQUIRE(again.exit_code == 0);
        CHECK(json::parse(again.out)["days"][0]["first_collection"] == true);
      }
    }
  }
}

}  // namespace

TEST_CASE("faults: the token request") {
  fault_matrix(kToken);
}
TEST_CASE("faults: check (whoami)") {
  fault_matrix(kCheck);
}
TEST_CASE("faults: discover (tenants)") {
  fault_matrix(kDiscover);
}
TEST_CASE("faults: collect (billing usage)") {
  fault_matrix(kCollect);
}
TEST_CASE("faults: licenses (regional host)") {
  fault_matrix(kLicenses);
}

TEST_CASE("licenses lists what a tenant holds next to what it uses, from its region") {
  SophosSetup s("sophos-licenses");
  ProcessResult r = s.run(
      {"plugins", "call", "sophos", "licenses", "--request", json{{"tenant_id", kTenant}}.dump()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json answer = json::parse(r.out);
  CHECK(answer["tenant"]["id"] == kTenant);
  json seeded;
  for (const auto& t : s.seed["tenants"]) {
    if (t["id"] == kTenant) seeded = t["licenses"];
  }
  REQUIRE(answer["licenses"].size() == seeded.size());
  for (size_t i = 0; i < seeded.size(); ++i) {
    CHECK(answer["licenses"][i]["license"] == seeded[i]["licenseIdentifier"]);
    CHECK(answer["licenses"][i]["quantity"] == seeded[i]["quantity"]);
    CHECK(answer["licenses"][i]["product"] == seeded[i]["product"]["code"]);
  }
  // The call went to the tenant's regional host with its X-Tenant-ID.
  const json calls = s.control.requests_to("/region/eu01/licenses/v1/licenses");
  REQUIRE(calls.size() == 1);
  CHECK(calls[0]["headers"]["X-Tenant-ID"] == kTenant);

  ProcessResult unknown = s.run({"plugins", "call", "sophos", "licenses", "--request",
                                 R"({"tenant_id": "00000000-0000-0000-0000-000000000000"})"});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("no tenant '00000000-0000-0000-0000-000000000000'") != std::string::npos);
  ProcessResult bad = s.run({"plugins", "call", "sophos", "licenses"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("tenant_id") != std::string::npos);
  ProcessResult apply = s.run({"plugins", "call", "sophos", "apply"});
  CHECK(apply.exit_code == 2);
  CHECK(apply.err.find("meterbridge sync") != std::string::npos);
}
