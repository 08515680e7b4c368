// Daily usage kept as compact runs: exact per day, one row per unchanged stretch, idempotent.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "store/billing_store.hpp"
#include "store_test_support.hpp"

using namespace meterbridge::host::store;

namespace {

UsageRecord rec(const std::string& customer, double q, const std::string& sku = "SKU") {
  return {customer, customer + " Inc", sku, sku + " name", "seats", q};
}

int64_t run_id(BillingStore& s) {
  return s.journal().begin_run("test");
}

std::vector<UsageRun> runs_of(BillingStore& s, const std::string& customer) {
  for (auto& series : s.usage().usage_between(-100000, 100000)) {
    if (series.customer_id == customer) return series.runs;
  }
  return {};
}

}  // namespace

TEST_CASE("an unchanged quantity extends one run instead of adding a row per day") {
  BillingStore s(fresh_store_path("extend"));
  int64_t run = run_id(s);
  for (Day d = 100; d < 131; ++d) s.usage().store_day("src", d, {rec("a", 5)}, {}, run);
  CHECK(s.usage().run_count() == 1);
  auto runs = runs_of(s, "a");
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].first_day == 100);
  CHECK(runs[0].last_day == 130);
  s.usage().store_day("src", 131, {rec("a", 6)}, {}, run);
  CHECK(s.usage().run_count() == 2);
}

TEST_CASE("storing a day twice stores the same state and reports it unchanged") {
  BillingStore s(fresh_store_path("idempotent"));
  int64_t run = run_id(s);
  auto first = s.usage().store_day("src", 10, {rec("a", 1), rec("b", 2)}, {}, run);
  CHECK(first.added == 2);
  CHECK(first.first_collection);
  auto again = s.usage().store_day("src", 10, {rec("a", 1), rec("b", 2)}, {}, run);
  CHECK(again.added == 0);
  CHECK(again.unchanged == 2);
  CHECK_FALSE(again.first_collection);
  CHECK(s.usage().run_count() == 2);
}

TEST_CASE("a corrected day splits its run and a late day merges its neighbours") {
  BillingStore s(fresh_store_path("split-merge"));
  int64_t run = run_id(s);
  for (Day d = 1; d <= 5; ++d) s.usage().store_day("src", d, {rec("a", 3)}, {}, run);
  auto changed = s.usage().store_day("src", 3, {rec("a", 9)}, {}, run);
  CHECK(changed.changed == 1);
  auto runs = runs_of(s, "a");
  REQUIRE(runs.size() == 3);
  CHECK(s.usage().value_on("src", {"a", "SKU", "seats"}, 3) == 9.0);
  CHECK(s.usage().value_on("src", {"a", "SKU", "seats"}, 4) == 3.0);
  // Correcting it back merges the three runs into one again.
  s.usage().store_day("src", 3, {rec("a", 3)}, {}, run);
  CHECK(runs_of(s, "a").size() == 1);
  // A day reported late, filling a gap between two equal runs, joins them.
  s.usage().store_day("src", 7, {rec("a", 3)}, {}, run);
  CHECK(runs_of(s, "a").size() == 2);
  s.usage().store_day("src", 6, {rec("a", 3)}, {}, run);
  runs = runs_of(s, "a");
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].last_day == 7);
}

TEST_CASE("a series missing from a re-collected day is removed for that day only") {
  BillingStore s(fresh_store_path("remove"));
  int64_t run = run_id(s);
  for (Day d = 1; d <= 3; ++d) s.usage().store_day("src", d, {rec("a", 2), rec("b", 4)}, {}, run);
  auto r = s.usage().store_day("src", 2, {rec("a", 2)}, {}, run);
  CHECK(r.removed == 1);
  CHECK(r.unchanged == 1);
  CHECK_FALSE(s.usage().value_on("src", {"b", "SKU", "seats"}, 2));
  CHECK(s.usage().value_on("src", {"b", "SKU", "seats"}, 1) == 4.0);
  CHECK(s.usage().value_on("src", {"b", "SKU", "seats"}, 3) == 4.0);
  // Another source's series are never touched by this source's days.
  s.usage().store_day("other", 2, {rec("z", 1)}, {}, run);
  s.usage().store_day("src", 2, {rec("a", 2)}, {}, run);
  CHECK(s.usage().value_on("other", {"z", "SKU", "seats"}, 2) == 1.0);
}

TEST_CASE("a rejected row keeps the stored value of its series for the day") {
  BillingStore s(fresh_store_path("keep"));
  int64_t run = run_id(s);
  s.usage().store_day("src", 1, {rec("a", 2), rec("b", 4)}, {}, run);
  auto r = s.usage().store_day("src", 1, {rec("a", 2)}, {SeriesKey{"b", "SKU", "seats"}}, run);
  CHECK(r.kept == 1);
  CHECK(r.removed == 0);
  CHECK(s.usage().value_on("src", {"b", "SKU", "seats"}, 1) == 4.0);
}

TEST_CASE("two records of one series on one day are refused and nothing is stored") {
  BillingStore s(fresh_store_path("dup"));
  int64_t run = run_id(s);
  CHECK_THROWS_WITH(s.usage().store_day("src", 1, {rec("a", 2), rec("a", 3)}, {}, run),
                    Catch::Contains("two records for customer a"));
  CHECK(s.usage().run_count() == 0);
  CHECK(s.usage().collected_days("src", 0, 10).empty());
  CHECK(s.usage().customers().empty());
}

TEST_CASE("random collections, corrections and removals keep every day's value exact") {
  BillingStore s(fresh_store_path("random"));
  int64_t run = run_id(s);
  std::mt19937 rng(12345);
  std::map<std::pair<std::string, Day>, double> truth;  // (customer, day) -> value
  std::map<Day, std::map<std::string, double>> by_day;
  const std::vector<std::string> customers = {"a", "b", "c", "d"};
  for (int step = 0; step < 400; ++step) {
    Day day = static_cast<Day>(rng() % 40);
    auto& snapshot = by_day[day];
    for (const auto& c : customers) {
      int roll = static_cast<int>(rng() % 10);
      if (roll < 2) {
        snapshot.erase(c);
      } else if (roll < 5) {
        snapshot[c] = static_cast<double>(rng() % 3);
      }  // else keep what the day had
    }
    std::vector<UsageRecord> records;
    for (const auto& [c, q] : snapshot) records.push_back(rec(c, q));
    s.usage().store_day("src", day, records, {}, run);
    for (const auto& c : customers) truth.erase({c, day});
    for (const auto& [c, q] : snapshot) truth[{c, day}] = q;
  }
  for (const auto& c : customers) {
    for (Day d = 0; d < 40; ++d) {
      auto stored = s.usage().value_on("src", {c, "SKU", "seats"}, d);
      auto it = truth.find({c, d});
      INFO("customer " << c << " day " << d);
      if (it == truth.end()) {
        CHECK_FALSE(stored);
      } else {
        REQUIRE(stored);
        CHECK(*stored == it->second);
      }
    }
    // Compact: no two adjacent runs with the same quantity, no overlaps.
    auto runs = runs_of(s, c);
    for (size_t i = 1; i < runs.size(); ++i) {
      CHECK(runs[i].first_day > runs[i - 1].last_day);
      if (runs[i].first_day == runs[i - 1].last_day + 1) {
        CHECK(runs[i].quantity != runs[i - 1].quantity);
      }
    }
  }
}

TEST_CASE("a second writer on the same file is noticed: cached runs are reloaded") {
  auto file = fresh_store_path("two-writers");
  BillingStore a(file);
  BillingStore b(file);
  int64_t run = run_id(a);
  a.usage().store_day("src", 1, {rec("x", 5)}, {}, run);
  a.usage().store_day("src", 2, {rec("x", 5)}, {}, run);
  // Another process corrects day 2 and adds day 3 with a new value.
  b.usage().store_day("src", 2, {rec("x", 7)}, {}, run);
  b.usage().store_day("src", 3, {rec("x", 7), rec("y", 1)}, {}, run);
  // The first store object goes on from its cache; it must not extend a run it no longer knows.
  auto r = a.usage().store_day("src", 4, {rec("x", 7), rec("y", 1)}, {}, run);
  CHECK(r.unchanged == 0);
  CHECK(r.added == 2);
  CHECK(a.usage().value_on("src", {"x", "SKU", "seats"}, 1) == 5.0);
  CHECK(a.usage().value_on("src", {"x", "SKU", "seats"}, 2) == 7.0);
  CHECK(a.usage().value_on("src", {"x", "SKU", "seats"}, 4) == 7.0);
  auto runs = runs_of(a, "x");
  REQUIRE(runs.size() == 2);
  CHECK(runs[1].first_day == 2);
  CHECK(runs[1].last_day == 4);
}
