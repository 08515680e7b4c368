// Every autotask operation through the real host against emulator-autotask, with each fault the
// emulator injects. Reads (queries are POSTs that change nothing, so they are retried like
// GETs): what a retry recovers is recovered, the rest is a clear error naming the instance and
// the call. Adjustments: a signed delta is never sent twice by the transport; when its answer is
// lost the line is pending, and the next sync reads the units and posts only what is missing.
#include <map>
#include <thread>

#include "../fault_cases.hpp"
#include "at_bed.hpp"

using nlohmann::json;

namespace {

const std::string kApi = "/ATServicesRest/V1.0";

struct Operation {
  std::string name;
  std::string path_prefix;
  std::string method;
  std::vector<std::string> command;
};

json calls_to(AtBed& s, const std::string& prefix, const std::string& method) {
  json out = json::array();
  for (const auto& c : s.control.requests_to(prefix)) {
    if (c["method"] == method) out.push_back(c);
  }
  return out;
}

void wait_until_answered(AtBed& s) {
  for (int i = 0; i < 100; ++i) {
    bool open = false;
    for (const auto& c : s.control.requests()) open = open || c.value("in_flight", false);
    if (!open) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("the emulator never answered");
}

bool succeeded(const Operation& op, const ProcessResult& r) {
  if (r.exit_code != 0) return false;
  if (op.command[0] == "plugins") return json::parse(r.out)[0]["status"] == "ok";
  return true;
}

void read_matrix(const Operation& op, bool billing) {
  for (const FaultCase& fc : read_fault_cases()) {
    DYNAMIC_SECTION(op.name << ": " << fc.name) {
      AtBed s("at-fault");
      s.http = kFaultHttp;
      s.write_config();
      if (billing) s.map_customers();
      json fault = fc.fault;
      fault["path_prefix"] = op.path_prefix;
      fault["method"] = op.method;
      s.control.add_fault(fault);
      ProcessResult r = s.run(op.command);
      INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
      const std::string all = r.out + r.err;
      CHECK(all.find(s.secret()) == std::string::npos);
      CHECK(all.find(s.integration_code()) == std::string::npos);
      CHECK(s.control.pending_faults().empty());
      const json calls = calls_to(s, op.path_prefix, op.method);
      REQUIRE(calls.size() >= 1);
      CHECK(calls[0]["fault"] == fault["kind"]);
      if (fc.recovers) {
        CHECK(succeeded(op, r));
        check_recovered(calls, fault);
      } else {
        CHECK(r.exit_code == 1);
        CHECK(all.find("at") != std::string::npos);
        CHECK(all.find(fc.error_text) != std::string::npos);
        const std::string named = op.path_prefix.rfind(kApi, 0) == 0
                                      ? op.path_prefix.substr(kApi.size())
                                      : op.path_prefix;
        CHECK(all.find(named) != std::string::npos);
        if (fault["kind"] == "malformed") CHECK(calls.size() == 1);
      }
      CHECK(s.adjustment_posts() == 0);  // a read never writes
    }
  }
}

}  // namespace

TEST_CASE("faults: zone lookup (zoneInformation)") {
  read_matrix({"zone",
               "/atservicesrest/v1.0/zoneInformation",
               "GET",
               {"plugins", "check", "--instance", "at", "--format", "json"}},
              false);
}

TEST_CASE("faults: check (ThresholdInformation)") {
  read_matrix({"check",
               kApi + "/ThresholdInformation",
               "GET",
               {"plugins", "check", "--instance", "at", "--format", "json"}},
              false);
}

TEST_CASE("faults: discover (companies query)") {
  read_matrix({"discover", kApi + "/Companies/query", "POST", {"discover"}}, false);
}

TEST_CASE("faults: read (sync --dry-run), contract services query") {
  read_matrix({"read",
               kApi + "/ContractServices/query",
               "POST",
               {"sync", "--period", "2026-11", "--dry-run", "--no-collect", "--format", "json"}},
              true);
}

TEST_CASE("faults: read (sync --dry-run), units query") {
  read_matrix({"read units",
               kApi + "/ContractServiceUnits/query",
               "POST",
               {"sync", "--period", "2026-11", "--dry-run", "--no-collect", "--format", "json"}},
              true);
}

TEST_CASE("faults: apply, posting an adjustment") {
  struct WriteFault {
    std::string name;
    json fault;
    bool recovers;  // the host retries it (a 429: refused, nothing done)
    bool applied;   // Autotask applied it although the client saw a fault
  };
  const std::vector<WriteFault> faults = {
      {"429 with Retry-After", {{"kind", "429"}, {"retry_after", 1}}, true, false},
      {"500 (unexpected error)", {{"kind", "500"}}, false, false},
      {"dropped connection", {{"kind", "drop"}}, false, false},
      {"answer after the timeout (written)", {{"kind", "slow"}, {"delay_ms", 2500}}, false, true},
      {"malformed answer (written)", {{"kind", "malformed"}}, false, true},
  };
  const std::string path = kApi + "/ContractServiceAdjustments";
  for (const WriteFault& wf : faults) {
    DYNAMIC_SECTION(wf.name) {
      AtBed s("at-fault-apply");
      s.http = kFaultHttp;
      s.write_config();
      s.map_customers();
      json fault = wf.fault;
      fault["path_prefix"] = path;
      fault["method"] = "POST";
      fault["skip"] = 1;  // the second adjustment of the batch
      s.control.add_fault(fault);
      ProcessResult r = s.run({"sync", "--period", "2026-11", "--no-collect", "--format", "json"});
      INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
      CHECK((r.out + r.err).find(s.secret()) == std::string::npos);
      const json calls = calls_to(s, path, "POST");
      wait_until_answered(s);
      const auto first = at_lines(json::parse(r.out));
      int errors = 0;
      for (const auto& [key, l] : first) errors += l["action"] == "error";
      if (wf.recovers) {
        CHECK(r.exit_code == 0);
        CHECK(errors == 0);
        CHECK(calls.size() == 4);  // three adjustments, one of them sent again after the 429
      } else {
        CHECK(r.exit_code == 1);
        CHECK(errors == 1);
        CHECK(calls.size() == 3);  // never sent twice
        CHECK(s.adjustments().size() == (wf.applied ? 3u : 2u));
        // The next sync: what landed is confirmed from the units; what may still land is pending
        // for the grace time, then posted once.
        json again = s.sync_json();
        INFO(again.dump(2));
        for (const auto& [key, l] : at_lines(again)) {
          CHECK((l["action"] == "none" || (!wf.applied && l["action"] == "pending")));
        }
        s.sync = {{"pending_grace_ms", 1}};
        s.write_config();
        s.sync_json();
      }
      CHECK(s.adjustments().size() == 3u);  // one each, none twice
      CHECK(s.units(201, 301) == 30);
      CHECK(s.units(201, 302) == 12);
      CHECK(s.units(202, 301) == 7);
    }
  }
}
