// The plan as JSON (plan.v1): what `plan --format json` prints and the journal's provenance.
#include <ostream>

#include "engine/plan.hpp"

namespace meterbridge::host::engine {

nlohmann::json plan_source_to_json(const PlanSource& s) {
  nlohmann::json j = {{"source", s.source},
                      {"customer_id", s.customer_id},
                      {"customer_name", s.customer_name},
                      {"sku", s.sku},
                      {"metric", s.metric},
                      {"quantity", s.quantity},
                      {"days_with_data", s.days_with_data}};
  j["first_day"] = s.first_day ? nlohmann::json(format_iso_date(*s.first_day)) : nullptr;
  j["last_day"] = s.last_day ? nlohmann::json(format_iso_date(*s.last_day)) : nullptr;
  j["determining_day"] =
      s.determining_day ? nlohmann::json(format_iso_date(*s.determining_day)) : nullptr;
  return j;
}

nlohmann::json plan_exception_to_json(const PlanException& e) {
  nlohmann::json j = {
      {"kind", e.kind}, {"source", e.source}, {"reason", e.reason}, {"quantity", e.quantity}};
  if (!e.customer_id.empty()) {
    j["customer_id"] = e.customer_id;
    j["customer_name"] = e.customer_name;
  }
  if (!e.sku.empty()) {
    j["sku"] = e.sku;
    j["metric"] = e.metric;
  }
  if (!e.company_id.empty()) {
    j["psa"] = e.psa;
    j["company"] = e.company_id;
  }
  return j;
}

nlohmann::json plan_line_to_json(const PlanLine& l) {
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& s : l.sources) sources.push_back(plan_source_to_json(s));
  nlohmann::json j = {{"psa", l.psa},
                      {"company", l.company_id},
                      {"company_name", l.company_name},
                      {"line", l.line_id},
                      {"line_name", l.line_name},
                      {"period", l.period},
                      {"period_start", format_iso_date(l.dates.start)},
                      {"period_end", format_iso_date(l.dates.end)},
                      {"billing_day", l.billing_day},
                      {"measured", l.measured},
                      {"included", l.included},
                      {"quantity", l.quantity},
                      {"method", l.method},
                      {"tracking", l.tracking},
                      {"rounding", l.rounding},
                      {"unit_price", l.unit_price ? nlohmann::json(*l.unit_price) : nullptr},
                      {"complete", l.complete},
                      {"no_usage", l.no_usage}};
  j["determining_day"] =
      l.determining_day ? nlohmann::json(format_iso_date(*l.determining_day)) : nullptr;
  j["sources"] = std::move(sources);
  j["target"] =
      l.target.empty()
          ? nlohmann::json(nullptr)
          : nlohmann::json{{"id", l.target}, {"name", l.target_name}, {"from", l.target_from}};
  return j;
}

// Written line by line: a month of 10,000 customers is tens of megabytes of JSON, and a tree of
// it would cost several times that in memory.
void write_plan_json(std::ostream& out, const Plan& plan) {
  out << "{\"schema\": \"plan.v1\", \"period\": " << nlohmann::json(plan.period).dump()
      << ", \"today\": " << nlohmann::json(format_iso_date(plan.today)).dump() << ",\n\"lines\": [";
  const char* separator = "\n";
  for (const auto& l : plan.lines) {
    out << separator << plan_line_to_json(l).dump();
    separator = ",\n";
  }
  out << "\n],\n\"exceptions\": [";
  separator = "\n";
  for (const auto& e : plan.exceptions) {
    out << separator << plan_exception_to_json(e).dump();
    separator = ",\n";
  }
  out << "\n]}\n";
}

}  // namespace meterbridge::host::engine
