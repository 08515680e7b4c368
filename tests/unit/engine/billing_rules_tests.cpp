// The billing rules an accountant signs (README "Billing rules"): a collected day without a
// record is zero, consolidated lines follow the customer's daily total, included units apply
// once per line, whole units by the mapping's rounding rule, and which month snapshots monthly
// tracking takes when the billing day is mid-month.
#include <catch2/catch.hpp>

#include <cstdio>
#include <optional>

#include "engine/plan.hpp"
#include "engine/quantity_method.hpp"
#include "engine_fixture.hpp"

using namespace engine_test;
using meterbridge::host::engine::build_plan;
using meterbridge::host::engine::format_iso_date;
using meterbridge::host::engine::Plan;
using meterbridge::host::engine::PlanLine;
using meterbridge::host::engine::YearMonth;

namespace {
const YearMonth kOctober{2026, 10};
const Day kLater = day("2026-11-20");  // October is complete

std::string october(int d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "2026-10-%02d", d);
  return buf;
}

// The line of a fresh plan, copied (the plan is a temporary).
std::optional<PlanLine> line_of(EngineFixture& f, const std::string& company,
                                const std::string& line) {
  Plan p = build_plan(*f.store, kOctober, kLater);
  const PlanLine* l = find_line(p, company, line);
  return l ? std::optional<PlanLine>(*l) : std::nullopt;
}

bool has_kind(const Plan& p, const std::string& kind) {
  for (const auto& e : p.exceptions) {
    if (e.kind == kind) return true;
  }
  return false;
}

void set_rounding(EngineFixture& f, const std::string& source, const std::string& sku,
                  const std::string& rounding) {
  auto m = *f.store->mapping().product_mapping(source, sku);
  m.rounding = rounding;
  f.store->mapping().put_product_mapping(m);
}
}  // namespace

// Customer "a": 10 seats Oct 1-10; gone from Oct 11 (collected, not listed) to Oct 20; 6 seats
// again Oct 21-25; Oct 26 never collected; collected without "a" Oct 27-31. Customer "b" keeps
// the source's days collected (it is listed every collected day).
TEST_CASE("a collected day without a record is zero, a day never collected is no data") {
  for (const char* method : {"last", "max", "average", "prorated"}) {
    DYNAMIC_SECTION(method) {
      EngineFixture f(std::string("zero-days-") + method);
      for (int d = 1; d <= 31; ++d) {
        if (d == 26) continue;  // never collected
        std::vector<std::tuple<std::string, std::string, double>> rows = {{"b", "EP", 1}};
        if (d <= 10) rows.push_back({"a", "EP", 10});
        if (d >= 21 && d <= 25) rows.push_back({"a", "EP", 6});
        f.usage("src", october(d).c_str(), rows);
      }
      f.map_customer("src", "a", "C1");
      f.map_product("src", "EP", "EDR", method);
      set_rounding(f, "src", "EP", "none");
      Plan p = build_plan(*f.store, kOctober, kLater);
      const PlanLine* l = find_line(p, "C1", "EDR");
      REQUIRE(l != nullptr);
      const std::string m = method;
      // Days with a value: 1-25 and 27-31 (30 days); values 10 x10, 0 x10, 6 x5, 0 x5.
      const double expected = m == "last"      ? 0  // the seats vanished: last is 0, not 6
                              : m == "max"     ? 10
                              : m == "average" ? 130.0 / 30  // zeros count, Oct 26 does not
                                               : 130.0 / 31;
      CHECK(l->measured == Approx(expected).margin(1e-4));
      CHECK(l->sources.at(0).days_with_data == 30);
      CHECK(has_kind(p, "missing-days"));  // Oct 26
      if (m == "last") CHECK(format_iso_date(*l->determining_day) == "2026-10-31");
    }
  }
}

TEST_CASE("a series that first appears mid-period is not zero before its first day") {
  EngineFixture f("zero-days-new");
  for (int d = 1; d <= 31; ++d) {
    std::vector<std::tuple<std::string, std::string, double>> rows = {{"b", "EP", 1}};
    if (d >= 11) rows.push_back({"a", "EP", 8});
    f.usage("src", october(d).c_str(), rows);
  }
  f.map_customer("src", "a", "C1");
  f.map_product("src", "EP", "EDR", "average");
  Plan p = build_plan(*f.store, kOctober, kLater);
  REQUIRE(find_line(p, "C1", "EDR") != nullptr);
  CHECK(find_line(p, "C1", "EDR")->measured == 8);  // a new customer, not 21 x 8 / 31
}

TEST_CASE("a consolidated line bills the method over the customer's daily total") {
  EngineFixture f("consolidated-peak");
  // Two vendor customers of one company: 20 seats on Oct 3 (t1), 15 on Oct 20 (t2); 10 each on
  // the other days. The company never used more than 25 on one day.
  for (int d = 1; d <= 31; ++d) {
    f.usage("src", october(d).c_str(),
            {{"t1", "EP", d == 3 ? 20.0 : 10.0}, {"t2", "EP", d == 20 ? 15.0 : 10.0}});
  }
  f.map_customer("src", "t1", "C1");
  f.map_customer("src", "t2", "C1");
  f.map_product("src", "EP", "EDR", "max");
  Plan p = build_plan(*f.store, kOctober, kLater);
  const PlanLine* l = find_line(p, "C1", "EDR");
  REQUIRE(l != nullptr);
  CHECK(l->quantity == 30);  // max of the daily totals (30 on Oct 3), not 20 + 15 = 35
  CHECK(format_iso_date(*l->determining_day) == "2026-10-03");
  REQUIRE(l->sources.size() == 2);  // the per-customer breakdown stays in the provenance
  CHECK(l->sources[0].quantity + l->sources[1].quantity == 35);
}

TEST_CASE("included units apply once per line, not once per mapping") {
  EngineFixture f("included-once");
  f.usage("sophos", "2026-10-05", {{"t1", "EP", 12}, {"t1", "EP2", 8}});
  f.map_customer("sophos", "t1", "C1");
  f.map_product("sophos", "EP", "EDR", "max", 5);
  f.map_product("sophos", "EP2", "EDR", "max", 5);
  Plan p = build_plan(*f.store, kOctober, kLater);
  REQUIRE(p.lines.size() == 1);
  CHECK(p.lines[0].measured == 20);
  CHECK(p.lines[0].included == 5);
  CHECK(p.lines[0].quantity == 15);  // not 20 - 10
}

TEST_CASE("mappings into one line that disagree on the method are left out, not guessed") {
  EngineFixture f("conflicting-rules");
  f.usage("sophos", "2026-10-05", {{"t1", "EP", 12}, {"t1", "EP2", 8}});
  f.map_customer("sophos", "t1", "C1");
  f.map_product("sophos", "EP", "EDR", "max");
  f.map_product("sophos", "EP2", "EDR", "last");
  Plan p = build_plan(*f.store, kOctober, kLater);
  CHECK(p.lines.empty());
  int conflicts = 0;
  for (const auto& e : p.exceptions) {
    if (e.kind != "conflicting-rules") continue;
    ++conflicts;
    CHECK(e.reason.find("EDR") != std::string::npos);
  }
  CHECK(conflicts == 2);
}

TEST_CASE("whole units: rounding after included units, by the mapping's rule") {
  EngineFixture f("rounding");
  // 15 seats for 16 days, 16 for 15 days: prorated 15.4839, average the same.
  for (int d = 1; d <= 31; ++d)
    f.usage("src", october(d).c_str(), {{"a", "EP", d <= 16 ? 15 : 16}});
  f.map_customer("src", "a", "C1");
  const double exact = (15.0 * 16 + 16.0 * 15) / 31;

  SECTION("prorated rounds up by default") {
    f.map_product("src", "EP", "EDR", "prorated");
    const auto l = line_of(f, "C1", "EDR");
    REQUIRE(l);
    CHECK(l->measured == Approx(exact).margin(1e-4));
    CHECK(l->quantity == 16);
    CHECK(l->rounding == "up");
  }
  SECTION("after included units: 15.4839 - 0.5 = 14.9839, nearest 15") {
    f.map_product("src", "EP", "EDR", "average", 0.5);
    set_rounding(f, "src", "EP", "nearest");
    const auto l = line_of(f, "C1", "EDR");
    REQUIRE(l);
    CHECK(l->quantity == 15);
  }
  SECTION("down and none") {
    f.map_product("src", "EP", "EDR", "prorated");
    set_rounding(f, "src", "EP", "down");
    CHECK(line_of(f, "C1", "EDR")->quantity == 15);
    set_rounding(f, "src", "EP", "none");
    CHECK(line_of(f, "C1", "EDR")->quantity == Approx(exact).margin(1e-4));
  }
  SECTION("max keeps its value by default") {
    f.map_product("src", "EP", "EDR", "max");
    const auto l = line_of(f, "C1", "EDR");
    CHECK(l->quantity == 16);
    CHECK(l->rounding == "none");
  }
}

TEST_CASE("monthly tracking with billing day 15 takes October's last and the period's last day") {
  EngineFixture f("monthly-mid");
  f.store->mapping().set_setting("billing_day", "15");  // period 2026-10: Oct 15 - Nov 14
  f.usage("src", "2026-10-14", {{"a", "EP", 99}});      // September's period: not this one
  f.usage("src", "2026-10-20", {{"a", "EP", 7}});
  f.usage("src", "2026-10-31", {{"a", "EP", 9}});  // October's snapshot
  f.usage("src", "2026-11-10", {{"a", "EP", 4}});
  f.usage("src", "2026-11-14", {{"a", "EP", 5}});   // November's snapshot: the period's last day
  f.usage("src", "2026-11-15", {{"a", "EP", 50}});  // November's period: not this one
  f.map_customer("src", "a", "C1");

  f.map_product("src", "EP", "EDR", "last", 0, "monthly");
  const auto last = line_of(f, "C1", "EDR");
  REQUIRE(last);
  CHECK(last->quantity == 5);
  CHECK(format_iso_date(*last->determining_day) == "2026-11-14");

  f.map_product("src", "EP", "EDR", "max", 0, "monthly");
  const auto max = line_of(f, "C1", "EDR");
  REQUIRE(max);
  CHECK(max->quantity == 9);  // October's snapshot (Oct 31), not the Oct 14 or Nov 15 values
  CHECK(format_iso_date(*max->determining_day) == "2026-10-31");

  f.map_product("src", "EP", "EDR", "average", 0, "monthly");
  set_rounding(f, "src", "EP", "none");
  CHECK(line_of(f, "C1", "EDR")->quantity == 7);  // (9+5)/2
}
