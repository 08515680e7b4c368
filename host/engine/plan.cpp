// The plan of a period: usage series -> mapped lines -> daily totals -> quantity method ->
// included units -> rounding. The rules are stated in plan.hpp and the README.
#include "engine/plan.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "engine/quantity_method.hpp"
#include "store/agreement_store.hpp"

namespace meterbridge::host::engine {
namespace {

std::string join_key(std::initializer_list<std::string_view> parts) {
  std::string k;
  for (auto p : parts) k.append(p).push_back('\x1f');
  return k;
}

std::string join(const std::set<std::string>& set) {
  std::string out;
  for (const auto& v : set) out += (out.empty() ? "" : ",") + v;
  return out;
}

// How a line's quantity is computed; every mapping feeding one line must give the same.
struct LineRule {
  QuantityMethod method = QuantityMethod::max;
  Tracking tracking = Tracking::daily;
  Rounding rounding = Rounding::none;
  bool operator==(const LineRule&) const = default;
  std::string text() const {
    return std::string(to_string(method)) + "/" + to_string(tracking) + "/round " +
           to_string(rounding);
  }
};

LineRule rule_of(const store::ProductMapping& p) {
  LineRule r;
  r.method = parse_quantity_method(p.method).value_or(QuantityMethod::max);
  r.tracking = parse_tracking(p.tracking).value_or(Tracking::daily);
  r.rounding = parse_rounding(p.rounding).value_or(default_rounding(r.method));
  return r;
}

// The days each source collected in [from, to], read once per source.
class CollectedDays {
 public:
  CollectedDays(store::UsageStore& usage, Day from, Day to) : usage_(usage), from_(from), to_(to) {}
  const std::vector<Day>& of(const std::string& source) {
    auto [it, fresh] = days_.try_emplace(source);
    if (fresh) it->second = usage_.collected_days(source, from_, to_);
    return it->second;
  }
  bool has(const std::string& source, Day d) {
    const std::vector<Day>& days = of(source);
    return std::binary_search(days.begin(), days.end(), d);
  }

 private:
  store::UsageStore& usage_;
  Day from_, to_;
  std::unordered_map<std::string, std::vector<Day>> days_;
};

// One series' values in the period, by day: its snapshots, and 0 on each day its source
// collected after the series' first snapshot in the period without listing it (P6.1: a collect
// answers the whole day). Days before the first snapshot and days not collected have no value.
struct SeriesDays {
  std::vector<DailyValue> values;
  std::optional<Day> first_snapshot, last_snapshot;
};

SeriesDays series_days(const std::vector<store::UsageRun>& runs, const Period& p,
                       const std::vector<Day>& collected) {
  SeriesDays out;
  std::vector<DailyValue> snapshots;
  for (const auto& r : runs) {
    Day from = std::max(r.first_day, p.start), to = std::min(r.last_day, p.end);
    for (Day d = from; d <= to; ++d) snapshots.push_back({d, r.quantity});
  }
  if (snapshots.empty()) return out;
  out.first_snapshot = snapshots.front().day;
  out.last_snapshot = snapshots.back().day;
  std::vector<DailyValue> zeros;
  size_t i = 0;
  for (Day d : collected) {
    if (d <= *out.first_snapshot || d > p.end) continue;
    while (i < snapshots.size() && snapshots[i].day < d) ++i;
    if (i < snapshots.size() && snapshots[i].day == d) continue;
    zeros.push_back({d, 0});
  }
  out.values.reserve(snapshots.size() + zeros.size());
  std::merge(snapshots.begin(), snapshots.end(), zeros.begin(), zeros.end(),
             std::back_inserter(out.values),
             [](const DailyValue& a, const DailyValue& b) { return a.day < b.day; });
  return out;
}

// A line being built. The feeding series are not kept: their values are added into the
// line's totals as they come (a month of 200,000 series would otherwise be held twice).
struct LineBuild {
  PlanLine line;
  std::optional<LineRule> rule;
  std::set<std::string> rules_seen;  // "source/sku: rule" of every feeding mapping
  bool conflicting = false;
  double included = 0;         // the largest of the feeding mappings' values
  std::vector<double> totals;  // daily tracking: per day of the period, the feeding series' sum
  std::vector<uint8_t> has;    // ... and whether any series had a value that day
  std::map<YearMonth, std::pair<Day, double>> months;  // monthly: (latest day, sum) per month
  std::set<std::string> feeding_sources;

  // Adds one series' values (its days in the period, zeros included).
  void add(const std::vector<DailyValue>& values, Tracking tracking) {
    if (tracking == Tracking::monthly) {
      // The series' month snapshot (its latest value in each month), summed per month and dated
      // on the latest of them, so the method sees one value per month.
      std::map<YearMonth, DailyValue> latest;
      for (const DailyValue& v : values) latest[year_month_of(v.day)] = v;
      for (const auto& [ym, v] : latest) {
        auto& m = months[ym];
        m.first = std::max(m.first, v.day);
        m.second += v.quantity;
      }
      return;
    }
    if (totals.empty()) {
      totals.assign(static_cast<size_t>(line.dates.days()), 0.0);
      has.assign(totals.size(), 0);
    }
    for (const DailyValue& v : values) {
      const auto i = static_cast<size_t>(v.day - line.dates.start);
      totals[i] += v.quantity;
      has[i] = 1;
    }
  }
};

// The line's totals, ready for the method: one per month (monthly tracking), or one per day
// on which every feeding source collected (a total with a part missing is not a total).
std::vector<DailyValue> line_totals(const LineBuild& b, CollectedDays& collected) {
  std::vector<DailyValue> out;
  if (b.rule->tracking == Tracking::monthly) {
    for (const auto& [ym, m] : b.months) out.push_back({m.first, m.second});
    return out;
  }
  for (size_t i = 0; i < b.totals.size(); ++i) {
    if (!b.has[i]) continue;
    const Day d = b.line.dates.start + static_cast<Day>(i);
    bool whole = std::all_of(b.feeding_sources.begin(), b.feeding_sources.end(),
                             [&](const std::string& s) { return collected.has(s, d); });
    if (whole) out.push_back({d, b.totals[i]});
  }
  return out;
}

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

// Everything build_plan looks up, read from the store once.
struct PlanInputs {
  YearMonth ym;
  Day today = 0;
  int32_t global_day = 1;
  Period global;
  Day lo = 0, hi = 0;  // the union of every company's period
  std::unordered_map<std::string, store::CompanyOverride> overrides;
  std::unordered_map<std::string, store::CustomerMapping> customers;
  std::unordered_map<std::string, store::ProductMapping> products;
  std::unordered_map<std::string, std::string> company_names, line_names, customer_names;
  std::unordered_map<std::string, std::optional<double>> line_prices;

  // The company's period and billing day, and its override when it has one.
  const store::CompanyOverride* period_of(const std::string& psa, const std::string& company,
                                          Period& period, int32_t& day) const {
    period = global;
    day = global_day;
    auto o = overrides.find(join_key({psa, company}));
    if (o == overrides.end()) return nullptr;
    if (o->second.billing_day) {
      day = *o->second.billing_day;
      period = billing_period(ym, day);
    }
    return &o->second;
  }
};

PlanInputs read_inputs(store::BillingStore& store, YearMonth ym, Day today) {
  PlanInputs in;
  store::MappingStore& m = store.mapping();
  in.ym = ym;
  in.today = today;
  in.global_day = global_billing_day(m);
  in.global = billing_period(ym, in.global_day);
  in.lo = in.global.start;
  in.hi = in.global.end;
  for (auto& o : m.overrides()) {
    if (o.billing_day) {
      Period p = billing_period(ym, *o.billing_day);
      in.lo = std::min(in.lo, p.start);
      in.hi = std::max(in.hi, p.end);
    }
    in.overrides.emplace(join_key({o.psa, o.company_id}), std::move(o));
  }
  for (auto& c : m.customer_mappings()) {
    in.customers.emplace(join_key({c.source, c.customer_id}), std::move(c));
  }
  for (auto& p : m.product_mappings()) in.products.emplace(join_key({p.source, p.sku}), p);
  for (const auto& c : m.psa_companies()) in.company_names[join_key({c.psa, c.id})] = c.name;
  for (const auto& l : m.psa_lines()) {
    in.line_names[join_key({l.psa, l.id})] = l.name;
    in.line_prices[join_key({l.psa, l.id})] = l.unit_price;
  }
  for (const auto& c : store.usage().customers()) {
    in.customer_names[join_key({c.source, c.id})] = c.name;
  }
  return in;
}

bool selected(const store::CompanyOverride* o, const std::string& source, const std::string& sku) {
  if (!o || !o->products) return true;
  return std::find(o->products->begin(), o->products->end(), source + "/" + sku) !=
         o->products->end();
}

class PlanBuilder {
 public:
  PlanBuilder(store::BillingStore& store, YearMonth ym, Day today)
      : store_(store),
        in_(read_inputs(store, ym, today)),
        collected_(store.usage(), in_.lo, in_.hi) {
    plan_.period = format_year_month(ym);
    plan_.today = today;
  }

  Plan build() {
    for (const store::SeriesUsage& s : store_.usage().usage_between(in_.lo, in_.hi)) add_series(s);
    add_no_usage_lines();
    finish_lines();
    report_duplicates();
    report_missing_days();
    return std::move(plan_);
  }

 private:
  // Names, dates and price of a new line of the plan.
  void start_line(PlanLine& l, const std::string& psa, const std::string& company_id,
                  const std::string& line_id, const Period& period, int32_t day) {
    l.psa = psa;
    l.company_id = company_id;
    l.company_name = in_.company_names[join_key({psa, company_id})];
    l.line_id = line_id;
    l.line_name = in_.line_names[join_key({psa, line_id})];
    l.period = plan_.period;
    l.dates = period;
    l.billing_day = day;
    l.complete = period.end < in_.today;
    l.unit_price = in_.line_prices[join_key({psa, line_id})];
  }

  size_t metrics_seen(const std::string& source, const std::string& sku) {
    auto [it, fresh] = metric_count_.try_emplace(join_key({source, sku}), 0);
    if (fresh) it->second = store_.usage().metrics_of(source, sku).size();
    return it->second;
  }

  // Why a mapped series is not billed, or nullptr when it is.
  const char* leave_out_reason(const store::CustomerMapping* cm, const store::ProductMapping* pm,
                               const store::CompanyOverride* o, const store::SeriesUsage& s,
                               std::string& reason) {
    if (!cm) {
      reason = std::string("vendor customer is not mapped to a PSA company") +
               (pm ? "" : " (its product is not mapped either)");
      return "unmapped-customer";
    }
    if (!pm) {
      reason = "product (source, SKU) is not mapped to a PSA line";
      return "unmapped-product";
    }
    if (!pm->line_id) {
      reason = "the product's mapping was removed, so its sync is off";
      return "mapping-removed";
    }
    if (*pm->psa != cm->psa) {
      reason = "the product is mapped to a line of PSA '" + *pm->psa +
               "' but the customer's company is in PSA '" + cm->psa + "'";
      return "psa-mismatch";
    }
    if (!pm->sync) {
      reason = "the product mapping's sync switch is off";
      return "sync-off";
    }
    if (!pm->metric.empty() && pm->metric != s.metric) {
      reason = "the product mapping bills metric '" + pm->metric + "'";
      return "unbilled-metric";
    }
    if (pm->metric.empty() && metrics_seen(s.source, s.sku) > 1) {
      reason = "the SKU reports several metrics; choose one with `map product ... --metric`";
      return "ambiguous-metric";
    }
    if (!selected(o, s.source, s.sku)) {
      reason = "excluded by the company's own product selection";
      return "excluded";
    }
    return nullptr;
  }

  void add_series(const store::SeriesUsage& s) {
    const std::string ckey = join_key({s.source, s.customer_id});
    const auto cit = in_.customers.find(ckey);
    const auto pit = in_.products.find(join_key({s.source, s.sku}));
    const store::CustomerMapping* cm = cit == in_.customers.end() ? nullptr : &cit->second;
    const store::ProductMapping* pm = pit == in_.products.end() ? nullptr : &pit->second;

    Period period = in_.global;
    int32_t day = in_.global_day;
    const store::CompanyOverride* o =
        cm ? in_.period_of(cm->psa, cm->company_id, period, day) : nullptr;
    SeriesDays days = series_days(s.runs, period, collected_.of(s.source));
    if (days.values.empty()) return;

    const LineRule rule = pm ? rule_of(*pm) : LineRule{};
    MethodResult alone = apply_quantity_method(rule.method, rule.tracking, period, days.values);
    PlanException ex;
    ex.source = s.source;
    ex.customer_id = s.customer_id;
    ex.customer_name = in_.customer_names[ckey];
    ex.sku = s.sku;
    ex.metric = s.metric;
    ex.quantity = alone.quantity;
    if (cm) {
      ex.psa = cm->psa;
      ex.company_id = cm->company_id;
    }
    if (const char* kind = leave_out_reason(cm, pm, o, s, ex.reason)) {
      ex.kind = kind;
      plan_.exceptions.push_back(std::move(ex));
      return;
    }

    LineBuild& b = lines_[join_key({cm->psa, cm->company_id, *pm->line_id})];
    if (b.line.line_id.empty())
      start_line(b.line, cm->psa, cm->company_id, *pm->line_id, period, day);
    if (pm->unit_price) b.line.unit_price = pm->unit_price;
    if (b.rule && !(*b.rule == rule)) b.conflicting = true;
    if (!b.rule) b.rule = rule;
    b.rules_seen.insert(s.source + "/" + s.sku + ": " + rule.text());
    b.included = std::max(b.included, pm->included);
    b.feeding_sources.insert(s.source);
    b.add(days.values, rule.tracking);
    b.line.sources.push_back({s.source, s.customer_id, ex.customer_name, s.sku, s.metric,
                              alone.quantity, alone.days_with_data, days.first_snapshot,
                              days.last_snapshot, alone.determining_day});
    (rule.tracking == Tracking::monthly ? monthly_sources_ : billed_sources_).insert(s.source);
  }

  // A line meterbridge left billing a quantity, with no usage at all this period: the vendor
  // stopped listing the customer's seats (Sophos lists only what is used). It is planned at 0,
  // so that the sink holds the drop until approved and then cancels, instead of the PSA billing
  // the old quantity for ever. Only while the line is still mapped with sync on, and only when
  // every mapped source was collected throughout the period: a gap is missing data, not zero.
  void add_no_usage_lines() {
    for (const store::JournalEntry& last : store_.journal().last_known_lines(plan_.period)) {
      if (!last.after_qty || *last.after_qty <= 0) continue;
      const std::string lkey = join_key({last.psa, last.company_id, last.line_id});
      if (lines_.count(lkey)) continue;
      Period period;
      int32_t day = 1;
      const store::CompanyOverride* o = in_.period_of(last.psa, last.company_id, period, day);
      std::set<std::string> company_sources;
      for (const auto& [ckey, c] : in_.customers) {
        if (c.psa == last.psa && c.company_id == last.company_id) company_sources.insert(c.source);
      }
      std::vector<const store::ProductMapping*> mapped;
      for (const auto& [pkey, p] : in_.products) {
        if (p.psa && *p.psa == last.psa && p.line_id && *p.line_id == last.line_id && p.sync &&
            company_sources.count(p.source) && selected(o, p.source, p.sku)) {
          mapped.push_back(&p);
        }
      }
      if (mapped.empty()) continue;
      bool collected = period.start <= in_.today;  // a period not yet begun has no evidence
      for (const store::ProductMapping* p : mapped) {
        const bool monthly = p->tracking == "monthly";
        (monthly ? monthly_sources_ : billed_sources_).insert(p->source);
        collected = collected && missing_collections(store_.usage(), p->source, monthly,
                                                     period.start, period.end, in_.today)
                                     .empty();
      }
      if (!collected) continue;
      LineBuild& b = lines_[lkey];
      start_line(b.line, last.psa, last.company_id, last.line_id, period, day);
      b.line.no_usage = true;
      std::set<std::string> methods, trackings, roundings;
      for (const store::ProductMapping* p : mapped) {
        if (p->unit_price) b.line.unit_price = p->unit_price;
        LineRule r = rule_of(*p);
        methods.insert(to_string(r.method));
        trackings.insert(to_string(r.tracking));
        roundings.insert(to_string(r.rounding));
      }
      b.line.method = join(methods);
      b.line.tracking = join(trackings);
      b.line.rounding = join(roundings);
    }
  }

  void finish_lines() {
    for (auto& [key, b] : lines_) {
      if (b.line.no_usage) {
        plan_.lines.push_back(std::move(b.line));
        continue;
      }
      if (b.conflicting) {
        std::string rules;
        for (const auto& r : b.rules_seen) rules += (rules.empty() ? "" : "; ") + r;
        for (const PlanSource& src : b.line.sources) {
          PlanException ex;
          ex.source = src.source;
          ex.customer_id = src.customer_id;
          ex.customer_name = src.customer_name;
          ex.sku = src.sku;
          ex.metric = src.metric;
          ex.quantity = src.quantity;
          ex.psa = b.line.psa;
          ex.company_id = b.line.company_id;
          ex.kind = "conflicting-rules";
          ex.reason = "the mappings into line " + b.line.line_id +
                      " disagree on method, tracking or rounding (" + rules +
                      "); map them alike with `map product`";
          plan_.exceptions.push_back(std::move(ex));
        }
        continue;
      }
      const LineRule& rule = *b.rule;
      MethodResult total = apply_quantity_method(rule.method, rule.tracking, b.line.dates,
                                                 line_totals(b, collected_));
      PlanLine& l = b.line;
      l.method = to_string(rule.method);
      l.tracking = to_string(rule.tracking);
      l.rounding = to_string(rule.rounding);
      l.determining_day = total.determining_day;
      l.measured = round_quantity(total.quantity);
      l.included = round_quantity(std::min(b.included, l.measured));
      l.quantity = apply_rounding(rule.rounding, std::max(0.0, l.measured - b.included));
      plan_.lines.push_back(std::move(l));
    }
  }

  // Lines whose last sync found several owned PSA lines for one target (a create that landed
  // late, say): the PSA bills the extra ones until `resolve-duplicates` removes them.
  void report_duplicates() {
    for (const store::JournalEntry& d : store_.journal().open_duplicates(plan_.period)) {
      PlanException ex;
      ex.kind = "duplicate";
      ex.psa = d.psa;
      ex.company_id = d.company_id;
      ex.sku = d.line_id;
      ex.quantity = duplicate_extra(d);
      ex.reason = d.message;
      plan_.exceptions.push_back(std::move(ex));
    }
  }

  // Days that should have been collected but were not: a gap reads as zero usage for
  // `prorated` and may hide a peak for `max`, so it is always reported. A source billed by month
  // (Sophos answers a whole month at once) needs one collection in each month reached so far.
  void report_missing_days() {
    for (const std::string& source : billed_sources_) {
      std::vector<std::string> missing =
          missing_collections(store_.usage(), source, false, in_.lo, in_.hi, in_.today);
      if (missing.empty()) continue;
      const int32_t expected = std::min(in_.hi, in_.today) - in_.lo + 1;
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
      plan_.exceptions.push_back(ex);
    }
    for (const std::string& source : monthly_sources_) {
      if (billed_sources_.count(source)) continue;  // already checked day by day
      std::vector<std::string> missing =
          missing_collections(store_.usage(), source, true, in_.lo, in_.hi, in_.today);
      if (missing.empty()) continue;
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      PlanException ex;
      ex.kind = "missing-days";
      ex.source = source;
      ex.quantity = static_cast<double>(missing.size());
      ex.reason = "no collection in " + list + " (the source is billed by month)";
      plan_.exceptions.push_back(ex);
    }
  }

  store::BillingStore& store_;
  PlanInputs in_;
  CollectedDays collected_;
  Plan plan_;
  std::map<std::string, LineBuild> lines_;                // sorted by psa, company, line
  std::unordered_map<std::string, size_t> metric_count_;  // (source, sku) -> metrics ever seen
  std::set<std::string> billed_sources_;   // billed with daily tracking: every day counts
  std::set<std::string> monthly_sources_;  // monthly only: one collection per month suffices
};

}  // namespace

double duplicate_extra(const store::JournalEntry& finding) {
  nlohmann::json d = nlohmann::json::parse(finding.provenance, nullptr, false);
  if (!d.is_object() || !d.contains("extra_quantity") || !d["extra_quantity"].is_number()) return 0;
  return d["extra_quantity"].get<double>();
}

int32_t global_billing_day(store::MappingStore& mapping) {
  auto v = mapping.setting("billing_day");
  return v ? std::stoi(*v) : 1;
}

// Names the container each line is written into, so that plan and reconcile show it.
void attach_targets(store::BillingStore& store, Plan& plan) {
  store::AgreementStore agreements(store.db());
  std::map<std::string, store::TargetMap> targets;
  std::map<std::pair<std::string, std::string>, std::vector<store::PsaAgreement>> known;
  for (auto& l : plan.lines) {
    auto t = targets.find(l.psa);
    if (t == targets.end()) t = targets.emplace(l.psa, agreements.targets_of(l.psa)).first;
    l.target = t->second.of(l.company_id, l.line_id);
    if (l.target.empty()) continue;
    l.target_from = t->second.source_of(l.company_id, l.line_id);
    auto k = known.find({l.psa, l.company_id});
    if (k == known.end()) {
      k = known
              .emplace(
                  std::make_pair(l.psa, l.company_id),
                  agreements.of(l.psa, l.company_id).value_or(std::vector<store::PsaAgreement>{}))
              .first;
    }
    for (const auto& a : k->second) {
      if (a.id == l.target) l.target_name = a.name;
    }
  }
}

Plan build_plan(store::BillingStore& store, YearMonth ym, Day today) {
  Plan plan = PlanBuilder(store, ym, today).build();
  attach_targets(store, plan);
  return plan;
}

}  // namespace meterbridge::host::engine
