// Quantity methods: daily snapshots of one series become one quantity for a billing period.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/quantity_method.hpp"

using namespace meterbridge::host::engine;

namespace {

Day d(const char* iso) {
  auto day = parse_iso_date(iso);
  REQUIRE(day.has_value());
  return *day;
}

// The April 2026 period with billing day 1: 30 days.
Period april() {
  return billing_period({2026, 4}, 1);
}

MethodResult run(QuantityMethod m, const std::vector<DailyValue>& values, Period p = april()) {
  return apply_quantity_method(m, Tracking::daily, p, values);
}

}  // namespace

TEST_CASE("Quantity method and tracking names round-trip") {
  for (QuantityMethod m : {QuantityMethod::last, QuantityMethod::max, QuantityMethod::average,
                           QuantityMethod::prorated}) {
    CHECK(parse_quantity_method(to_string(m)) == m);
  }
  CHECK(parse_quantity_method("last") == QuantityMethod::last);
  CHECK(parse_quantity_method("prorated") == QuantityMethod::prorated);
  CHECK_FALSE(parse_quantity_method("Last").has_value());
  CHECK_FALSE(parse_quantity_method("sum").has_value());
  CHECK_FALSE(parse_quantity_method("").has_value());
  CHECK(parse_tracking("daily") == Tracking::daily);
  CHECK(parse_tracking("monthly") == Tracking::monthly);
  CHECK_FALSE(parse_tracking("weekly").has_value());
  CHECK(std::string(to_string(Tracking::monthly)) == "monthly");
  CHECK(static_cast<int32_t>(QuantityMethod::last) == 1);
  CHECK(static_cast<int32_t>(QuantityMethod::prorated) == 4);
  CHECK(static_cast<int32_t>(Tracking::daily) == 1);
  CHECK(std::string(to_string(static_cast<QuantityMethod>(0))) == "unknown");
}

TEST_CASE("Daily tracking with gaps and values outside the period") {
  // April 2026; snapshots on four days with gaps between them, plus one day before and one after
  // the period that must be ignored.
  const std::vector<DailyValue> values = {
      {d("2026-03-31"), 1000},  // outside
      {d("2026-04-01"), 10},   {d("2026-04-05"), 14},  {d("2026-04-10"), 14},
      {d("2026-04-20"), 12},   {d("2026-05-01"), 999},  // outside
  };

  SECTION("last: the latest day with data") {
    auto r = run(QuantityMethod::last, values);
    CHECK(r.quantity == 12);
    CHECK(r.days_with_data == 4);
    CHECK(r.determining_day == d("2026-04-20"));
  }
  SECTION("max: the first day the maximum was reached") {
    auto r = run(QuantityMethod::max, values);
    CHECK(r.quantity == 14);
    CHECK(r.days_with_data == 4);
    CHECK(r.determining_day == d("2026-04-05"));
  }
  SECTION("average: gaps are excluded") {
    auto r = run(QuantityMethod::average, values);
    CHECK(r.quantity == 12.5);  // (10 + 14 + 14 + 12) / 4
    CHECK(r.days_with_data == 4);
    CHECK_FALSE(r.determining_day.has_value());
  }
  SECTION("prorated: gap days count as zero") {
    auto r = run(QuantityMethod::prorated, values);
    CHECK(r.quantity == Approx(50.0 / 30.0).margin(0.00005));
    CHECK(r.quantity == 1.6667);  // rounded to 4 places
    CHECK(r.days_with_data == 4);
    CHECK_FALSE(r.determining_day.has_value());
  }
}

TEST_CASE("Prorated: 10 units for 15 of 30 days is 5") {
  std::vector<DailyValue> values;
  for (Day day = d("2026-04-16"); day <= d("2026-04-30"); ++day) values.push_back({day, 10});
  auto r = run(QuantityMethod::prorated, values);
  CHECK(r.quantity == 5);
  CHECK(r.days_with_data == 15);
  // A full month at 10 prorates to 10; a period of 28 days (February) with 14 days of 7 is 3.5.
  for (Day day = d("2026-04-01"); day < d("2026-04-16"); ++day) values.push_back({day, 10});
  std::sort(values.begin(), values.end(),
            [](const DailyValue& a, const DailyValue& b) { return a.day < b.day; });
  CHECK(run(QuantityMethod::prorated, values).quantity == 10);
  std::vector<DailyValue> feb;
  for (Day day = d("2026-02-15"); day <= d("2026-02-28"); ++day) feb.push_back({day, 7});
  CHECK(run(QuantityMethod::prorated, feb, billing_period({2026, 2}, 1)).quantity == 3.5);
}

TEST_CASE("Late-arriving data changes last only when it is the latest") {
  std::vector<DailyValue> values = {{d("2026-04-03"), 5}, {d("2026-04-10"), 8}};
  CHECK(run(QuantityMethod::last, values).quantity == 8);

  // A value for an earlier day arrives late: inserted in order, last is unchanged.
  values.insert(values.begin() + 1, {d("2026-04-07"), 20});
  auto r = run(QuantityMethod::last, values);
  CHECK(r.quantity == 8);
  CHECK(r.determining_day == d("2026-04-10"));
  CHECK(run(QuantityMethod::max, values).quantity == 20);
  CHECK(run(QuantityMethod::average, values).quantity == 11);

  // A later day arrives: it becomes the last.
  values.push_back({d("2026-04-12"), 6});
  r = run(QuantityMethod::last, values);
  CHECK(r.quantity == 6);
  CHECK(r.determining_day == d("2026-04-12"));
  CHECK(r.days_with_data == 4);
}

TEST_CASE("Corrected data: a day's value replaced") {
  std::vector<DailyValue> values = {
      {d("2026-04-01"), 10}, {d("2026-04-02"), 30}, {d("2026-04-03"), 10}};
  CHECK(run(QuantityMethod::max, values).quantity == 30);
  CHECK(run(QuantityMethod::max, values).determining_day == d("2026-04-02"));
  values[1].quantity = 12;  // the vendor corrected the spike
  auto r = run(QuantityMethod::max, values);
  CHECK(r.quantity == 12);
  CHECK(r.determining_day == d("2026-04-02"));
  CHECK(run(QuantityMethod::average, values).quantity == Approx(32.0 / 3).margin(0.00005));

  SECTION("unsorted input with a duplicate day: ordered, and the later element wins") {
    std::vector<DailyValue> messy = {
        {d("2026-04-03"), 10}, {d("2026-04-01"), 10}, {d("2026-04-02"), 30}, {d("2026-04-02"), 12}};
    auto m = run(QuantityMethod::max, messy);
    CHECK(m.quantity == 12);
    CHECK(m.days_with_data == 3);
    CHECK(run(QuantityMethod::last, messy).determining_day == d("2026-04-03"));
  }
}

TEST_CASE("Max reached on several days: the first one determines") {
  const std::vector<DailyValue> values = {
      {d("2026-04-02"), 3}, {d("2026-04-04"), 9}, {d("2026-04-06"), 9}, {d("2026-04-08"), 1}};
  auto r = run(QuantityMethod::max, values);
  CHECK(r.quantity == 9);
  CHECK(r.determining_day == d("2026-04-04"));
}

TEST_CASE("Empty series and series with nothing in the period") {
  for (QuantityMethod m : {QuantityMethod::last, QuantityMethod::max, QuantityMethod::average,
                           QuantityMethod::prorated}) {
    INFO(to_string(m));
    auto r = run(m, {});
    CHECK(r.quantity == 0);
    CHECK(r.days_with_data == 0);
    CHECK_FALSE(r.determining_day.has_value());
    auto outside = run(m, {{d("2026-03-31"), 4}, {d("2026-05-01"), 4}});
    CHECK(outside.quantity == 0);
    CHECK(outside.days_with_data == 0);
    CHECK_FALSE(outside.determining_day.has_value());
  }
}

TEST_CASE("Zero and fractional quantities") {
  const std::vector<DailyValue> values = {{d("2026-04-01"), 0}, {d("2026-04-02"), 0}};
  auto r = run(QuantityMethod::max, values);
  CHECK(r.quantity == 0);
  CHECK(r.days_with_data == 2);
  CHECK(r.determining_day == d("2026-04-01"));
  // Storage in GB with decimals: 0.1 + 0.2 over two days averages to 0.15.
  CHECK(run(QuantityMethod::average, {{d("2026-04-01"), 0.1}, {d("2026-04-02"), 0.2}}).quantity ==
        0.15);
}

TEST_CASE("Monthly tracking over a period spanning two months") {
  // Billing day 15: the "2026-03" period is Mar 15..Apr 14. March's units are its latest snapshot
  // in the period (Mar 28: 40), April's its latest (Apr 14: 25). Values before Mar 15 are outside.
  const Period p = billing_period({2026, 3}, 15);
  const std::vector<DailyValue> values = {
      {d("2026-03-10"), 500},  // outside
      {d("2026-03-15"), 30},  {d("2026-03-20"), 45}, {d("2026-03-28"), 40},
      {d("2026-04-02"), 60},  {d("2026-04-14"), 25}, {d("2026-04-15"), 999},  // outside
  };
  auto m = [&](QuantityMethod method) {
    return apply_quantity_method(method, Tracking::monthly, p, values);
  };
  auto last = m(QuantityMethod::last);
  CHECK(last.quantity == 25);
  CHECK(last.determining_day == d("2026-04-14"));
  CHECK(last.days_with_data == 5);
  auto max = m(QuantityMethod::max);
  CHECK(max.quantity == 40);  // the 45 and 60 were superseded within their months
  CHECK(max.determining_day == d("2026-03-28"));
  auto avg = m(QuantityMethod::average);
  CHECK(avg.quantity == 32.5);
  CHECK_FALSE(avg.determining_day.has_value());
  CHECK_THROWS_AS(m(QuantityMethod::prorated), std::invalid_argument);
  CHECK_THROWS_AS(apply_quantity_method(QuantityMethod::prorated, Tracking::monthly, p, {}),
                  std::invalid_argument);

  SECTION("the same data tracked daily") {
    CHECK(run(QuantityMethod::max, values, p).quantity == 60);
    CHECK(run(QuantityMethod::average, values, p).quantity == 40);  // 200 / 5
  }
  SECTION("monthly tracking within one calendar month is that month's last snapshot") {
    const std::vector<DailyValue> one = {{d("2026-04-01"), 9}, {d("2026-04-20"), 3}};
    CHECK(apply_quantity_method(QuantityMethod::max, Tracking::monthly, april(), one).quantity ==
          3);
    CHECK(
        apply_quantity_method(QuantityMethod::average, Tracking::monthly, april(), one).quantity ==
        3);
  }
}

TEST_CASE("Invalid methods, tracking and values are programming errors") {
  const std::vector<DailyValue> values = {{d("2026-04-01"), 1}};
  CHECK_THROWS_AS(
      apply_quantity_method(static_cast<QuantityMethod>(0), Tracking::daily, april(), values),
      std::invalid_argument);
  CHECK_THROWS_AS(
      apply_quantity_method(QuantityMethod::last, static_cast<Tracking>(0), april(), values),
      std::invalid_argument);
  CHECK_THROWS_AS(run(QuantityMethod::last, {{d("2026-04-01"), std::nan("")}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(run(QuantityMethod::last, values, Period{d("2026-04-02"), d("2026-04-01")}),
                  std::invalid_argument);
  // A non-finite value outside the period is ignored like any other.
  CHECK(
      run(QuantityMethod::last, {{d("2026-03-01"), std::nan("")}, {d("2026-04-01"), 2}}).quantity ==
      2);
}

TEST_CASE("round_quantity: 4 decimal places, half away from zero") {
  CHECK(round_quantity(0.1 + 0.2) == 0.3);
  CHECK(round_quantity(1.23456) == 1.2346);
  CHECK(round_quantity(1.23454) == 1.2345);
  CHECK(round_quantity(1.00005) == 1.0001);
  CHECK(round_quantity(-1.00005) == -1.0001);
  CHECK(round_quantity(2.5) == 2.5);
  CHECK(round_quantity(12345678.123449) == 12345678.1234);
  const double neg_zero = round_quantity(-0.00001);
  CHECK(neg_zero == 0);
  CHECK_FALSE(std::signbit(neg_zero));
  CHECK_FALSE(std::signbit(round_quantity(-0.0)));
  CHECK(round_quantity(1e15) == 1e15);
  CHECK(std::isinf(round_quantity(INFINITY)));
  // The methods round their results.
  std::vector<DailyValue> thirds = {
      {d("2026-04-01"), 1}, {d("2026-04-02"), 1}, {d("2026-04-03"), 2}};
  CHECK(run(QuantityMethod::average, thirds).quantity == 1.3333);
  CHECK(run(QuantityMethod::prorated, {{d("2026-04-01"), 0.1}, {d("2026-04-02"), 0.2}},
            Period{d("2026-04-01"), d("2026-04-01")})
            .quantity == 0.1);
}

TEST_CASE("rounding to whole units after the 4-decimal rounding") {
  using meterbridge::host::engine::apply_rounding;
  using meterbridge::host::engine::default_rounding;
  using meterbridge::host::engine::parse_rounding;
  using meterbridge::host::engine::QuantityMethod;
  using meterbridge::host::engine::Rounding;
  CHECK(apply_rounding(Rounding::up, 15.1613) == 16);
  CHECK(apply_rounding(Rounding::up, 15.00000001) == 15);  // noise below 4 decimals is not a seat
  CHECK(apply_rounding(Rounding::up, 15) == 15);
  CHECK(apply_rounding(Rounding::down, 15.9999) == 15);
  CHECK(apply_rounding(Rounding::nearest, 15.5) == 16);
  CHECK(apply_rounding(Rounding::nearest, 15.4999) == 15);
  CHECK(apply_rounding(Rounding::none, 15.16134) == 15.1613);
  CHECK_FALSE(std::signbit(apply_rounding(Rounding::up, -0.2)));
  CHECK(default_rounding(QuantityMethod::prorated) == Rounding::up);
  CHECK(default_rounding(QuantityMethod::average) == Rounding::up);
  CHECK(default_rounding(QuantityMethod::max) == Rounding::none);
  CHECK(default_rounding(QuantityMethod::last) == Rounding::none);
  CHECK(parse_rounding("nearest") == Rounding::nearest);
  CHECK_FALSE(parse_rounding("Up"));
  CHECK_FALSE(parse_rounding(""));
}
