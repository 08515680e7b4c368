// Reconciling a plan into a sink, against an in-memory PSA behind the sink protocol: writes
// only differences, journals intent and outcome, holds steep decreases, and recovers from a
// call that failed after the PSA had already changed.
#include <catch2/catch.hpp>

#include <map>

#include "engine/plan.hpp"
#include "engine/sink_sync.hpp"
#include "engine_fixture.hpp"

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

// A PSA that keeps quantities per company/line; in delta mode only a list of signed changes.
struct FakePsa {
  bool delta = false;
  std::map<std::string, std::vector<double>> changes;  // key -> signed changes (delta)
  std::map<std::string, double> quantity;              // key -> absolute
  int writes = 0;
  int fail_apply_after = -1;  // the call fails (as a timeout would) after this many writes
  std::string unreadable_company;

  std::optional<double> held(const std::string& key) const {
    if (delta) {
      auto it = changes.find(key);
      if (it == changes.end()) return std::nullopt;
      double sum = 0;
      for (double c : it->second) sum += c;
      return sum;
    }
    auto it = quantity.find(key);
    if (it == quantity.end()) return std::nullopt;
    return it->second;
  }

  SinkCall call() {
    return [this](const std::string& op, const json& request) -> CallResult {
      json out = json::array();
      for (const auto& l : request["lines"]) {
        std::string key =
            l["company_id"].get<std::string>() + "/" + l["line_id"].get<std::string>();
        json a = {{"key", l["key"]}};
        if (l["company_id"] == unreadable_company) {
          a["error"] = "company has two active agreements of the type";
          out.push_back(a);
          continue;
        }
        auto before = held(key);
        if (op == "read") {
          a["quantity"] = before ? json(*before) : json(nullptr);
          a["ref"] = "ref-" + key;
        } else {
          double want = l["quantity"].get<double>();
          a["before"] = before ? json(*before) : json(nullptr);
          if (before && *before == want) {
            a["action"] = "none";
          } else {
            if (delta) {
              changes[key].push_back(want - before.value_or(0));
            } else {
              quantity[key] = want;
            }
            ++writes;
            a["action"] = before ? "update" : "create";
            if (fail_apply_after >= 0 && writes >= fail_apply_after) {
              return {MB_E_TRANSIENT, "timed out waiting for the PSA"};
            }
          }
          a["after"] = want;
          a["ref"] = "ref-" + key;
        }
        out.push_back(a);
      }
      return {MB_OK, json{{"lines", out}}.dump()};
    };
  }
};

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
