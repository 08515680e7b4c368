#include "engine/executive_report.hpp"

#include <map>
#include <sstream>
#include <stdexcept>

#include "engine/plan.hpp"
#include "engine/reconcile_report.hpp"

namespace meterbridge::host::engine {

namespace {

std::string number(double v) {
  std::ostringstream out;
  out.precision(12);
  out << v;
  return out.str();
}

std::string money(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

ExecutiveReport build_executive_report(store::BillingStore& store, const std::string& psa,
                                       const std::string& company, YearMonth month, Day today,
                                       int32_t months_back) {
  ExecutiveReport r;
  r.company_id = company;
  r.period = format_year_month(month);
  std::vector<YearMonth> months;
  YearMonth m = month;
  for (int32_t i = 0; i < months_back; ++i) {
    months.insert(months.begin(), m);
    m = previous_month(m);
  }
  std::map<std::string, size_t> index;  // line id -> products[]
  for (size_t mi = 0; mi < months.size(); ++mi) {
    r.months.push_back(format_year_month(months[mi]));
    Plan plan = build_plan(store, months[mi], today);
    const bool current = mi + 1 == months.size();
    std::optional<ReconcileReport> reconcile;
    if (current) reconcile = build_reconcile_report(plan, store.journal());
    for (size_t li = 0; li < plan.lines.size(); ++li) {
      const PlanLine& l = plan.lines[li];
      if (l.company_id != company || (!psa.empty() && l.psa != psa)) continue;
      if (r.psa.empty()) r.psa = l.psa;
      if (l.psa != r.psa) continue;
      r.company_name = l.company_name;
      auto [it, fresh] = index.emplace(l.line_id, r.products.size());
      if (fresh) {
        r.products.push_back({l.line_id, l.line_name, 0, std::nullopt, std::nullopt, std::nullopt,
                              std::vector<double>(months.size(), 0.0)});
      }
      ExecutiveProduct& p = r.products[it->second];
      p.history[mi] = l.quantity;
      if (!current) continue;
      r.dates = l.dates;
      p.quantity = l.quantity;
      p.unit_price = l.unit_price;
      for (const auto& rl : reconcile->lines) {
        if (rl.line == &l) {
          p.billed = rl.billed;
          p.value = rl.value;
        }
      }
      if (p.value) r.total_value = r.total_value.value_or(0) + *p.value;
    }
  }
  if (r.psa.empty()) {
    throw std::runtime_error("no billing for company " + company + " in " + r.months.front() +
                             ".." + r.period +
                             " (is it a mapped PSA company? see `meterbridge map list`)");
  }
  return r;
}

std::string executive_title(const ExecutiveReport& r) {
  return "Executive summary " + r.period + ": " + r.company_name;
}

std::string executive_text(const ExecutiveReport& r) {
  std::ostringstream out;
  out << "Executive summary for " << r.company_name << ", " << r.period << "\n";
  if (r.dates.end) {
    out << "Billing period: " << format_iso_date(r.dates.start) << " to "
        << format_iso_date(r.dates.end) << "\n";
  }
  out << "\nUsage and billing:\n";
  for (const auto& p : r.products) {
    out << "- " << p.line_name << ": " << number(p.quantity) << " in use, billed "
        << (p.billed ? number(*p.billed) : std::string("nothing yet"));
    if (p.value) out << ", value " << money(*p.value);
    out << "\n";
  }
  if (r.total_value) out << "Total value: " << money(*r.total_value) << "\n";
  if (r.detections) {
    const DetectionCounts t = r.detections->total();
    out << "\nEmail security: " << t.total_messages << " messages scanned, " << t.spam << " spam, "
        << t.phishing << " phishing, " << t.malware << " malware, " << t.blocked << " blocked\n";
  }
  out << "\nSent by meterbridge.\n";
  return out.str();
}

}  // namespace meterbridge::host::engine
