#include "engine/reconcile_report.hpp"

#include <cmath>
#include <map>

#include "engine/quantity_method.hpp"

namespace meterbridge::host::engine {

ReconcileReport build_reconcile_report(const Plan& plan, store::JournalStore& journal) {
  ReconcileReport r;
  r.plan = &plan;
  std::map<std::string, store::JournalEntry> duplicates;
  for (auto& d : journal.open_duplicates(plan.period)) {
    duplicates.emplace(d.psa + '\x1f' + d.company_id + '\x1f' + d.line_id, std::move(d));
  }
  for (const auto& l : plan.lines) {
    ReconcileLine rl;
    rl.line = &l;
    if (auto known = journal.last_known(l.psa, l.company_id, l.line_id, l.period)) {
      rl.billed = known->after_qty;
      rl.billed_at = known->at;
    }
    // The PSA bills the duplicates too: they are part of what is billed.
    auto d = duplicates.find(l.psa + '\x1f' + l.company_id + '\x1f' + l.line_id);
    if (d != duplicates.end()) {
      rl.duplicate = d->second.message;
      rl.billed = rl.billed.value_or(d->second.after_qty.value_or(0)) + duplicate_extra(d->second);
      rl.billed_at = d->second.at;
      ++r.lines_duplicated;
    }
    if (l.unit_price) {
      rl.value = std::round(l.quantity * *l.unit_price * 100.0) / 100.0;
      r.value_total += *rl.value;
    }
    if (rl.billed) {
      rl.difference = round_quantity(l.quantity - *rl.billed);
      if (std::fabs(*rl.difference) > 1e-9) ++r.lines_differing;
      if (l.unit_price) {
        rl.money = std::round(*rl.difference * *l.unit_price * 100.0) / 100.0;
        r.money_total += *rl.money;
      }
    } else {
      ++r.lines_unknown;
    }
    r.lines.push_back(rl);
  }
  r.money_total = std::round(r.money_total * 100.0) / 100.0;
  r.value_total = std::round(r.value_total * 100.0) / 100.0;
  return r;
}

nlohmann::json reconcile_report_to_json(const ReconcileReport& r) {
  using nlohmann::json;
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json lines = json::array();
  for (const auto& rl : r.lines) {
    const PlanLine& l = *rl.line;
    lines.push_back({{"psa", l.psa},
                     {"company", l.company_id},
                     {"company_name", l.company_name},
                     {"line", l.line_id},
                     {"line_name", l.line_name},
                     {"period_start", format_iso_date(l.dates.start)},
                     {"period_end", format_iso_date(l.dates.end)},
                     {"measured", l.measured},
                     {"included", l.included},
                     {"planned", l.quantity},
                     {"billed", opt(rl.billed)},
                     {"billed_at", rl.billed ? json(rl.billed_at) : json(nullptr)},
                     {"difference", opt(rl.difference)},
                     {"unit_price", opt(l.unit_price)},
                     {"money", opt(rl.money)},
                     {"value", opt(rl.value)},
                     {"complete", l.complete},
                     {"target", l.target.empty() ? json(nullptr) : json(l.target)},
                     {"target_name", l.target_name},
                     {"duplicate", rl.duplicate.empty() ? json(nullptr) : json(rl.duplicate)}});
  }
  json unbilled = json::array();
  for (const auto& e : r.plan->exceptions) unbilled.push_back(plan_exception_to_json(e));
  json out = {{"schema", "reconcile.v1"},
              {"period", r.plan->period},
              {"totals",
               {{"lines", r.lines.size()},
                {"differing", r.lines_differing},
                {"unknown", r.lines_unknown},
                {"duplicated", r.lines_duplicated},
                {"money", r.money_total},
                {"value", r.value_total}}}};
  out["lines"] = std::move(lines);  // moved, not copied: a month can hold 100,000 lines
  out["unbilled"] = std::move(unbilled);
  return out;
}

}  // namespace meterbridge::host::engine
