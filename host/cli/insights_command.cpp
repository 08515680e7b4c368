// `meterbridge insights`: what the operator should act on, from stored data only (the store
// never calls a plugin here), each with the command that resolves it.
#include "cli/insights_command.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/text_table.hpp"
#include "store/agreement_store.hpp"
#include "store/insights_store.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

namespace {

// "With usage" means a quantity above zero in the last kUsageDays up to the source's last
// collected day; usage "stopped" when none of a company's series had any on the last
// kRecentDays collected days, though one had some in the kHistoryDays before them. Windows
// follow each source's own collections, not today, so a source collected late is not "stopped".
constexpr int32_t kUsageDays = 31;
constexpr size_t kRecentDays = 3;
constexpr int32_t kHistoryDays = 90;

struct Insight {
  std::string kind;
  std::map<std::string, std::string> concerns;  // source, customer_id, psa, company_id, ...
  std::string detail;
  std::string resolve;
};

using Key = std::pair<std::string, std::string>;  // (source, customer id) or (psa, company id)

// The stored facts every kind reads, gathered once.
struct Facts {
  std::vector<store::VendorCustomer> customers;
  std::map<Key, store::CustomerMapping> mapping;         // by (source, customer)
  std::map<Key, store::PsaCompany> companies;            // by (psa, company)
  std::map<std::string, std::vector<engine::Day>> days;  // source -> collected days, sorted
  std::vector<store::SeriesUsage> series;
  std::set<Key> customers_with_usage;  // (source, customer)
  std::set<Key> products_with_usage;   // (source, sku)

  bool recent_usage(const store::SeriesUsage& s) const;
  // The last day with usage before the source's recent days, if any (within the history).
  std::optional<engine::Day> usage_before_recent(const store::SeriesUsage& s) const;
};

bool positive_on(const store::SeriesUsage& s, engine::Day from, engine::Day to) {
  return std::any_of(s.runs.begin(), s.runs.end(), [&](const store::UsageRun& r) {
    return r.quantity > 0 && r.first_day <= to && r.last_day >= from;
  });
}

bool Facts::recent_usage(const store::SeriesUsage& s) const {
  auto it = days.find(s.source);
  if (it == days.end() || it->second.empty()) return false;
  const auto& d = it->second;
  for (size_t i = d.size() > kRecentDays ? d.size() - kRecentDays : 0; i < d.size(); ++i) {
    if (positive_on(s, d[i], d[i])) return true;
  }
  return false;
}

std::optional<engine::Day> Facts::usage_before_recent(const store::SeriesUsage& s) const {
  auto it = days.find(s.source);
  if (it == days.end() || it->second.size() <= kRecentDays) return std::nullopt;
  const engine::Day first_recent = it->second[it->second.size() - kRecentDays];
  std::optional<engine::Day> last;
  for (const auto& r : s.runs) {
    if (r.quantity <= 0 || r.first_day >= first_recent) continue;
    if (r.last_day < first_recent - kHistoryDays) continue;
    last = std::max(last.value_or(r.last_day), std::min(r.last_day, first_recent - 1));
  }
  return last;
}

Facts gather(store::BillingStore& s, engine::Day today) {
  Facts f;
  f.customers = s.usage().customers();
  for (auto& m : s.mapping().customer_mappings()) f.mapping[{m.source, m.customer_id}] = m;
  for (auto& c : s.mapping().psa_companies()) f.companies[{c.psa, c.id}] = c;
  engine::Day earliest = today;
  std::set<std::string> sources;
  for (const auto& c : f.customers) sources.insert(c.source);
  for (const auto& src : sources) {
    auto d = s.usage().collected_days(src, today - 400, today + 1);
    if (!d.empty()) earliest = std::min(earliest, d.back() - kHistoryDays - kUsageDays);
    f.days[src] = std::move(d);
  }
  f.series = s.usage().usage_between(earliest, today + 1);
  for (const auto& x : f.series) {
    const auto& d = f.days[x.source];
    if (d.empty() || !positive_on(x, d.back() - kUsageDays + 1, d.back())) continue;
    f.customers_with_usage.insert({x.source, x.customer_id});
    f.products_with_usage.insert({x.source, x.sku});
  }
  return f;
}

std::string map_customer_command(const std::string& source, const std::string& id) {
  return "meterbridge map suggest; meterbridge map customer " + source + " " + id + " COMPANY_ID";
}

void customer_insights(const Facts& f, const std::optional<std::string>& last_run,
                       const std::set<Key>& known, std::vector<Insight>& out) {
  for (const auto& c : f.customers) {
    const Key key{c.source, c.id};
    const bool mapped = f.mapping.count(key) > 0;
    std::map<std::string, std::string> concerns = {
        {"source", c.source}, {"customer_id", c.id}, {"customer_name", c.name}};
    if (!mapped && f.customers_with_usage.count(key)) {
      out.push_back({"unmapped-customer", concerns,
                     "has usage and no PSA company: available for billing" +
                         std::string(c.psa_hint ? " (it carries a psa hint)" : ""),
                     c.psa_hint ? "meterbridge map auto" : map_customer_command(c.source, c.id)});
    }
    // The first run has nothing to compare with: it records what it found as known.
    if (last_run && !known.count(key)) {
      out.push_back(
          {"new-customer", concerns,
           "first seen since the last insights run (" + *last_run + ")" +
               (mapped ? "; mapped to " + f.mapping.at(key).psa + "/" + f.mapping.at(key).company_id
                       : "; not mapped"),
           mapped ? "-" : map_customer_command(c.source, c.id)});
    }
  }
}

void product_insights(store::BillingStore& s, const Facts& f, std::vector<Insight>& out) {
  std::map<Key, std::string> names;
  for (const auto& p : s.usage().products()) names[{p.source, p.sku}] = p.name;
  for (const auto& [source, sku] : f.products_with_usage) {
    auto m = s.mapping().product_mapping(source, sku);
    if (m && m->line_id) continue;
    out.push_back({"unmapped-product",
                   {{"source", source}, {"sku", sku}, {"product_name", names[{source, sku}]}},
                   std::string("the source instance has usage of this product and it is ") +
                       (m ? "no longer mapped (removed)" : "not mapped to a PSA line"),
                   "meterbridge map product " + source + " " + sku + " LINE_ID"});
  }
}

std::map<std::string, std::string> company_concerns(const Facts& f, const Key& company) {
  std::map<std::string, std::string> c = {{"psa", company.first}, {"company_id", company.second}};
  if (auto it = f.companies.find(company); it != f.companies.end()) {
    c["company_name"] = it->second.name;
  }
  return c;
}

// Per mapped company: whether its usage stopped, and whether it has mapped usage but nothing
// in the store says which contract or agreement to bill into.
void company_insights(store::BillingStore& s, const Facts& f, std::vector<Insight>& out) {
  std::map<Key, bool> recent;                        // company -> usage on recent days
  std::map<Key, std::optional<engine::Day>> before;  // company -> last usage before them
  std::set<Key> mapped_usage;                        // companies with usage of mapped products
  for (const auto& x : f.series) {
    auto m = f.mapping.find({x.source, x.customer_id});
    if (m == f.mapping.end()) continue;
    const Key company{m->second.psa, m->second.company_id};
    recent[company] = recent[company] || f.recent_usage(x);
    if (auto d = f.usage_before_recent(x))
      before[company] = std::max(before[company].value_or(*d), *d);
    auto pm = s.mapping().product_mapping(x.source, x.sku);
    if (pm && pm->line_id && f.customers_with_usage.count({x.source, x.customer_id})) {
      mapped_usage.insert(company);
    }
  }
  for (const auto& [company, last] : before) {
    if (recent[company] || !last) continue;
    out.push_back({"usage-stopped", company_concerns(f, company),
                   "had usage until " + engine::format_iso_date(*last) + ", none on the last " +
                       std::to_string(kRecentDays) + " collected days",
                   "meterbridge report reconcile (check the vendor; meterbridge map customer "
                   "--remove SOURCE CUSTOMER_ID if the customer left)"});
  }
  std::set<std::string> billed;  // "psa\x1fcompany" with a successful write in the journal
  for (const auto& e : s.journal().entries({})) {
    if (e.entry == "outcome" && e.status == "ok") billed.insert(e.psa + '\x1f' + e.company_id);
  }
  for (const auto& company : mapped_usage) {
    const auto& [psa, id] = company;
    if (psa == "manual" || billed.count(psa + '\x1f' + id)) continue;
    if (s.mapping().targets_of(psa).count(id)) continue;
    // An agreement given to one of its lines (`psa target --line`) is a target too.
    const store::TargetMap targets = store::AgreementStore(s.db()).targets_of(psa);
    if (std::any_of(targets.lines.begin(), targets.lines.end(),
                    [&](const auto& t) { return t.first.first == id; })) {
      continue;
    }
    const bool cw = s.mapping().setting("psa_kind/" + psa).value_or("") == "connectwise";
    const std::string what = cw ? "agreement" : "contract";
    out.push_back({"no-target", company_concerns(f, company),
                   "mapped usage; no " + what +
                       " target stored and never billed (stored data only: the sink picks the "
                       "single active " +
                       what + " at sync time)",
                   "meterbridge psa " + what + "s " + id + " --sink " + psa +
                       "; meterbridge psa target " + id + " --" + what + " ID --sink " + psa});
  }
}

void journal_insights(store::BillingStore& s, const Facts& f, std::vector<Insight>& out) {
  store::InsightsStore insights(s.db());
  for (const auto& e : insights.open_findings("held")) {
    auto c = company_concerns(f, {e.psa, e.company_id});
    c["line_id"] = e.line_id;
    c["period"] = e.period;
    out.push_back({"held-line", c, e.message.empty() ? "held for approval" : e.message,
                   "meterbridge approve --period " + e.period + " --company " + e.company_id +
                       " --line " + e.line_id});
  }
  for (const auto& e : insights.open_findings("duplicate")) {
    auto c = company_concerns(f, {e.psa, e.company_id});
    c["line_id"] = e.line_id;
    c["period"] = e.period;
    out.push_back(
        {"duplicate", c,
         e.message.empty() ? "several PSA lines meterbridge owns for one line" : e.message,
         "meterbridge resolve-duplicates --period " + e.period + " --company " + e.company_id +
             " --line " + e.line_id});
  }
}

std::string concerns_text(const std::map<std::string, std::string>& c) {
  auto get = [&](const char* k) {
    auto it = c.find(k);
    return it == c.end() ? std::string() : it->second;
  };
  std::string text;
  if (!get("source").empty()) text = get("source");
  if (!get("customer_id").empty())
    text += "/" + get("customer_id") + " (" + get("customer_name") + ")";
  if (!get("sku").empty()) text += "/" + get("sku");
  if (!get("psa").empty()) text += get("psa") + "/" + get("company_id");
  if (!get("company_name").empty()) text += " (" + get("company_name") + ")";
  if (!get("line_id").empty()) text += " line " + get("line_id") + " " + get("period");
  return text;
}

}  // namespace

int run_insights_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge insights`");
  options.add_options()("format",
                        po::value<std::string>()->default_value("table")->value_name("FORMAT"),
                        "table or json");
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout << "Usage: meterbridge insights [--format table|json]\n\n"
                 "What to act on, from the billing store only (no plugin is called), each with\n"
                 "the command that resolves it. Kinds: unmapped-customer (usage, no PSA company:\n"
                 "available for billing), new-customer (first seen since the last insights run;\n"
                 "the first run only records), unmapped-product, usage-stopped (a mapped company\n"
                 "with no usage on the last 3 collected days, some before), no-target (mapped\n"
                 "usage, no contract or agreement stored and never billed), held-line (waiting\n"
                 "for approve), duplicate (see resolve-duplicates). Each run records its time\n"
                 "and the customers it saw.\n\n"
              << options;
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "json"});
  auto s = open_store(context);
  store::InsightsStore insights(s->db());
  const auto last_run = insights.last_run();
  const auto known = insights.known_customers();
  Facts f = gather(*s, operator_today(context));
  std::vector<Insight> out;
  customer_insights(f, last_run, known, out);
  product_insights(*s, f, out);
  company_insights(*s, f, out);
  journal_insights(*s, f, out);
  insights.record_run();
  if (format == "json") {
    json items = json::array();
    for (const auto& i : out) {
      json row = {{"kind", i.kind}, {"detail", i.detail}, {"resolve", i.resolve}};
      for (const auto& [k, v] : i.concerns) row[k] = v;
      items.push_back(std::move(row));
    }
    std::cout << json{{"last_run", last_run ? json(*last_run) : json(nullptr)}, {"insights", items}}
                     .dump(2)
              << '\n';
    return kExitOk;
  }
  TextTable t({"KIND", "CONCERNS", "DETAIL", "RESOLVE WITH"});
  for (const auto& i : out) t.add_row({i.kind, concerns_text(i.concerns), i.detail, i.resolve});
  t.print(std::cout);
  std::cout << out.size() << " insight(s)"
            << (last_run ? "; last run " + *last_run : "; first run: customers recorded as known")
            << '\n';
  return kExitOk;
}

}  // namespace meterbridge::host
