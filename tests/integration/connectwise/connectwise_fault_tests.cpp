// Every connectwise-manage operation through the real host against emulator-connectwise, with
// each fault the emulator injects. Reads: what a retry recovers is recovered, the rest is a clear
// error naming the instance and the call. Writes: a POST that may have reached ConnectWise is
// never sent twice by the transport (a replacing PATCH is idempotent and retried), and the next
// sync re-reads and neither duplicates an addition nor loses one.
#include <map>
#include <thread>

#include "../fault_cases.hpp"
#include "cw_setup.hpp"

using nlohmann::json;

namespace {

const std::string kApi = "/v4_6_release/apis/3.0";

struct Operation {
  std::string name;
  std::string path_prefix;  // where the fault is injected
  std::string method;
  std::vector<std::string> command;
};

// Faults on a write. `applied`: ConnectWise acted on the request although the client saw a fault.
struct WriteFault {
  std::string name;
  json fault;
  bool recovers;  // the host's own retry gets it through
  bool applied;
  std::string error_text;
};

// A POST creates a record each time it is sent, so only a 429 (refused, nothing done) is
// retried. The plugin's PATCHes replace a field with a value, which is idempotent, so they are
// retried like reads; only a malformed answer (the write happened, the answer is unreadable) is
// an error.
std::vector<WriteFault> write_faults(const std::string& method) {
  const bool idempotent = method == "PATCH";
  return {
      {"429 with Retry-After", {{"kind", "429"}, {"retry_after", 1}}, true, false, ""},
      {"500", {{"kind", "500"}}, idempotent, false, "HTTP 500"},
      {"dropped connection", {{"kind", "drop"}}, idempotent, false, "not idempotent"},
      {"answer after the timeout (written)",
       {{"kind", "slow"}, {"delay_ms", 2500}},
       idempotent,
       true,
       "not idempotent"},
      {"malformed answer (written)", {{"kind", "malformed"}}, false, true, "not JSON"},
  };
}

bool succeeded(const Operation& op, const ProcessResult& r) {
  if (r.exit_code != 0) return false;
  if (op.command[0] == "plugins") return json::parse(r.out)[0]["status"] == "ok";
  return true;
}

// The calls to prefix with method.
json calls_to(CwSetup& s, const std::string& prefix, const std::string& method) {
  json out = json::array();
  for (const auto& c : s.control.requests_to(prefix)) {
    if (c["method"] == method) out.push_back(c);
  }
  return out;
}

// A write the client gave up on may still be in the emulator (a slow answer): wait until every
// request it received has been answered, as a real PSA would eventually finish.
void wait_until_answered(CwSetup& s, const std::string& prefix, const std::string& method) {
  for (int i = 0; i < 100; ++i) {
    bool open = false;
    for (const auto& c : calls_to(s, prefix, method)) open = open || c.value("in_flight", false);
    if (!open) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("the emulator never answered " << method << " " << prefix);
}

// Runs command with the write fault wf injected on method + path, and checks the transport's
// part: either a retry got the write through, or it was sent once, the run failed saying so, and
// ConnectWise has finished with the request (a slow write lands after the client gave up).
ProcessResult run_with_write_fault(CwSetup& s, const WriteFault& wf, const std::string& path,
                                   const std::string& method,
                                   const std::vector<std::string>& command) {
  json fault = wf.fault;
  fault["path_prefix"] = path;
  fault["method"] = method;
  s.control.add_fault(fault);
  ProcessResult r = s.run(command);
  INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
  CHECK((r.out + r.err).find(s.private_key()) == std::string::npos);
  const json calls = calls_to(s, path, method);
  REQUIRE(calls.size() >= 1);
  CHECK(calls[0]["fault"] == fault["kind"]);
  if (wf.recovers) {
    CHECK(r.exit_code == 0);
    check_recovered(calls, fault);
  } else {
    CHECK(r.exit_code == 1);
    CHECK(calls.size() == 1);  // never sent twice
    CHECK((r.out + r.err).find(wf.error_text) != std::string::npos);
    wait_until_answered(s, path, method);
  }
  return r;
}

void read_matrix(const Operation& op, bool billing) {
  for (const FaultCase& fc : read_fault_cases()) {
    DYNAMIC_SECTION(op.name << ": " << fc.name) {
      CwSetup s("cw-fault", kFaultHttp);
      if (billing) s.map_three_customers();
      json fault = fc.fault;
      fault["path_prefix"] = op.path_prefix;
      fault["method"] = op.method;
      s.control.add_fault(fault);
      ProcessResult r = s.run(op.command);
      INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
      const std::string all = r.out + r.err;
      CHECK(all.find(s.private_key()) == std::string::npos);
      CHECK(s.control.pending_faults().empty());
      const json calls = calls_to(s, op.path_prefix, op.method);
      REQUIRE(calls.size() >= 1);
      CHECK(calls[0]["fault"] == fault["kind"]);
      if (fc.recovers) {
        CHECK(succeeded(op, r));
        check_recovered(calls, fault);
      } else {
        CHECK(r.exit_code == 1);
        CHECK(all.find("cw") != std::string::npos);
        CHECK(all.find(fc.error_text) != std::string::npos);
        // The call, as the plugin names it (API paths relative to the codebase's apis/3.0).
        const std::string named = op.path_prefix.rfind(kApi, 0) == 0
                                      ? op.path_prefix.substr(kApi.size())
                                      : op.path_prefix;
        CHECK(all.find(named) != std::string::npos);
        if (fault["kind"] == "malformed") CHECK(calls.size() == 1);  // an answer: not retried
      }
      CHECK(s.writes() == 0);  // a read never writes, whatever happens
    }
  }
}

}  // namespace

TEST_CASE("faults: codebase discovery (companyinfo)") {
  read_matrix({"companyinfo",
               "/login/companyinfo/",
               "GET",
               {"plugins", "check", "--instance", "cw", "--format", "json"}},
              false);
}

TEST_CASE("faults: check (system/info)") {
  read_matrix({"check",
               kApi + "/system/info",
               "GET",
               {"plugins", "check", "--instance", "cw", "--format", "json"}},
              false);
}

TEST_CASE("faults: discover (companies)") {
  read_matrix({"discover", kApi + "/company/companies", "GET", {"discover"}}, false);
}

TEST_CASE("faults: verify_company") {
  read_matrix({"verify", kApi + "/company/companies", "GET", {"psa", "verify", "250"}}, false);
}

TEST_CASE("faults: agreements") {
  read_matrix({"agreements", kApi + "/finance/agreements", "GET", {"psa", "agreements", "250"}},
              false);
}

TEST_CASE("faults: search_catalog") {
  read_matrix({"search", kApi + "/procurement/catalog", "GET", {"psa", "catalog", "search", "edr"}},
              false);
}

TEST_CASE("faults: read (sync --dry-run)") {
  read_matrix({"read",
               kApi + "/finance/agreements",
               "GET",
               {"sync", "--period", "2026-10", "--dry-run", "--no-collect", "--format", "json"}},
              true);
}

TEST_CASE("faults: apply, creating additions") {
  const std::string additions = kApi + "/finance/agreements/502/additions";
  for (const WriteFault& wf : write_faults("POST")) {
    DYNAMIC_SECTION(wf.name) {
      CwSetup s("cw-fault-apply", kFaultHttp);
      s.map_three_customers();
      ProcessResult r =
          run_with_write_fault(s, wf, additions, "POST",
                               {"sync", "--period", "2026-10", "--no-collect", "--format", "json"});
      INFO("stdout: " << r.out << "\nstderr: " << r.err);
      std::map<std::string, json> line;
      for (const auto& l : sync_lines(json::parse(r.out))) line[l["company"]] = l;
      CHECK(line["250"]["action"] == "create");  // the other lines go on
      CHECK(line["253"]["action"] == "create");
      if (wf.recovers) {
        CHECK(line["251"]["action"] == "create");
      } else {
        CHECK(line["251"]["action"] == "error");
        CHECK(line["251"].dump().find(wf.error_text) != std::string::npos);
        CHECK(s.active_additions("EDR-SEAT", 502).size() == (wf.applied ? 1u : 0u));

        // The next sync re-reads: it adopts what was written. What was not written is created
        // again at once after a refusal (500); after no answer at all (dropped) it may still
        // land, so it is pending until the grace time is over, then created.
        const bool no_answer = wf.fault["kind"] == "drop";
        json again = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
        std::map<std::string, std::string> action;
        for (const auto& l : sync_lines(again)) action[l["company"]] = l["action"];
        CHECK(action["250"] == "none");
        CHECK(action["251"] == (wf.applied ? "none" : no_answer ? "pending" : "create"));
        CHECK(action["253"] == "none");
        if (no_answer) {
          s.set_sync({{"pending_grace_ms", 1}});
          json later = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
          for (const auto& l : sync_lines(later)) {
            if (l["company"] == "251") CHECK(l["action"] == "create");
          }
        }
      }
      for (auto [agreement, quantity] : {std::pair{500, 12}, {502, 7}, {505, 5}}) {
        const json owned = s.active_additions("EDR-SEAT", agreement);
        REQUIRE(owned.size() == 1);  // no duplicate, none missing
        CHECK(owned[0]["quantity"] == quantity);
      }
    }
  }
}

TEST_CASE("faults: apply, updating a quantity") {
  for (const WriteFault& wf : write_faults("PATCH")) {
    DYNAMIC_SECTION(wf.name) {
      CwSetup s("cw-fault-update", kFaultHttp);
      s.map_three_customers();
      REQUIRE(s.run({"sync", "--period", "2026-10", "--no-collect"}).exit_code == 0);
      const json created = s.addition_of("EDR-SEAT", 502);
      const std::string path =
          kApi + "/finance/agreements/502/additions/" + std::to_string(created["id"].get<int>());
      s.usage(
          "2026-10-31,t-1,Acme Manufacturing,EP,Endpoint,seats,12\n"
          "2026-10-31,t-2,Blue River Dental Group,EP,Endpoint,seats,9\n"
          "2026-10-31,t-4,Delta Dental,EP,Endpoint,seats,5\n");
      REQUIRE(s.run({"collect", "--date", "2026-10-31"}).exit_code == 0);
      s.control.clear_log();
      run_with_write_fault(s, wf, path, "PATCH",
                           {"sync", "--period", "2026-10", "--no-collect", "--format", "json"});
      if (!wf.recovers) {
        CHECK(s.addition_of("EDR-SEAT", 502)["quantity"] == (wf.applied ? 9 : 7));
        json again = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
        for (const auto& l : sync_lines(again)) {
          if (l["company"] == "251") CHECK(l["action"] == (wf.applied ? "none" : "update"));
        }
      }
      REQUIRE(s.active_additions("EDR-SEAT", 502).size() == 1);
      CHECK(s.addition_of("EDR-SEAT", 502)["quantity"] == 9);
      CHECK(s.addition_of("EDR-SEAT", 502)["id"] == created["id"]);
    }
  }
}

TEST_CASE("faults: create_product and edit_product") {
  const std::string catalog = kApi + "/procurement/catalog";
  for (const WriteFault& wf : write_faults("POST")) {
    DYNAMIC_SECTION("create: " << wf.name) {
      CwSetup s("cw-fault-create-product", kFaultHttp);
      ProcessResult r = run_with_write_fault(
          s, wf, catalog, "POST",
          {"psa", "catalog", "add", "PHISH-USER", "Phishing simulation", "--price", "1.5", "--set",
           "subcategory={\"id\": 6}", "--set", "type={\"id\": 4}"});
      if (!wf.recovers) CHECK(r.err.find("cw") != std::string::npos);  // the instance
      int found = 0;
      const json state = s.control.state();
      for (const auto& item : state["catalog"]) found += item["identifier"] == "PHISH-USER";
      CHECK(found == (wf.recovers || wf.applied ? 1 : 0));
    }
  }
  for (const WriteFault& wf : write_faults("PATCH")) {
    DYNAMIC_SECTION("edit: " << wf.name) {
      CwSetup s("cw-fault-edit-product", kFaultHttp);
      run_with_write_fault(s, wf, catalog + "/102", "PATCH",
                           {"psa", "catalog", "edit", "102", "--set", "price=7.25"});
      double price = 0;
      const json state = s.control.state();
      for (const auto& item : state["catalog"]) {
        if (item["id"] == 102) price = item["price"];
      }
      CHECK(price == ((wf.recovers || wf.applied) ? 7.25 : 6.5));
    }
  }
}
