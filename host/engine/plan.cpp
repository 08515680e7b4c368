#include "engine/plan.hpp"

#include <algorithm>
#include <map>
#include <ostream>
#include <set>
#include <unordered_map>

#include "engine/quantity_method.hpp"

namespace meterbridge::host::engine {
namespace {

std::string join_key(std::initializer_list<std::string_view> parts) {
  std::string k;
  for (auto p : parts) k.append(p).push_back('\x1f');
  return k;
}

// The snapshots of one series that fall in the period, one per day.
std::vector<DailyValue> days_in(const std::vector<store::UsageRun>& runs, const Period& p) {
  std::vector<DailyValue> out;
  for (const auto& r : runs) {
    Day from = std::max(r.first_day, p.start), to = std::min(r.last_day, p.end);
    for (Day d = from; d <= to; ++d) out.push_back({d, r.quantity});
  }
  return out;
}

struct MappingShare {
  double measured = 0;
  double included = 0;
};

struct LineBuild {
  PlanLine line;
  std::map<std::string, MappingShare> shares;  // per product mapping (source/sku)
  std::set<std::string> methods, trackings;
};

// What `source` has not collected of [from, min(to, today)]: the days, or for a source billed by
// month (one collection answers a whole month) the months without any collection.
std::vector<std::string> missing_collections(store::UsageStore& usage, const std::string& source,
                                             bool monthly, Day from, Day to, Day today) {
  std::vector<std::string> missing;
  const Day last = std::min(to, today);
  if (last < from) return missing;
  std::set<Day> have;
  for (Day d : usage.collected_days(source, from, last)) have.insert(d);
  if (!monthly) {
    for (Day d = from; d <= last; ++d) {
      if (!have.count(d)) missing.push_back(format_iso_date(d));
    }
    return missing;
  }
  std::set<std::string> months_had;
  for (Day d : have) months_had.insert(format_year_month(year_month_of(d)));
  std::set<std::string> months_missing;
  for (Day d = from; d <= last; ++d) {
    std::string month = format_year_month(year_month_of(d));
    if (!months_had.count(month)) months_missing.insert(month);
  }
  return {months_missing.begin(), months_missing.end()};
}

}  // namespace

int32_t global_billing_day(store::MappingStore& mapping) {
  auto v = mapping.setting("billing_day");
  return v ? std::stoi(*v) : 1;
}

Plan build_plan(store::BillingStore& store, YearMonth ym, Day today) {
  Plan plan;
  plan.period = format_year_month(ym);
  plan.today = today;
  store::MappingStore& m = store.mapping();

  const int32_t global_day = global_billing_day(m);
  const Period global = billing_period(ym, global_day);
  Day lo = global.start, hi = global.end;

  std::unordered_map<std::string, store::CompanyOverride> overrides;
  for (auto& o : m.overrides()) {
    if (o.billing_day) {
      Period p = billing_period(ym, *o.billing_day);
      lo = std::min(lo, p.start);
      hi = std::max(hi, p.end);
    }
    overrides.emplace(join_key({o.psa, o.company_id}), std::move(o));
  }
  std::unordered_map<std::string, store::CustomerMapping> customers;
  for (auto& c : m.customer_mappings()) {
    customers.emplace(join_key({c.source, c.customer_id}), std::move(c));
  }
  std::unordered_map<std::string, store::ProductMapping> products;
  for (auto& p : m.product_mappings()) products.emplace(join_key({p.source, p.sku}), std::move(p));
  std::unordered_map<std::string, std::string> company_names, line_names, customer_names;
  std::unordered_map<std::string, std::optional<double>> line_prices;
  for (const auto& c : m.psa_companies()) company_names[join_key({c.psa, c.id})] = c.name;
  for (const auto& l : m.psa_lines()) {
    line_names[join_key({l.psa, l.id})] = l.name;
    line_prices[join_key({l.psa, l.id})] = l.unit_price;
  }
  for (const auto& c : store.usage().customers()) {
    customer_names[join_key({c.source, c.id})] = c.name;
  }
  std::unordered_map<std::string, size_t> metric_count;  // (source, sku) -> metrics ever seen
  auto metrics_seen = [&](const std::string& source, const std::string& sku) {
    auto [it, fresh] = metric_count.try_emplace(join_key({source, sku}), 0);
    if (fresh) it->second = store.usage().metrics_of(source, sku).size();
    return it->second;
  };

  // Names, dates and price of a new line of the plan.
  auto start_line = [&](PlanLine& l, const std::string& psa, const std::string& company_id,
                        const std::string& line_id, const Period& period, int32_t day) {
    l.psa = psa;
    l.company_id = company_id;
    l.company_name = company_names[join_key({psa, company_id})];
    l.line_id = line_id;
    l.line_name = line_names[join_key({psa, line_id})];
    l.period = plan.period;
    l.dates = period;
    l.billing_day = day;
    l.complete = period.end < today;
    l.unit_price = line_prices[join_key({psa, line_id})];
  };
  std::map<std::string, LineBuild> lines;
  std::set<std::string> billed_sources;   // billed with daily tracking: every day counts
  std::set<std::string> monthly_sources;  // monthly only: one collection per month suffices
  for (const store::SeriesUsage& s : store.usage().usage_between(lo, hi)) {
    const std::string ckey = join_key({s.source, s.customer_id});
    const auto cm = customers.find(ckey);
    const auto pm = products.find(join_key({s.source, s.sku}));
    const store::ProductMapping* product = pm == products.end() ? nullptr : &pm->second;

    Period period = global;
    int32_t day = global_day;
    const store::CompanyOverride* override_ = nullptr;
    if (cm != customers.end()) {
      auto o = overrides.find(join_key({cm->second.psa, cm->second.company_id}));
      if (o != overrides.end()) {
        override_ = &o->second;
        if (override_->billing_day) {
          day = *override_->billing_day;
          period = billing_period(ym, day);
        }
      }
    }
    std::vector<DailyValue> values = days_in(s.runs, period);
    if (values.empty()) continue;

    QuantityMethod method = QuantityMethod::max;
    Tracking tracking = Tracking::daily;
    if (product) {
      method = parse_quantity_method(product->method).value_or(QuantityMethod::max);
      tracking = parse_tracking(product->tracking).value_or(Tracking::daily);
    }
    MethodResult result = apply_quantity_method(method, tracking, period, values);

    PlanException ex;
    ex.source = s.source;
    ex.customer_id = s.customer_id;
    ex.customer_name = customer_names[ckey];
    ex.sku = s.sku;
    ex.metric = s.metric;
    ex.quantity = result.quantity;
    if (cm != customers.end()) {
      ex.psa = cm->second.psa;
      ex.company_id = cm->second.company_id;
    }
    auto leave_out = [&](const char* kind, std::string reason) {
      ex.kind = kind;
      ex.reason = std::move(reason);
      plan.exceptions.push_back(ex);
    };
    if (cm == customers.end()) {
      leave_out("unmapped-customer", std::string("vendor customer is not mapped to a PSA company") +
                                         (product ? "" : " (its product is not mapped either)"));
      continue;
    }
    if (!product) {
      leave_out("unmapped-product", "product (source, SKU) is not mapped to a PSA line");
      continue;
    }
    if (!product->line_id) {
      leave_out("mapping-removed", "the product's mapping was removed, so its sync is off");
      continue;
    }
    if (*product->psa != cm->second.psa) {
      leave_out("psa-mismatch", "the product is mapped to a line of PSA '" + *product->psa +
                                    "' but the customer's company is in PSA '" + cm->second.psa +
                                    "'");
      continue;
    }
    if (!product->sync) {
      leave_out("sync-off", "the product mapping's sync switch is off");
      continue;
    }
    if (!product->metric.empty() && product->metric != s.metric) {
      leave_out("unbilled-metric", "the product mapping bills metric '" + product->metric + "'");
      continue;
    }
    if (product->metric.empty() && metrics_seen(s.source, s.sku) > 1) {
      leave_out("ambiguous-metric",
                "the SKU reports several metrics; choose one with `map product ... --metric`");
      continue;
    }
    if (override_ && override_->products) {
      const auto& allowed = *override_->products;
      if (std::find(allowed.begin(), allowed.end(), s.source + "/" + s.sku) == allowed.end()) {
        leave_out("excluded", "excluded by the company's own product selection");
        continue;
      }
    }

    const std::string& psa = *product->psa;
    const std::string lkey = join_key({cm->second.psa, cm->second.company_id, *product->line_id});
    LineBuild& b = lines[lkey];
    if (b.line.line_id.empty()) {
      start_line(b.line, psa, cm->second.company_id, *product->line_id, period, day);
    }
    if (product->unit_price) b.line.unit_price = product->unit_price;
    MappingShare& share = b.shares[s.source + "/" + s.sku];
    share.measured += result.quantity;
    share.included = product->included;
    b.methods.insert(product->method);
    b.trackings.insert(product->tracking);
    PlanSource src{
        s.source,          s.customer_id,         ex.customer_name,      s.sku,
        s.metric,          result.quantity,       result.days_with_data, values.front().day,
        values.back().day, result.determining_day};
    b.line.sources.push_back(std::move(src));
    (tracking == Tracking::monthly ? monthly_sources : billed_sources).insert(s.source);
  }

  // A line meterbridge left billing a quantity, with no usage at all this period: the vendor
  // stopped listing the customer's seats (Sophos lists only what is used). It is planned at 0,
  // so that the sink holds the drop until approved and then cancels, instead of the PSA billing
  // the old quantity for ever. Only while the line is still mapped with sync on, and only when
  // every mapped source was collected throughout the period: a gap is missing data, not zero.
  for (const store::JournalEntry& last : store.journal().last_known_lines(plan.period)) {
    if (!last.after_qty || *last.after_qty <= 0) continue;
    const std::string lkey = join_key({last.psa, last.company_id, last.line_id});
    if (lines.count(lkey)) continue;
    Period period = global;
    int32_t day = global_day;
    const auto o = overrides.find(join_key({last.psa, last.company_id}));
    const store::CompanyOverride* override_ = o == overrides.end() ? nullptr : &o->second;
    if (override_ && override_->billing_day) {
      day = *override_->billing_day;
      period = billing_period(ym, day);
    }
    std::set<std::string> company_sources;
    for (const auto& [ckey, c] : customers) {
      if (c.psa == last.psa && c.company_id == last.company_id) company_sources.insert(c.source);
    }
    std::vector<const store::ProductMapping*> mapped;
    for (const auto& [pkey, p] : products) {
      if (!p.psa || *p.psa != last.psa || !p.line_id || *p.line_id != last.line_id || !p.sync ||
          !company_sources.count(p.source)) {
        continue;
      }
      if (override_ && override_->products &&
          std::find(override_->products->begin(), override_->products->end(),
                    p.source + "/" + p.sku) == override_->products->end()) {
        continue;
      }
      mapped.push_back(&p);
    }
    if (mapped.empty()) continue;
    bool collected = true;
    for (const store::ProductMapping* p : mapped) {
      const bool monthly = p->tracking == "monthly";
      (monthly ? monthly_sources : billed_sources).insert(p->source);
      collected =
          collected && period.start <= today &&  // a period not yet begun has no evidence
          missing_collections(store.usage(), p->source, monthly, period.start, period.end, today)
              .empty();
    }
    if (!collected) continue;
    LineBuild& b = lines[lkey];
    start_line(b.line, last.psa, last.company_id, last.line_id, period, day);
    b.line.no_usage = true;
    for (const store::ProductMapping* p : mapped) {
      if (p->unit_price) b.line.unit_price = p->unit_price;
      b.methods.insert(p->method);
      b.trackings.insert(p->tracking);
    }
  }

  for (auto& [key, b] : lines) {
    auto join = [](const std::set<std::string>& set) {
      std::string out;
      for (const auto& v : set) out += (out.empty() ? "" : ",") + v;
      return out;
    };
    b.line.method = join(b.methods);
    b.line.tracking = join(b.trackings);
    for (const auto& [mapping, share] : b.shares) {
      b.line.measured += share.measured;
      b.line.included += std::min(share.included, share.measured);
      b.line.quantity += std::max(0.0, share.measured - share.included);
    }
    b.line.measured = round_quantity(b.line.measured);
    b.line.included = round_quantity(b.line.included);
    b.line.quantity = round_quantity(b.line.quantity);
    plan.lines.push_back(std::move(b.line));
  }

  // Days that should have been collected but were not: a gap reads as zero usage for
  // `prorated` and may hide a peak for `max`, so it is always reported. A source billed by month
  // (Sophos answers a whole month at once) needs one collection in each month reached so far.
  for (const std::string& source : billed_sources) {
    std::vector<std::string> missing =
        missing_collections(store.usage(), source, false, lo, hi, today);
    if (missing.empty()) continue;
    const int32_t expected = std::min(hi, today) - lo + 1;
    std::string shown;
    for (size_t i = 0; i < missing.size() && i < 10; ++i) {
      shown += (shown.empty() ? "" : ", ") + missing[i];
    }
    PlanException ex;
    ex.kind = "missing-days";
    ex.source = source;
    ex.quantity = static_cast<double>(missing.size());
    ex.reason = std::to_string(missing.size()) + " of " + std::to_string(expected) +
                " days not collected (" + shown + (missing.size() > 10 ? ", ..." : "") + ")";
    plan.exceptions.push_back(ex);
  }
  for (const std::string& source : monthly_sources) {
    if (billed_sources.count(source)) continue;  // already checked day by day
    std::vector<std::string> missing =
        missing_collections(store.usage(), source, true, lo, hi, today);
    if (missing.empty()) continue;
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    PlanException ex;
    ex.kind = "missing-days";
    ex.source = source;
    ex.quantity = static_cast<double>(missing.size());
    ex.reason = "no collection in " + list + " (the source is billed by month)";
    plan.exceptions.push_back(ex);
  }
  return plan;
}

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
                      {"unit_price", l.unit_price ? nlohmann::json(*l.unit_price) : nullptr},
                      {"complete", l.complete},
                      {"no_usage", l.no_usage}};
  j["sources"] = std::move(sources);
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
