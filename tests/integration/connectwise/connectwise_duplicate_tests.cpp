// No silent duplicate in ConnectWise: a create answered too late is pending, not sent twice; a
// second owned addition (landed late, or planted by hand) is reported by sync, plan and report
// with the money at stake, blocks the line, and `resolve-duplicates` cancels it, never touching
// an addition meterbridge did not create.
#include <map>
#include <thread>

#include "cw_setup.hpp"

using nlohmann::json;

namespace {

const std::string kApi = "/v4_6_release/apis/3.0";

json line_of(const json& report, const std::string& company) {
  for (const auto& l : sync_lines(report)) {
    if (l["company"] == company) return l;
  }
  return nullptr;
}

int posts_to(CwSetup& s, const std::string& prefix) {
  int n = 0;
  for (const auto& r : s.control.requests()) {
    n += r["method"] == "POST" && r["path"].get<std::string>().rfind(prefix, 0) == 0;
  }
  return n;
}

void wait_until_answered(CwSetup& s) {
  for (int i = 0; i < 100; ++i) {
    bool open = false;
    for (const auto& r : s.control.requests()) open = open || r.value("in_flight", false);
    if (!open) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("the emulator never answered");
}

}  // namespace

TEST_CASE("a create answered after the timeout lands once: pending, then adopted") {
  // The issue's reproduction: http.timeout_ms 1000, ConnectWise answers one addition POST after
  // 3 s while still creating it, and a sync is run at once afterwards.
  CwSetup s("cw-late-create", {{"timeout_ms", 1000}});
  s.map_three_customers();
  const std::string additions = kApi + "/finance/agreements/502/additions";
  s.control.add_fault(
      {{"path_prefix", additions}, {"method", "POST"}, {"kind", "slow"}, {"delay_ms", 3000}});

  json first = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  INFO(first.dump(2));
  CHECK(line_of(first, "251")["action"] == "error");
  CHECK(line_of(first, "251")["message"].get<std::string>().find("may still land") !=
        std::string::npos);

  json at_once = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  INFO(at_once.dump(2));
  CHECK(line_of(at_once, "251")["action"] == "pending");
  CHECK(posts_to(s, additions) == 1);  // not created a second time

  wait_until_answered(s);
  json landed = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  INFO(landed.dump(2));
  CHECK(line_of(landed, "251")["action"] == "none");
  const json owned = s.active_additions("EDR-SEAT", 502);
  REQUIRE(owned.size() == 1);
  CHECK(owned[0]["quantity"] == 7);

  // The addition names the journal intent that created it.
  json journal = s.run_json({"journal", "--period", "2026-10", "--company", "251"});
  int64_t intent = 0;
  for (const auto& e : journal) {
    if (e["entry"] == "intent") intent = e["id"];
  }
  CHECK(owned[0]["invoiceDescription"].get<std::string>().rfind(
            "[meterbridge #" + std::to_string(intent) + "] ", 0) == 0);
  CHECK(posts_to(s, additions) == 1);
}

TEST_CASE(
    "a duplicate addition is reported by sync, plan and report, and resolved by the command") {
  CwSetup s("cw-duplicate");
  s.map_three_customers();
  REQUIRE(s.run({"sync", "--period", "2026-10", "--no-collect"}).exit_code == 0);
  const json kept = s.addition_of("EDR-SEAT", 502);
  // A marked addition as a late-landing create leaves it, and one an operator added by hand.
  const json extra = s.plant_addition(502, "EDR-SEAT", 7, "[meterbridge #999] Endpoint");
  const json manual = s.plant_addition(502, "EDR-SEAT", 2, "Onboarding seats, by hand");
  const std::string extra_ref = "502/" + std::to_string(extra["id"].get<int>());

  ProcessResult r = s.run({"sync", "--period", "2026-10", "--no-collect", "--format", "json"});
  REQUIRE(r.exit_code == 1);  // the operator must act
  json sync = json::parse(r.out);
  json line = line_of(sync, "251");
  INFO(line.dump(2));
  CHECK(line["action"] == "duplicate");
  const std::string message = line["message"];
  CHECK(message.find(extra_ref + " (7, created by intent 999)") != std::string::npos);
  CHECK(message.find("7 unit(s) too many") != std::string::npos);
  CHECK(message.find("resolve-duplicates") != std::string::npos);
  CHECK(line_of(sync, "250")["action"] == "none");

  json plan = s.run_json({"plan", "--period", "2026-10"});
  bool in_plan = false;
  for (const auto& e : plan["exceptions"]) {
    in_plan = in_plan || (e["kind"] == "duplicate" && e["company"] == "251" && e["quantity"] == 7);
  }
  CHECK(in_plan);
  json report = s.run_json({"report", "reconcile", "--period", "2026-10"});
  CHECK(report["totals"]["duplicated"] == 1);
  for (const auto& l : report["lines"]) {
    if (l["company"] != "251") continue;
    CHECK(l["billed"] == 14);  // 7 planned, and 7 more through the duplicate
    CHECK(l["difference"] == -7);
    CHECK(l["duplicate"].is_string());
  }

  ProcessResult fix = s.run({"resolve-duplicates", "--period", "2026-10", "--format", "json"});
  INFO(fix.out << fix.err);
  REQUIRE(fix.exit_code == 0);
  json fixed = json::parse(fix.out);
  REQUIRE(fixed["lines"].size() == 1);
  CHECK(fixed["lines"][0]["action"] == "removed");
  CHECK(fixed["lines"][0]["kept"] == "502/" + std::to_string(kept["id"].get<int>()));

  // The extra addition bills nothing (cancelled on its own effective date); the manual one and
  // the kept one are untouched.
  const json state = s.control.state();
  for (const auto& a : state["additions"]) {
    if (a["id"] == extra["id"]) {
      CHECK(a["agreementStatus"] == "Cancelled");
      CHECK(a["cancelledDate"] == a["effectiveDate"]);
    }
    if (a["id"] == manual["id"] || a["id"] == kept["id"]) {
      CHECK(a["agreementStatus"] == "Active");
      CHECK_FALSE(a.contains("cancelledDate"));
    }
  }
  json after = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  CHECK(line_of(after, "251")["action"] == "none");
  plan = s.run_json({"plan", "--period", "2026-10"});
  for (const auto& e : plan["exceptions"]) CHECK(e["kind"] != "duplicate");
  json entries = s.run_json({"journal", "--period", "2026-10", "--company", "251"});
  bool journaled = false;
  for (const auto& e : entries) journaled = journaled || e["action"] == "remove-duplicate";
  CHECK(journaled);
}

TEST_CASE("a PSA that keeps failing stops the sync early, and the next sync carries on") {
  CwSetup s("cw-fail-fast");
  s.map_three_customers();
  s.set_sync({{"stop_after_failures", 2}});
  s.control.add_fault({{"path_prefix", kApi + "/finance/agreements/"},
                       {"method", "POST"},
                       {"kind", "500"},
                       {"count", 100}});
  ProcessResult r = s.run({"sync", "--period", "2026-10", "--no-collect", "--format", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 1);
  json sync = json::parse(r.out);
  CHECK(line_of(sync, "250")["action"] == "error");
  CHECK(line_of(sync, "251")["action"] == "error");
  CHECK(line_of(sync, "253")["action"] == "not-attempted");
  CHECK(line_of(sync, "253")["message"].get<std::string>().find("HTTP 500") != std::string::npos);
  CHECK(r.err.find("stopped writing") != std::string::npos);
  CHECK(posts_to(s, kApi + "/finance/agreements/") == 2);
  json journal = s.run_json({"journal", "--period", "2026-10", "--company", "253"});
  CHECK(journal.empty());  // nothing journaled for the line not attempted

  httplib::Client c(s.emulator.url());
  c.Delete("/_emulator/faults");
  json next = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  for (const auto& l : sync_lines(next)) CHECK(l["action"] == "create");
  CHECK(s.active_additions("EDR-SEAT", 505).size() == 1);
}
