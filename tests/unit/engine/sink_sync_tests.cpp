// Reconciling a plan into a sink, against an in-memory PSA behind the sink protocol: writes
// only differences, journals intent and outcome, holds steep decreases, and recovers from a
// call that failed after the PSA had already changed.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "engine/plan.hpp"
#include "engine/sink_sync.hpp"
#include "engine_fixture.hpp"
#include "fake_psa.hpp"

using namespace engine_test;
using meterbridge::host::CallResult;
using meterbridge::host::engine::build_plan;
using meterbridge::host::engine::SinkCall;
using meterbridge::host::engine::sync_sink;
using meterbridge::host::engine::SyncOptions;
using meterbridge::host::engine::YearMonth;
using nlohmann::json;

namespace {

const YearMonth kOctober{2026, 10};
const Day kLater = day("2026-11-20");

void two_companies(EngineFixture& f, double a_seats, double b_seats) {
  f.usage("src", "2026-10-01", {{"a", "EP", a_seats}, {"b", "EP", b_seats}});
  f.map_customer("src", "a", "C1");
  f.map_customer("src", "b", "C2");
  f.map_product("src", "EP", "EDR", "last");
}

}  // namespace

TEST_CASE("sync writes differences only and a repeat makes no write") {
  EngineFixture f("sync-basic");
  two_companies(f, 10, 4);
  FakePsa psa;
  auto plan = build_plan(*f.store, kOctober, kLater);
  auto r = sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
  CHECK(r.writes == 2);
  CHECK(psa.writes == 2);
  CHECK(psa.held("C1/EDR") == 10.0);
  auto again = sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
  CHECK(again.writes == 0);
  CHECK(psa.writes == 2);
  for (const auto& l : again.lines) CHECK(l.action == "none");
}

TEST_CASE("a dry run reads but writes neither the PSA nor the journal") {
  EngineFixture f("sync-dry");
  two_companies(f, 10, 4);
  FakePsa psa;
  auto plan = build_plan(*f.store, kOctober, kLater);
  SyncOptions o;
  o.dry_run = true;
  auto r = sync_sink(*f.store, plan, "psa", psa.call(), o, f.run);
  CHECK(psa.writes == 0);
  CHECK(r.lines.at(0).action == "create");
  CHECK(f.store->journal().entries({}).empty());
}

TEST_CASE("an apply call that fails after the PSA changed is completed by the next run") {
  for (bool delta : {false, true}) {
    DYNAMIC_SECTION((delta ? "delta PSA" : "absolute PSA")) {
      EngineFixture f(delta ? "sync-fail-delta" : "sync-fail-abs");
      two_companies(f, 10, 4);
      FakePsa psa;
      psa.delta = delta;
      psa.fail_apply_after = 1;
      auto plan = build_plan(*f.store, kOctober, kLater);
      auto r = sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
      CHECK(r.errors == 2);
      CHECK(psa.writes == 1);  // the first line reached the PSA although the call failed
      psa.fail_apply_after = -1;
      auto r2 = sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
      CHECK(r2.errors == 0);
      CHECK(psa.writes == 2);  // only the missing line was written
      CHECK(psa.held("C1/EDR") == 10.0);
      CHECK(psa.held("C2/EDR") == 4.0);
      if (delta) {
        CHECK(psa.changes["C1/EDR"].size() == 1);
      }
      CHECK(f.store->journal().pending_intents().empty());
    }
  }
}

TEST_CASE("decreases over the threshold and drops to zero are held until approved") {
  EngineFixture f("sync-hold");
  two_companies(f, 10, 10);
  FakePsa psa;
  sync_sink(*f.store, build_plan(*f.store, kOctober, kLater), "psa", psa.call(), {}, f.run);
  // 10 -> 8 is exactly 20 %: written. 10 -> 0 is a drop to zero: held.
  f.usage("src", "2026-10-01", {{"a", "EP", 8}, {"b", "EP", 0}});
  auto plan = build_plan(*f.store, kOctober, kLater);
  auto r = sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
  std::map<std::string, std::string> action;
  for (const auto& l : r.lines) action[l.company_id] = l.action;
  CHECK(action["C1"] == "update");
  CHECK(action["C2"] == "held");
  CHECK(psa.held("C2/EDR") == 10.0);
  CHECK(r.held == 1);
  meterbridge::host::engine::approve_lines(*f.store, plan, "C2", "EDR", f.run);
  auto after = sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
  for (const auto& l : after.lines) {
    if (l.company_id == "C2") CHECK(l.action == "update");
  }
  CHECK(psa.held("C2/EDR") == 0.0);
  // An approval is for one quantity: a different plan is held again.
  f.usage("src", "2026-10-01", {{"a", "EP", 1}, {"b", "EP", 0}});
  auto r3 =
      sync_sink(*f.store, build_plan(*f.store, kOctober, kLater), "psa", psa.call(), {}, f.run);
  for (const auto& l : r3.lines) {
    if (l.company_id == "C1") CHECK(l.action == "held");
  }
}

TEST_CASE("an ambiguous PSA target is an error for that line and nothing is written for it") {
  EngineFixture f("sync-ambiguous");
  two_companies(f, 10, 4);
  FakePsa psa;
  psa.unreadable_company = "C2";
  auto r =
      sync_sink(*f.store, build_plan(*f.store, kOctober, kLater), "psa", psa.call(), {}, f.run);
  CHECK(r.errors == 1);
  CHECK(psa.writes == 1);
  for (const auto& l : r.lines) {
    if (l.company_id == "C2") {
      CHECK(l.action == "error");
      CHECK(l.message.find("two active agreements") != std::string::npos);
    }
  }
}

TEST_CASE("journal entries tie each write to its run and its usage") {
  EngineFixture f("sync-journal");
  two_companies(f, 10, 4);
  FakePsa psa;
  sync_sink(*f.store, build_plan(*f.store, kOctober, kLater), "psa", psa.call(), {}, f.run);
  auto entries = f.store->journal().entries({});
  int intents = 0, outcomes = 0;
  for (const auto& e : entries) {
    CHECK(e.run_id == f.run);
    if (e.entry == "intent") {
      ++intents;
      json prov = json::parse(e.provenance);
      CHECK(prov["sources"].size() == 1);
      CHECK(prov["sources"][0]["last_day"] == "2026-10-01");
    }
    if (e.entry == "outcome") {
      ++outcomes;
      REQUIRE(e.intent_id);
      CHECK(e.status == "ok");
    }
  }
  CHECK(intents == 2);
  CHECK(outcomes == 2);
}

namespace {
// Ten companies C0..C9 with 3 seats each, mapped to EDR.
void ten_companies(EngineFixture& f) {
  std::vector<std::tuple<std::string, std::string, double>> rows;
  std::vector<store::PsaCompany> companies;
  for (int i = 0; i < 10; ++i) {
    const std::string c = "C" + std::to_string(i);
    companies.push_back({"psa", c, "Company " + c, "discovered"});
    rows.push_back({"cust" + std::to_string(i), "EP", 3});
  }
  f.store->mapping().upsert_psa_companies(companies);
  f.usage("src", "2026-10-01", rows);
  for (int i = 0; i < 10; ++i) {
    f.map_customer("src", "cust" + std::to_string(i), "C" + std::to_string(i));
  }
  f.map_product("src", "EP", "EDR", "last");
}
}  // namespace

TEST_CASE(
    "a failing PSA stops the run after N run-wide failures in a row, the rest is not attempted") {
  EngineFixture f("sync-fail-fast");
  ten_companies(f);
  FakePsa psa;
  psa.failing_class = "transient";
  SyncOptions o;
  o.stop_after_failures = 3;
  auto plan = build_plan(*f.store, kOctober, kLater);
  auto r = sync_sink(*f.store, plan, "psa", psa.call(), o, f.run);
  CHECK(psa.apply_lines == 3);  // not 10 lines through their retry cycles
  CHECK(r.not_attempted == 7);
  CHECK(r.errors == 10);
  CHECK(r.stopped.find("3 lines in a row") != std::string::npos);
  int intents = 0;
  for (const auto& e : f.store->journal().entries({})) intents += e.entry == "intent";
  CHECK(intents == 3);  // nothing journaled for the lines not attempted
  for (const auto& l : r.lines) {
    if (l.action == "not-attempted") CHECK(l.message.find("HTTP 500") != std::string::npos);
  }

  SECTION("a line-level refusal does not count, and the next sync carries on") {
    psa.failing_class = "invalid-argument";
    auto again = sync_sink(*f.store, plan, "psa", psa.call(), o, f.run);
    CHECK(again.not_attempted == 0);
    psa.failing_class = "";
    auto fine = sync_sink(*f.store, plan, "psa", psa.call(), o, f.run);
    CHECK(fine.errors == 0);
    CHECK(psa.held("C9/EDR") == 3.0);
  }
}

TEST_CASE("a create without an answer is pending, not created again, until the grace time ends") {
  EngineFixture f("sync-pending");
  two_companies(f, 10, 4);
  FakePsa psa;
  psa.no_answer = {"C1/EDR"};
  int64_t now = 0;
  SyncOptions o;
  o.pending_grace_ms = 60000;
  o.now_ms = [&] { return now; };
  auto plan = build_plan(*f.store, kOctober, kLater);
  auto r = sync_sink(*f.store, plan, "psa", psa.call(), o, f.run);
  std::map<std::string, meterbridge::host::engine::SyncLineResult> line;
  for (const auto& l : r.lines) line[l.company_id] = l;
  CHECK(line["C1"].action == "error");
  CHECK(line["C1"].message.find("may still land") != std::string::npos);
  auto outcome = f.store->journal().latest_outcome("psa", "C1", "EDR", "2026-10");
  REQUIRE(outcome);
  CHECK(outcome->status == "uncertain");

  // At once afterwards: the PSA shows nothing yet, but the line is pending, not created twice.
  auto intent = f.store->journal().unsettled_create("psa", "C1", "EDR", "2026-10");
  REQUIRE(intent);
  psa.no_answer.clear();
  now = meterbridge::host::engine::parse_iso_date(intent->at.substr(0, 10)).value() * 86400000LL +
        ((std::stoi(intent->at.substr(11, 2)) * 60 + std::stoi(intent->at.substr(14, 2))) * 60 +
         std::stoi(intent->at.substr(17, 2))) *
            1000LL +
        5000;
  auto again = sync_sink(*f.store, plan, "psa", psa.call(), o, f.run);
  for (const auto& l : again.lines) {
    if (l.company_id == "C1") {
      CHECK(l.action == "pending");
      CHECK(l.message.find("55 s") != std::string::npos);
    }
  }
  CHECK(again.pending == 1);
  CHECK(psa.held("C1/EDR") == std::nullopt);

  // Once the grace time is over, a line still missing is created.
  now += 60000;
  auto later = sync_sink(*f.store, plan, "psa", psa.call(), o, f.run);
  for (const auto& l : later.lines) {
    if (l.company_id == "C1") CHECK(l.action == "create");
  }
  CHECK(psa.held("C1/EDR") == 10.0);
}

TEST_CASE(
    "duplicates in the PSA are reported with the money at stake and the line is not written") {
  EngineFixture f("sync-duplicates");
  two_companies(f, 10, 4);
  FakePsa psa;
  sync_sink(*f.store, build_plan(*f.store, kOctober, kLater), "psa", psa.call(), {}, f.run);
  psa.duplicates["C1/EDR"] = {10};
  f.usage("src", "2026-10-01", {{"a", "EP", 11}, {"b", "EP", 4}});
  auto plan = build_plan(*f.store, kOctober, kLater);
  const int writes = psa.writes;
  auto r = sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
  CHECK(psa.writes == writes);  // the update to 11 waits until the duplicate is resolved
  CHECK(r.duplicates == 1);
  CHECK(r.errors == 1);
  for (const auto& l : r.lines) {
    if (l.company_id != "C1") continue;
    CHECK(l.action == "duplicate");
    CHECK(l.message.find("dup-1 (10)") != std::string::npos);
    CHECK(l.message.find("45 per period") != std::string::npos);  // 10 x 4.50
  }
  // The plan and the journal know it; a second sync does not journal it again.
  auto p2 = build_plan(*f.store, kOctober, kLater);
  bool reported = false;
  for (const auto& e : p2.exceptions)
    reported = reported || (e.kind == "duplicate" && e.quantity == 10);
  CHECK(reported);
  const auto count = f.store->journal().entries({}).size();
  sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
  CHECK(f.store->journal().entries({}).size() == count);

  // Gone from the PSA: the line is written again and the plan no longer reports it.
  psa.duplicates.clear();
  auto fixed = sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
  CHECK(fixed.duplicates == 0);
  CHECK(psa.held("C1/EDR") == 11.0);
  CHECK(f.store->journal().open_duplicates("2026-10").empty());
}

TEST_CASE("a delta-model sink never receives a fraction") {
  EngineFixture f("sync-delta-fraction");
  for (int d = 1; d <= 31; ++d) {
    char date[16];
    std::snprintf(date, sizeof date, "2026-10-%02d", d);
    f.usage("src", date, {{"a", "EP", d <= 15 ? 10.0 : 20.0}});
  }
  f.map_customer("src", "a", "C1");
  f.map_product("src", "EP", "EDR", "prorated");
  auto m = *f.store->mapping().product_mapping("src", "EP");
  m.rounding = "none";
  f.store->mapping().put_product_mapping(m);
  f.store->mapping().set_setting("quantity_model/psa", "delta");
  FakePsa psa;
  psa.delta = true;
  auto r =
      sync_sink(*f.store, build_plan(*f.store, kOctober, kLater), "psa", psa.call(), {}, f.run);
  REQUIRE(r.lines.size() == 1);
  CHECK(r.lines[0].action == "error");
  CHECK(r.lines[0].message.find("15.1613 is not a whole number") != std::string::npos);
  CHECK(psa.writes == 0);

  m.rounding = "up";
  f.store->mapping().put_product_mapping(m);
  auto rounded =
      sync_sink(*f.store, build_plan(*f.store, kOctober, kLater), "psa", psa.call(), {}, f.run);
  CHECK(rounded.lines[0].action == "create");
  CHECK(psa.held("C1/EDR") == 16.0);
}
