// A sync into ConnectWise killed with SIGKILL in the middle of its writes, with one addition
// already created, one POST reaching ConnectWise while the process dies and one never sent: the
// next sync recovers the journal's intents, adopts what ConnectWise holds, writes only what is
// missing, and no addition is duplicated or lost.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <map>

#include <thread>

#include "cw_setup.hpp"

using nlohmann::json;

namespace {

const std::string kApi = "/v4_6_release/apis/3.0";

int post_count(CwSetup& s) {
  int n = 0;
  for (const auto& r : s.control.requests()) {
    n += r["method"] == "POST" &&
         r["path"].get<std::string>().find("/additions") != std::string::npos;
  }
  return n;
}

}  // namespace

TEST_CASE("a sync killed while a write is in flight is finished by the next, without duplicates") {
  CwSetup s("cw-crash");
  s.map_three_customers();

  // The first addition POST goes through; the second is held for 3 s by ConnectWise, which then
  // creates the addition anyway; the third is never sent.
  s.control.add_fault({{"path_prefix", kApi + "/finance/agreements/"},
                       {"method", "POST"},
                       {"skip", 1},
                       {"kind", "slow"},
                       {"delay_ms", 3000}});

  const pid_t pid = start_meterbridge(
      {"--config", (s.dir / "config.json").string(), "sync", "--period", "2026-10", "--no-collect"},
      {"MB_TEST_CW_KEY=" + s.private_key()}, s.dir / "killed-sync.out", s.dir / "killed-sync.err");
  // Wait until a POST is in flight at ConnectWise, then kill the sync without warning.
  bool in_flight = false;
  for (int i = 0; i < 3000 && !in_flight; ++i) {  // up to 60 s on a loaded machine
    for (const auto& r : s.control.requests()) {
      in_flight = in_flight || (r["method"] == "POST" && r.value("in_flight", false));
    }
    if (!in_flight) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(in_flight);
  REQUIRE(kill(pid, SIGKILL) == 0);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));

  // ConnectWise finishes the held POST after the client is gone.
  for (int i = 0; i < 100; ++i) {
    bool open = false;
    for (const auto& r : s.control.requests()) open = open || r.value("in_flight", false);
    if (!open) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(post_count(s) == 2);

  // The journal holds intents without outcomes for the interrupted writes.
  json journal = s.run_json({"journal", "--period", "2026-10"});
  int intents = 0, outcomes = 0;
  for (const auto& e : journal) {
    intents += e["entry"] == "intent";
    outcomes += e["entry"] == "outcome";
  }
  CHECK(intents == 3);
  CHECK(outcomes == 0);

  json rerun = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  INFO(rerun.dump(2));
  CHECK(rerun["sinks"][0]["recovered"] == 3);
  // The held addition is adopted. The one that never reached ConnectWise is, as far as the
  // host can tell, a create whose answer never came: it is pending (it may still land), not
  // sent a second time, until the grace time (4 x http.timeout_ms by default) is over.
  std::map<std::string, std::string> action;
  for (const auto& l : sync_lines(rerun)) action[l["company"]] = l["action"];
  CHECK(action["251"] == "none");
  CHECK(action["253"] == "pending");
  CHECK(post_count(s) == 2);
  CHECK(rerun["writes"] == 0);

  // With the grace time over, the line still missing is created, once.
  s.set_sync({{"pending_grace_ms", 1}});
  json later = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  INFO(later.dump(2));
  CHECK(post_count(s) == 3);
  CHECK(later["writes"] == 1);
  for (auto [agreement, quantity] : {std::pair{500, 12}, {502, 7}, {505, 5}}) {
    const json owned = s.active_additions("EDR-SEAT", agreement);
    REQUIRE(owned.size() == 1);
    CHECK(owned[0]["quantity"] == quantity);
  }
  // And a third sync has nothing left to do.
  const int writes = s.writes();
  json third = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  CHECK(third["writes"] == 0);
  CHECK(s.writes() == writes);
}
