// Apply batches: small while the PSA may be failing, doubling while it is not, each request
// saying how many writes the run still has to go; a call the sink fails as a whole; and the
// operator's per-company target passed in every line of that company.
#include <catch2/catch.hpp>

#include "engine/duplicate_repair.hpp"
#include "engine/plan.hpp"
#include "engine/sink_sync.hpp"
#include "engine_fixture.hpp"
#include "fake_psa.hpp"

using namespace engine_test;
using meterbridge::host::engine::build_plan;
using meterbridge::host::engine::sync_sink;
using meterbridge::host::engine::SyncOptions;
using meterbridge::host::engine::YearMonth;

namespace {

const YearMonth kOctober{2026, 10};
const Day kLater = day("2026-11-20");

// n companies K000.. with 2 seats each, mapped to EDR, in the plan's order K000, K001, ...
void companies(EngineFixture& f, int n) {
  std::vector<std::tuple<std::string, std::string, double>> rows;
  std::vector<store::PsaCompany> list;
  for (int i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "K%03d", i);
    list.push_back({"psa", id, std::string("Company ") + id, "discovered"});
    rows.push_back({std::string("cust") + id, "EP", 2});
  }
  f.store->mapping().upsert_psa_companies(list);
  f.usage("src", "2026-10-01", rows);
  for (int i = 0; i < n; ++i) f.map_customer("src", std::get<0>(rows[i]), list[i].id);
  f.map_product("src", "EP", "EDR", "last");
}

std::vector<size_t> batch_sizes(const FakePsa& psa) {
  std::vector<size_t> sizes;
  for (const auto& r : psa.apply_requests) sizes.push_back(r["lines"].size());
  return sizes;
}

}  // namespace

TEST_CASE("apply batches double after each clean batch up to 256 lines, with writes_left") {
  EngineFixture f("batch-grow");
  companies(f, 600);
  FakePsa psa;
  SyncOptions o;
  o.stop_after_failures = 100;
  auto r = sync_sink(*f.store, build_plan(*f.store, kOctober, kLater), "psa", psa.call(), o, f.run);
  CHECK(r.writes == 600);
  CHECK(r.errors == 0);
  CHECK(batch_sizes(psa) == std::vector<size_t>{100, 200, 256, 44});
  std::vector<int> left;
  for (const auto& q : psa.apply_requests) left.push_back(q["writes_left"].get<int>());
  CHECK(left == std::vector<int>{600, 500, 300, 44});
}

TEST_CASE("after a run-wide failure the next batch is back to the failures still allowed") {
  EngineFixture f("batch-shrink");
  companies(f, 40);
  FakePsa psa;
  psa.failing_keys = {"K007/EDR"};  // in the second batch (lines 5..14)
  auto r =
      sync_sink(*f.store, build_plan(*f.store, kOctober, kLater), "psa", psa.call(), {}, f.run);
  CHECK(batch_sizes(psa) == std::vector<size_t>{5, 10, 5, 10, 10});
  CHECK(r.errors == 1);
  CHECK(r.stopped.empty());
  CHECK(psa.writes == 39);
}

TEST_CASE("a big batch the sink fails as a whole: the first allowed lines are errors") {
  EngineFixture f("batch-refused");
  companies(f, 40);
  FakePsa psa;
  psa.refuse_apply = MB_E_TRANSIENT;
  psa.refuse_from_call = 2;  // batches of 5 and 10 succeed, the third (20 lines) is refused
  auto plan = build_plan(*f.store, kOctober, kLater);
  auto r = sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
  CHECK(batch_sizes(psa) == std::vector<size_t>{5, 10, 20});
  int errors = 0, not_attempted = 0;
  for (const auto& l : r.lines) {
    errors += l.action == "error";
    not_attempted += l.action == "not-attempted";
    if (l.action == "not-attempted") CHECK(l.message.find("HTTP 503") != std::string::npos);
  }
  CHECK(errors == 5);
  CHECK(not_attempted == 20);  // 15 of the refused batch, 5 never sent: the run stopped
  CHECK(r.not_attempted == 20);
  CHECK_FALSE(r.stopped.empty());
  int error_rows = 0, not_attempted_rows = 0;
  for (const auto& e : f.store->journal().entries({})) {
    if (e.entry != "outcome") continue;
    error_rows += e.status == "error";
    not_attempted_rows += e.status == "not-attempted";
  }
  CHECK(error_rows == 5);
  CHECK(not_attempted_rows == 15);
  CHECK(f.store->journal().pending_intents().empty());  // every intent is settled

  psa.refuse_apply = MB_OK;
  auto next = sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
  CHECK(next.errors == 0);
  CHECK(next.writes == 25);
  CHECK(psa.writes == 40);
}

TEST_CASE("a small batch the sink fails as a whole is all errors, as before") {
  EngineFixture f("batch-refused-small");
  companies(f, 3);
  FakePsa psa;
  psa.refuse_apply = MB_E_INVALID_ARGUMENT;
  SyncOptions o;
  o.stop_after_failures = 3;
  auto r = sync_sink(*f.store, build_plan(*f.store, kOctober, kLater), "psa", psa.call(), o, f.run);
  for (const auto& l : r.lines) CHECK(l.action == "error");
  CHECK(r.errors == 3);
}

TEST_CASE("a company's target goes with every read, apply and remove_duplicates line") {
  EngineFixture f("target-lines");
  f.usage("src", "2026-10-01", {{"a", "EP", 10}, {"b", "EP", 4}});
  f.map_customer("src", "a", "C1");
  f.map_customer("src", "b", "C2");
  f.map_product("src", "EP", "EDR", "last");
  f.store->mapping().put_target("psa", "C1", "8801");
  f.store->mapping().put_target("other-psa", "C2", "9999");  // another sink's: not sent
  FakePsa psa;
  auto plan = build_plan(*f.store, kOctober, kLater);
  sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
  for (const char* op : {"read", "apply"}) {
    REQUIRE(psa.requests[op].size() == 1);
    for (const auto& l : psa.requests[op][0]["lines"]) {
      if (l["company_id"] == "C1") {
        CHECK(l["target"] == "8801");
      } else {
        CHECK_FALSE(l.contains("target"));
      }
    }
  }

  psa.duplicates["C1/EDR"] = {10};
  sync_sink(*f.store, plan, "psa", psa.call(), {}, f.run);
  auto findings = meterbridge::host::engine::open_duplicates(*f.store, "2026-10", "", "");
  REQUIRE(findings.size() == 1);
  meterbridge::host::engine::repair_duplicates(*f.store, findings, "psa", psa.call(), false, f.run);
  REQUIRE(psa.requests["remove_duplicates"].size() == 1);
  CHECK(psa.requests["remove_duplicates"][0]["lines"][0]["target"] == "8801");

  CHECK(f.store->mapping().clear_target("psa", "C1"));
  CHECK_FALSE(f.store->mapping().clear_target("psa", "C1"));
  CHECK(f.store->mapping().targets_of("psa").empty());
  CHECK(f.store->mapping().targets().size() == 1);
}
