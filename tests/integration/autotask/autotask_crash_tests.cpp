// A sync into Autotask killed with SIGKILL while an adjustment POST is in flight: Autotask
// applies it after the process is gone. The next sync reads the units, finds them as desired and
// posts nothing more; no adjustment is ever posted twice, none is lost.
#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "at_bed.hpp"

using nlohmann::json;

TEST_CASE("a sync killed with an adjustment in flight is finished by the next, once") {
  AtBed s("at-crash");
  s.map_customers();
  REQUIRE(s.run({"sync", "--period", "2026-11", "--no-collect"}).exit_code == 0);
  // An increase of every line: +3 each. The second POST is held for 3 s and then applied.
  s.recollect(
      "2026-11-30,t-1,Contoso,RMM,Datto RMM,devices,33\n"
      "2026-11-30,t-1,Contoso,CMU,Compliance,users,15\n"
      "2026-11-30,t-2,Fabrikam,RMM,Datto RMM,devices,10\n");
  s.control.add_fault({{"path_prefix", "/ATServicesRest/V1.0/ContractServiceAdjustments"},
                       {"method", "POST"},
                       {"skip", 1},
                       {"kind", "slow"},
                       {"delay_ms", 3000}});
  const pid_t pid = start_meterbridge(
      {"--config", (s.dir / "config.json").string(), "sync", "--period", "2026-11", "--no-collect"},
      {"MB_TEST_AT_SECRET=" + s.secret(), "MB_TEST_AT_CODE=" + s.integration_code()},
      s.dir / "killed.out", s.dir / "killed.err");
  bool in_flight = false;
  for (int i = 0; i < 3000 && !in_flight; ++i) {
    for (const auto& r : s.control.requests()) {
      in_flight = in_flight || (r["method"] == "POST" && r.value("fault", "") == "slow" &&
                                r.value("in_flight", false));
    }
    if (!in_flight) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(in_flight);
  REQUIRE(kill(pid, SIGKILL) == 0);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));

  // Still in flight: the next sync must not post it again. The two that landed are confirmed
  // from the units; the one in flight may still land, so it is pending.
  const json early = s.sync_json();
  INFO(early.dump(2));
  CHECK(early["sinks"][0]["writes"] == 0);
  // The held POST, and at most one more: the writes overlap, so the kill can come before the
  // third one's answer was journaled (its request starts after the held one's; on a loaded
  // machine, or with the answers crossing from a meterbridge-runner, that window is wider).
  // Either way nothing is posted again, which the end of this test checks.
  CHECK(early["sinks"][0]["pending"] >= 1);
  CHECK(early["sinks"][0]["pending"] <= 2);
  for (int i = 0; i < 100; ++i) {  // Autotask finishes the held POST
    bool open = false;
    for (const auto& r : s.control.requests()) open = open || r.value("in_flight", false);
    if (!open) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  s.sync = {{"pending_grace_ms", 1}};
  s.write_config();
  const json later = s.sync_json();
  INFO(later.dump(2));
  const json third = s.sync_json();
  CHECK(third["sinks"][0]["writes"] == 0);

  CHECK(s.units(201, 301) == 33);
  CHECK(s.units(201, 302) == 15);
  CHECK(s.units(202, 301) == 10);
  // 3 creates + exactly one +3 per line.
  const json adjustments = s.adjustments();
  CHECK(adjustments.size() == 6u);
  for (size_t i = 3; i < adjustments.size(); ++i) CHECK(adjustments[i]["unitChange"] == 3);
}
