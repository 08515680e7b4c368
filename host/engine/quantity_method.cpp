#include "engine/quantity_method.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace meterbridge::host::engine {
namespace {

bool valid(QuantityMethod m) {
  switch (m) {
    case QuantityMethod::last:
    case QuantityMethod::max:
    case QuantityMethod::average:
    case QuantityMethod::prorated:
      return true;
  }
  return false;
}

bool valid(Tracking t) {
  return t == Tracking::daily || t == Tracking::monthly;
}

// The values inside the period, ordered by day, one per day (the later element wins a tie).
std::vector<DailyValue> in_period(const Period& period, const std::vector<DailyValue>& values) {
  std::vector<DailyValue> kept;
  kept.reserve(values.size());
  bool sorted = true;
  for (const DailyValue& v : values) {
    if (!period.contains(v.day)) continue;
    if (!std::isfinite(v.quantity)) {
      throw std::invalid_argument("non-finite quantity on " + format_iso_date(v.day));
    }
    if (!kept.empty() && v.day <= kept.back().day) sorted = false;
    kept.push_back(v);
  }
  if (!sorted) {
    std::stable_sort(kept.begin(), kept.end(),
                     [](const DailyValue& a, const DailyValue& b) { return a.day < b.day; });
    std::vector<DailyValue> unique;
    unique.reserve(kept.size());
    for (const DailyValue& v : kept) {
      if (!unique.empty() && unique.back().day == v.day) {
        unique.back() = v;  // the later element of a tie wins
      } else {
        unique.push_back(v);
      }
    }
    kept = std::move(unique);
  }
  return kept;
}

// last / max / average over an ordered series (the days are the determining candidates).
MethodResult summarise(QuantityMethod method, const std::vector<DailyValue>& series) {
  MethodResult r;
  if (series.empty()) return r;
  switch (method) {
    case QuantityMethod::last:
      r.quantity = series.back().quantity;
      r.determining_day = series.back().day;
      break;
    case QuantityMethod::max: {
      const DailyValue* best = &series.front();
      for (const DailyValue& v : series) {
        if (v.quantity > best->quantity) best = &v;  // strict: the first day the max was reached
      }
      r.quantity = best->quantity;
      r.determining_day = best->day;
      break;
    }
    case QuantityMethod::average: {
      double sum = 0;
      for (const DailyValue& v : series) sum += v.quantity;
      r.quantity = sum / static_cast<double>(series.size());
      break;
    }
    case QuantityMethod::prorated:
      break;  // handled by the caller
  }
  return r;
}

}  // namespace

std::optional<QuantityMethod> parse_quantity_method(std::string_view text) {
  if (text == "last") return QuantityMethod::last;
  if (text == "max") return QuantityMethod::max;
  if (text == "average") return QuantityMethod::average;
  if (text == "prorated") return QuantityMethod::prorated;
  return std::nullopt;
}

const char* to_string(QuantityMethod method) {
  switch (method) {
    case QuantityMethod::last:
      return "last";
    case QuantityMethod::max:
      return "max";
    case QuantityMethod::average:
      return "average";
    case QuantityMethod::prorated:
      return "prorated";
  }
  return "unknown";
}

std::optional<Tracking> parse_tracking(std::string_view text) {
  if (text == "daily") return Tracking::daily;
  if (text == "monthly") return Tracking::monthly;
  return std::nullopt;
}

const char* to_string(Tracking tracking) {
  switch (tracking) {
    case Tracking::daily:
      return "daily";
    case Tracking::monthly:
      return "monthly";
  }
  return "unknown";
}

MethodResult apply_quantity_method(QuantityMethod method, Tracking tracking, const Period& period,
                                   const std::vector<DailyValue>& values) {
  if (!valid(method)) {
    throw std::invalid_argument("invalid quantity method " +
                                std::to_string(static_cast<int32_t>(method)));
  }
  if (!valid(tracking)) {
    throw std::invalid_argument("invalid tracking " +
                                std::to_string(static_cast<int32_t>(tracking)));
  }
  if (method == QuantityMethod::prorated && tracking == Tracking::monthly) {
    throw std::invalid_argument("the prorated quantity method needs daily tracking");
  }
  if (period.end < period.start) {
    throw std::invalid_argument("empty period " + format_iso_date(period.start) + ".." +
                                format_iso_date(period.end));
  }

  const std::vector<DailyValue> days = in_period(period, values);
  MethodResult r;
  if (days.empty()) return r;

  if (tracking == Tracking::daily) {
    if (method == QuantityMethod::prorated) {
      double sum = 0;
      for (const DailyValue& v : days) sum += v.quantity;
      r.quantity = sum / static_cast<double>(period.days());
    } else {
      r = summarise(method, days);
    }
  } else {
    // One value per calendar month: the latest snapshot dated in it.
    std::vector<DailyValue> months;
    YearMonth current{};
    for (const DailyValue& v : days) {
      YearMonth ym = year_month_of(v.day);
      if (!months.empty() && ym == current) {
        months.back() = v;
      } else {
        months.push_back(v);
        current = ym;
      }
    }
    r = summarise(method, months);
  }
  r.days_with_data = static_cast<int32_t>(days.size());
  r.quantity = round_quantity(r.quantity);
  return r;
}

std::optional<Rounding> parse_rounding(std::string_view text) {
  if (text == "up") return Rounding::up;
  if (text == "down") return Rounding::down;
  if (text == "nearest") return Rounding::nearest;
  if (text == "none") return Rounding::none;
  return std::nullopt;
}

const char* to_string(Rounding rounding) {
  switch (rounding) {
    case Rounding::up:
      return "up";
    case Rounding::down:
      return "down";
    case Rounding::nearest:
      return "nearest";
    case Rounding::none:
      return "none";
  }
  return "unknown";
}

Rounding default_rounding(QuantityMethod method) {
  return method == QuantityMethod::prorated || method == QuantityMethod::average ? Rounding::up
                                                                                 : Rounding::none;
}

double apply_rounding(Rounding rounding, double q) {
  const double exact = round_quantity(q);
  if (!std::isfinite(exact)) return exact;
  switch (rounding) {
    case Rounding::up:
      return std::ceil(exact) + 0.0;  // + 0.0: ceil(-0.x) is -0
    case Rounding::down:
      return std::floor(exact) + 0.0;
    case Rounding::nearest:
      return std::round(exact) + 0.0;
    case Rounding::none:
      return exact;
  }
  throw std::invalid_argument("invalid rounding " + std::to_string(static_cast<int32_t>(rounding)));
}

double round_quantity(double q) {
  if (!std::isfinite(q)) return q;
  constexpr double scale = 10000.0;
  // Past 2^52 / scale a double has no fractional digits left to round.
  if (std::fabs(q) >= 4.5e11) return q == 0 ? 0.0 : q;
  double scaled = q * scale;
  // A few ULPs of slack so a decimal half (1.00005 stored as 1.0000499999...) rounds away from
  // zero.
  double nudge = std::fabs(scaled) * 4 * std::numeric_limits<double>::epsilon();
  double rounded = std::round(scaled + std::copysign(nudge, scaled)) / scale;
  return rounded == 0 ? 0.0 : rounded;
}

}  // namespace meterbridge::host::engine
