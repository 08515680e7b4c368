// The plan from stored usage: methods over gaps, late and corrected days, consolidation,
// included units, and every reason usage is left out.
#include <catch2/catch.hpp>

#include "engine/plan.hpp"
#include "engine_fixture.hpp"

using namespace engine_test;
using meterbridge::host::engine::build_plan;
using meterbridge::host::engine::Plan;
using meterbridge::host::engine::PlanLine;
using meterbridge::host::engine::YearMonth;

namespace {
const YearMonth kOctober{2026, 10};
const Day kLater = day("2026-11-20");  // "today": October is complete

std::vector<std::string> kinds_of(const Plan& p) {
  std::vector<std::string> k;
  for (const auto& e : p.exceptions) k.push_back(e.kind);
  return k;
}
}  // namespace

TEST_CASE("each method over a month with gaps, a late day and a corrected day") {
  for (const char* method : {"last", "max", "average", "prorated"}) {
    DYNAMIC_SECTION(method) {
      EngineFixture f(std::string("methods-") + method);
      // 10 seats on Oct 1-10, nothing Oct 11-20 (gap), 4 seats Oct 21-25.
      for (int d = 1; d <= 10; ++d) {
        f.usage("src", ("2026-10-" + std::string(d < 10 ? "0" : "") + std::to_string(d)).c_str(),
                {{"a", "EP", 10}});
      }
      for (int d = 21; d <= 25; ++d)
        f.usage("src", ("2026-10-" + std::to_string(d)).c_str(), {{"a", "EP", 4}});
      f.map_customer("src", "a", "C1");
      f.map_product("src", "EP", "EDR", method);
      Plan p = build_plan(*f.store, kOctober, kLater);
      const PlanLine* l = find_line(p, "C1", "EDR");
      REQUIRE(l != nullptr);
      const std::string m = method;
      double expected = m == "last"      ? 4
                        : m == "max"     ? 10
                        : m == "average" ? 120.0 / 15
                                         : 120.0 / 31;
      CHECK(l->measured == Approx(expected).margin(1e-4));
      CHECK(l->sources.at(0).days_with_data == 15);

      // A late-arriving day inside the gap and a corrected day change the result.
      f.usage("src", "2026-10-15", {{"a", "EP", 30}});
      f.usage("src", "2026-10-25", {{"a", "EP", 6}});
      p = build_plan(*f.store, kOctober, kLater);
      l = find_line(p, "C1", "EDR");
      double expected2 = m == "last"      ? 6
                         : m == "max"     ? 30
                         : m == "average" ? 152.0 / 16
                                          : 152.0 / 31;
      CHECK(l->measured == Approx(expected2).margin(1e-4));
    }
  }
}

TEST_CASE("several sources and customers consolidate into one company line") {
  EngineFixture f("consolidate");
  f.usage("sophos", "2026-10-05", {{"t1", "EP", 7}, {"t2", "EP", 3}});
  f.usage("datto", "2026-10-05", {{"org-9", "RMM", 5}});
  f.map_customer("sophos", "t1", "C1");
  f.map_customer("sophos", "t2", "C1");
  f.map_customer("datto", "org-9", "C1");
  f.map_product("sophos", "EP", "EDR", "max");
  f.map_product("datto", "RMM", "EDR", "max", 2);  // 2 included
  Plan p = build_plan(*f.store, kOctober, kLater);
  REQUIRE(p.lines.size() == 1);
  CHECK(p.lines[0].measured == 15);
  CHECK(p.lines[0].included == 2);
  CHECK(p.lines[0].quantity == 13);
  CHECK(p.lines[0].sources.size() == 3);
}

TEST_CASE("unmapped, sync-off, removed, ambiguous and excluded usage is listed, never billed") {
  EngineFixture f("exceptions");
  f.usage("src", "2026-10-01", {{"a", "EP", 1}, {"b", "EP", 2}, {"a", "MAIL", 3}, {"a", "NEW", 4}});
  f.map_customer("src", "a", "C1");
  f.map_product("src", "EP", "EDR", "max");
  f.map_product("src", "MAIL", "MAIL", "max");
  Plan p = build_plan(*f.store, kOctober, kLater);
  CHECK(p.lines.size() == 2);
  auto kinds = kinds_of(p);
  CHECK(std::count(kinds.begin(), kinds.end(), "unmapped-customer") == 1);  // b
  CHECK(std::count(kinds.begin(), kinds.end(), "unmapped-product") == 1);   // NEW

  auto m = *f.store->mapping().product_mapping("src", "MAIL");
  m.sync = false;
  f.store->mapping().put_product_mapping(m);
  f.store->mapping().remove_product_mapping("src", "EP");
  p = build_plan(*f.store, kOctober, kLater);
  CHECK(p.lines.empty());
  kinds = kinds_of(p);
  CHECK(std::count(kinds.begin(), kinds.end(), "sync-off") == 1);
  CHECK(std::count(kinds.begin(), kinds.end(), "mapping-removed") == 1);
  CHECK_FALSE(f.store->mapping().product_mapping("src", "EP")->sync);

  // A SKU with two metrics and no chosen metric is ambiguous.
  f.store->usage().store_day("src", day("2026-10-02"),
                             std::vector<store::UsageRecord>{{"a", "", "MAIL", "", "seats", 3},
                                                             {"a", "", "MAIL", "", "mailboxes", 9}},
                             {}, f.run);
  m.sync = true;
  f.store->mapping().put_product_mapping(m);
  p = build_plan(*f.store, kOctober, kLater);
  kinds = kinds_of(p);
  CHECK(std::count(kinds.begin(), kinds.end(), "ambiguous-metric") >= 1);
  m.metric = "mailboxes";
  f.store->mapping().put_product_mapping(m);
  p = build_plan(*f.store, kOctober, kLater);
  REQUIRE(find_line(p, "C1", "MAIL") != nullptr);
  CHECK(find_line(p, "C1", "MAIL")->quantity == 9);

  // The company's own product selection excludes the rest.
  f.store->mapping().put_override({"psa", "C1", std::nullopt, std::vector<std::string>{"src/EP"}});
  p = build_plan(*f.store, kOctober, kLater);
  CHECK(find_line(p, "C1", "MAIL") == nullptr);
  kinds = kinds_of(p);
  CHECK(std::count(kinds.begin(), kinds.end(), "excluded") >= 1);
}

TEST_CASE("days not collected are reported and a running period is marked incomplete") {
  EngineFixture f("missing");
  f.usage("src", "2026-10-01", {{"a", "EP", 1}});
  f.usage("src", "2026-10-03", {{"a", "EP", 1}});
  f.map_customer("src", "a", "C1");
  f.map_product("src", "EP", "EDR", "max");
  Plan p = build_plan(*f.store, kOctober, day("2026-10-03"));
  REQUIRE(p.lines.size() == 1);
  CHECK_FALSE(p.lines[0].complete);
  REQUIRE(p.exceptions.size() == 1);
  CHECK(p.exceptions[0].kind == "missing-days");
  CHECK(p.exceptions[0].quantity == 1);  // Oct 2 only: days after today are not expected yet
  CHECK(p.exceptions[0].reason.find("2026-10-02") != std::string::npos);
}

TEST_CASE("a source billed by month needs one collection per month, not one per day") {
  EngineFixture f("missing-monthly");
  f.usage("src", "2026-10-20", {{"a", "EP", 7}});
  f.map_customer("src", "a", "C1");
  f.map_product("src", "EP", "EDR", "last", 0, "monthly");
  Plan p = build_plan(*f.store, kOctober, kLater);
  REQUIRE(p.lines.size() == 1);
  CHECK(p.lines[0].quantity == 7);
  CHECK(p.exceptions.empty());  // one collection in October is the whole month

  // With a billing day of 15, the period spans Oct 15 - Nov 14: November is missing.
  f.store->mapping().set_setting("billing_day", "15");
  p = build_plan(*f.store, kOctober, kLater);
  REQUIRE(p.exceptions.size() == 1);
  CHECK(p.exceptions[0].kind == "missing-days");
  CHECK(p.exceptions[0].reason == "no collection in 2026-11 (the source is billed by month)");
}

TEST_CASE("a global billing day moves the period and clamps in short months") {
  EngineFixture f("billing-day");
  f.usage("src", "2026-02-27", {{"a", "EP", 3}});
  f.usage("src", "2026-02-28", {{"a", "EP", 8}});
  f.map_customer("src", "a", "C1");
  f.map_product("src", "EP", "EDR", "max");
  f.store->mapping().set_setting("billing_day", "30");
  Plan feb = build_plan(*f.store, YearMonth{2026, 2}, kLater);
  REQUIRE(feb.lines.size() == 1);
  CHECK(meterbridge::host::engine::format_iso_date(feb.lines[0].dates.start) == "2026-02-28");
  CHECK(meterbridge::host::engine::format_iso_date(feb.lines[0].dates.end) == "2026-03-29");
  CHECK(feb.lines[0].quantity == 8);
  Plan jan = build_plan(*f.store, YearMonth{2026, 1}, kLater);
  REQUIRE(jan.lines.size() == 1);
  CHECK(jan.lines[0].quantity == 3);  // Feb 27 belongs to January's period (Jan 30 - Feb 27)
}

TEST_CASE("a product mapped into another PSA than the customer's company is not billed") {
  EngineFixture f("psa-mismatch");
  f.store->mapping().upsert_psa_companies({{"other", "X1", "Acme elsewhere", "manual"}});
  f.usage("src", "2026-10-01", {{"a", "EP", 3}});
  f.store->mapping().map_customer({"src", "a", "other", "X1", "manual", ""});
  f.map_product("src", "EP", "EDR", "max");  // EDR is a line of PSA "psa"
  Plan p = build_plan(*f.store, kOctober, kLater);
  CHECK(p.lines.empty());
  REQUIRE(p.exceptions.size() == 1);
  CHECK(p.exceptions[0].kind == "psa-mismatch");
}

namespace {
// Journals that the PSA now bills `quantity` for (C1, EDR) in `period`, as a sync would.
void journal_billed(EngineFixture& f, const std::string& period, double quantity) {
  store::JournalEntry e;
  e.run_id = f.run;
  e.entry = "outcome";
  e.psa = "psa";
  e.company_id = "C1";
  e.line_id = "EDR";
  e.period = period;
  e.after_qty = quantity;
  e.desired_qty = quantity;
  e.action = "update";
  e.status = "ok";
  f.store->journal().append(e);
}
}  // namespace

TEST_CASE("a line billed before with no usage at all this period is planned at zero") {
  EngineFixture f("no-usage");
  f.usage("src", "2026-09-30", {{"a", "EP", 12}, {"b", "EP", 3}});
  f.map_customer("src", "a", "C1");
  f.map_customer("src", "b", "C2");
  f.map_product("src", "EP", "EDR", "last", 0, "monthly");
  journal_billed(f, "2026-09", 12);
  // October was collected and lists only customer b: a's seats are gone.
  f.usage("src", "2026-10-31", {{"b", "EP", 3}});
  Plan p = build_plan(*f.store, kOctober, kLater);
  const PlanLine* gone = find_line(p, "C1", "EDR");
  REQUIRE(gone != nullptr);
  CHECK(gone->quantity == 0);
  CHECK(gone->no_usage);
  CHECK(gone->sources.empty());
  CHECK(gone->method == "last");
  CHECK(gone->unit_price == 4.5);
  const PlanLine* kept = find_line(p, "C2", "EDR");
  REQUIRE(kept != nullptr);
  CHECK_FALSE(kept->no_usage);

  SECTION("not while the period lacks a collection: a gap is missing data, not zero") {
    f.map_product("src", "EP", "EDR", "last", 0, "daily");
    Plan daily = build_plan(*f.store, kOctober, kLater);
    CHECK(find_line(daily, "C1", "EDR") == nullptr);
    CHECK(kinds_of(daily) == std::vector<std::string>{"missing-days"});
  }
  SECTION("not once the PSA was left at zero") {
    journal_billed(f, "2026-10", 0);
    CHECK(find_line(build_plan(*f.store, kOctober, kLater), "C1", "EDR") == nullptr);
  }
  SECTION("not when the product's mapping was removed (its sync is off)") {
    REQUIRE(f.store->mapping().remove_product_mapping("src", "EP"));
    CHECK(find_line(build_plan(*f.store, kOctober, kLater), "C1", "EDR") == nullptr);
  }
  SECTION("not when the customer is no longer mapped to the company") {
    f.store->mapping().unmap_customer("src", "a");
    // Customer b still feeds C2 only; nothing maps into C1 any more.
    CHECK(find_line(build_plan(*f.store, kOctober, kLater), "C1", "EDR") == nullptr);
  }
  SECTION("not for a period that has not begun") {
    CHECK(find_line(build_plan(*f.store, YearMonth{2026, 12}, kLater), "C1", "EDR") == nullptr);
  }
}
