// A sink that takes signed changes (quantity model "delta") must never receive a write twice:
// any write without an answer keeps its line pending for the grace time, unless what the PSA
// holds now shows that it landed. Absolute sinks keep the create-only rule.
#include <catch2/catch.hpp>

#include "engine/plan.hpp"
#include "engine/sink_sync.hpp"
#include "engine_fixture.hpp"
#include "fake_psa.hpp"

using namespace engine_test;
using meterbridge::host::engine::build_plan;
using meterbridge::host::engine::SyncLineResult;
using meterbridge::host::engine::SyncOptions;
using meterbridge::host::engine::YearMonth;

namespace {

const YearMonth kOctober{2026, 10};
const Day kLater = day("2026-11-20");

// The journal's "2026-11-25T15:04:05Z" in Unix milliseconds.
int64_t ms_of(const std::string& at) {
  return meterbridge::host::engine::parse_iso_date(at.substr(0, 10)).value() * 86400000LL +
         ((std::stoi(at.substr(11, 2)) * 60 + std::stoi(at.substr(14, 2))) * 60 +
          std::stoi(at.substr(17, 2))) *
             1000LL;
}

SyncLineResult line_of(const meterbridge::host::engine::SyncReport& r, const std::string& c) {
  for (const auto& l : r.lines) {
    if (l.company_id == c) return l;
  }
  FAIL("no line for " << c);
  return {};
}

// C1 at 10 and C2 at 4 seats, written once; then C1 goes to 12.
struct DeltaCase {
  EngineFixture f;
  FakePsa psa;
  SyncOptions o;
  int64_t now = 0;

  DeltaCase(const std::string& name, bool delta) : f(name) {
    f.usage("src", "2026-10-01", {{"a", "EP", 10}, {"b", "EP", 4}});
    f.map_customer("src", "a", "C1");
    f.map_customer("src", "b", "C2");
    f.map_product("src", "EP", "EDR", "last");
    if (delta) f.store->mapping().set_setting("quantity_model/psa", "delta");
    psa.delta = delta;
    o.pending_grace_ms = 60000;
    o.now_ms = [this] { return now; };
    sync();
    f.usage("src", "2026-10-01", {{"a", "EP", 12}, {"b", "EP", 4}});
  }
  meterbridge::host::engine::SyncReport sync() {
    return meterbridge::host::engine::sync_sink(*f.store, build_plan(*f.store, kOctober, kLater),
                                                "psa", psa.call(), o, f.run);
  }
  // The clock just after the line's latest unsettled write.
  void clock_after_write(int64_t ms) {
    auto intent = f.store->journal().unsettled_write("psa", "C1", "EDR", "2026-10");
    REQUIRE(intent);
    now = ms_of(intent->at) + ms;
  }
};

}  // namespace

TEST_CASE("delta sink: an update without an answer is pending, then written once") {
  DeltaCase c("delta-pending-update", true);
  c.psa.no_answer = {"C1/EDR"};
  auto first = c.sync();
  CHECK(line_of(first, "C1").action == "error");
  c.psa.no_answer.clear();
  c.clock_after_write(5000);

  auto again = c.sync();
  CHECK(line_of(again, "C1").action == "pending");
  CHECK(line_of(again, "C1").message.find("the update of intent") != std::string::npos);
  CHECK(line_of(again, "C1").message.find("55 s") != std::string::npos);
  CHECK(again.pending == 1);
  CHECK(c.psa.changes["C1/EDR"].size() == 1);  // the +2 was not sent again

  c.now += 60000;
  auto later = c.sync();
  CHECK(line_of(later, "C1").action == "update");
  CHECK(c.psa.held("C1/EDR") == 12.0);
  CHECK(c.psa.changes["C1/EDR"] == std::vector<double>{10, 2});
  CHECK(c.sync().writes == 0);
}

TEST_CASE("delta sink: a cancel without an answer is pending too") {
  DeltaCase c("delta-pending-cancel", true);
  c.f.usage("src", "2026-10-01", {{"a", "EP", 0}, {"b", "EP", 4}});
  auto plan = build_plan(*c.f.store, kOctober, kLater);
  meterbridge::host::engine::approve_lines(*c.f.store, plan, "C1", "EDR", c.f.run);
  c.psa.no_answer = {"C1/EDR"};
  c.sync();
  c.psa.no_answer.clear();
  c.clock_after_write(1000);
  auto again = c.sync();
  CHECK(line_of(again, "C1").action == "pending");
  CHECK(line_of(again, "C1").message.find("the cancel of intent") != std::string::npos);
  CHECK(c.psa.held("C1/EDR") == 10.0);
}

TEST_CASE("delta sink: an unanswered write that landed is confirmed from the units") {
  DeltaCase c("delta-landed", true);
  c.psa.lands_unanswered = {"C1/EDR"};
  auto first = c.sync();
  CHECK(line_of(first, "C1").action == "error");
  CHECK(c.psa.held("C1/EDR") == 12.0);  // it landed although no answer came
  c.psa.lands_unanswered.clear();
  c.clock_after_write(1000);

  auto again = c.sync();
  CHECK(line_of(again, "C1").action == "none");
  CHECK(again.pending == 0);
  CHECK(again.writes == 0);
  CHECK(c.psa.changes["C1/EDR"] == std::vector<double>{10, 2});

  SECTION("and a new plan is written at once, from what the PSA holds") {
    c.f.usage("src", "2026-10-01", {{"a", "EP", 13}, {"b", "EP", 4}});
    auto next = c.sync();
    CHECK(line_of(next, "C1").action == "update");
    CHECK(c.psa.changes["C1/EDR"] == std::vector<double>{10, 2, 1});
  }
}

TEST_CASE("delta sink: an intent a crash left without outcome is pending unless it landed") {
  DeltaCase c("delta-crash", true);
  // The run stopped between intent and outcome: the intent is journaled, the PSA unchanged.
  auto plan = build_plan(*c.f.store, kOctober, kLater);
  store::JournalEntry e;
  e.run_id = c.f.run;
  e.entry = "intent";
  e.psa = "psa";
  e.company_id = "C1";
  e.line_id = "EDR";
  e.period = "2026-10";
  e.period_start = plan.lines.at(0).dates.start;
  e.period_end = plan.lines.at(0).dates.end;
  e.before_qty = 10;
  e.desired_qty = 12;
  e.action = "update";
  c.f.store->journal().append(e);
  c.clock_after_write(2000);

  auto again = c.sync();
  CHECK(again.recovered == 1);
  CHECK(line_of(again, "C1").action == "pending");
  CHECK(c.psa.held("C1/EDR") == 10.0);

  SECTION("landed late: the PSA holds 12, so nothing is pending or written") {
    c.psa.changes["C1/EDR"].push_back(2);
    auto landed = c.sync();
    CHECK(line_of(landed, "C1").action == "none");
    CHECK(landed.pending == 0);
    CHECK(c.psa.changes["C1/EDR"].size() == 2);
  }
}

TEST_CASE("absolute sink: an update without an answer is sent again at once, as before") {
  DeltaCase c("absolute-uncertain-update", false);
  c.psa.no_answer = {"C1/EDR"};
  c.sync();
  c.psa.no_answer.clear();
  c.clock_after_write(1000);
  auto again = c.sync();
  CHECK(line_of(again, "C1").action == "update");
  CHECK(again.pending == 0);
  CHECK(c.psa.held("C1/EDR") == 12.0);
}
