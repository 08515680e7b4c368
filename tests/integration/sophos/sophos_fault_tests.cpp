// Every sophos-central operation through the real host against emulator-sophos, with each fault
// the emulator injects: what a retry recovers is recovered (and Retry-After is waited for), what
// it cannot is a clear error naming the instance and the call, with the secret nowhere and
// nothing half-stored.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "../../emulators/emulator_process.hpp"
#include "../cli/run_process.hpp"
#include "../emulator_control.hpp"

using nlohmann::json;

namespace {

const char* const kTenant = "6513270e-269e-4d37-b2a7-4de452e6b438";  // eu01, in the example seed

struct SophosHost {
  explicit SophosHost(const std::string& name)
      : emulator(EMULATOR_SOPHOS_EXE, SOPHOS_SEED_EXAMPLE),
        control(emulator.url()),
        dir(fresh_dir(name)) {
    std::ifstream in(SOPHOS_SEED_EXAMPLE);
    seed = json::parse(in);
    // Short timeouts and backoff so that the faults play out quickly; 3 attempts per call.
    json c = {{"config_version", 1},
              {"timezone", "Europe/Rome"},
              {"data_dir", (dir / "data").string()},
              {"plugin_dirs", {METERBRIDGE_PLUGIN_DIR}},
              {"http", {{"timeout_ms", 1500}, {"max_attempts", 3}, {"max_backoff_ms", 200}}},
              {"plugins",
               {{"sophos",
                 {{"enabled", true},
                  {"plugin", "sophos-central"},
                  {"settings",
                   {{"client_id", seed["credentials"]["client_id"]},
                    {"client_secret", "${env:MB_TEST_SOPHOS_SECRET}"},
                    {"token_url", emulator.url() + "/id/api/v2/oauth2/token"},
                    {"api_url", emulator.url() + "/api"}}}}}}}};
    write_file(dir / "config.json", c.dump(2));
  }
  ProcessResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", (dir / "config.json").string()});
    return run_meterbridge(args, {"MB_TEST_SOPHOS_SECRET=" + secret()});
  }
  std::string secret() const { return seed["credentials"]["client_secret"]; }

  EmulatorProcess emulator;
  EmulatorControl control;
  std::filesystem::path dir;
  json seed;
};

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

struct FaultCase {
  std::string name;
  json fault;
  bool recovers;           // the host's retries get a good answer
  std::string error_text;  // else: what the error says
};

// With timeout_ms 1500 and 3 attempts per call.
std::vector<FaultCase> fault_cases() {
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
  for (const FaultCase& fc : fault_cases()) {
    DYNAMIC_SECTION(op.name << ": " << fc.name) {
      SophosHost s("sophos-fault");
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
        REQUIRE(calls.size() >= 2);
        CHECK_FALSE(calls[1].contains("fault"));
        CHECK(calls[1]["status"] == 200);
        if (fault["kind"] == "429") {  // the host waited as long as it was asked to
          CHECK(calls[1]["received_ms"].get<int64_t>() - calls[0]["received_ms"].get<int64_t>() >=
                1000);
        }
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
  SophosHost s("sophos-licenses");
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
