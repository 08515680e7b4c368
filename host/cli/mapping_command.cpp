#include "cli/mapping_command.hpp"

#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/text_table.hpp"
#include "engine/quantity_method.hpp"
#include "mapping/name_match.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

namespace {

// Refusals of mapping input: exit 2 with the message, nothing written.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

store::PsaCompany resolve_company(store::BillingStore& s, const std::string& id,
                                  const std::string& psa) {
  std::vector<store::PsaCompany> found;
  for (auto& c : s.mapping().psa_companies()) {
    if (c.id == id && (psa.empty() || c.psa == psa)) found.push_back(c);
  }
  if (found.empty()) {
    throw InputError("unknown PSA company '" + id + "'" +
                     (psa.empty() ? "" : " in PSA '" + psa + "'") +
                     " (see `meterbridge psa list`; companies come from `meterbridge discover` "
                     "or `meterbridge psa add-company`)");
  }
  if (found.size() > 1) {
    throw InputError("PSA company id '" + id + "' exists in several PSAs; say which with --psa");
  }
  return found.front();
}

store::PsaLine resolve_line(store::BillingStore& s, const std::string& id, const std::string& psa) {
  std::vector<store::PsaLine> found;
  for (auto& l : s.mapping().psa_lines()) {
    if (l.id == id && (psa.empty() || l.psa == psa)) found.push_back(l);
  }
  if (found.empty()) {
    throw InputError("unknown PSA line '" + id + "'" +
                     (psa.empty() ? "" : " in PSA '" + psa + "'") +
                     " (see `meterbridge psa list`)");
  }
  if (found.size() > 1) {
    throw InputError("PSA line id '" + id + "' exists in several PSAs; say which with --psa");
  }
  return found.front();
}

store::VendorCustomer resolve_customer(store::BillingStore& s, const std::string& source,
                                       const std::string& id) {
  for (auto& c : s.usage().customers(source)) {
    if (c.id == id) return c;
  }
  throw InputError("unknown vendor customer '" + id + "' of source '" + source +
                   "' (customers appear after `meterbridge collect` or `meterbridge discover`; "
                   "see `meterbridge map list`)");
}

store::VendorProduct resolve_product(store::BillingStore& s, const std::string& source,
                                     const std::string& sku) {
  for (auto& p : s.usage().products(source)) {
    if (p.sku == sku) return p;
  }
  throw InputError("unknown product SKU '" + sku + "' of source '" + source +
                   "' (products appear after `meterbridge collect` or `meterbridge discover`)");
}

double non_negative(const ParsedOptions& p, const char* name) {
  std::string text = p.vm[name].as<std::string>();
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(v >= 0) || !std::isfinite(v)) {
    usage_error(std::string("--") + name + ": expected a non-negative number, found '" + text +
                "'");
  }
  return v;
}

bool on_off(const std::string& text, const char* what) {
  if (text == "on") return true;
  if (text == "off") return false;
  usage_error(std::string(what) + ": expected on or off, found '" + text + "'");
}

std::string psa_option(const ParsedOptions& p) {
  return p.vm.count("psa") ? p.vm["psa"].as<std::string>() : "";
}

void need_positional(const ParsedOptions& p, size_t n, const std::string& usage) {
  if (p.positional.size() != n) usage_error("expected: " + usage);
}

int map_customer(CommandContext& context, const std::vector<std::string>& args) {
  po::options_description options("Options of `meterbridge map customer`");
  options.add_options()("psa", po::value<std::string>()->value_name("PSA"),
                        "the PSA (sink instance or 'manual') when the company id is ambiguous")(
      "remove", "remove the customer's mapping instead");
  ParsedOptions p = parse_options(args, options, true);
  if (p.help) {
    std::cout << "Usage: meterbridge map customer SOURCE CUSTOMER_ID COMPANY_ID [--psa PSA]\n"
                 "       meterbridge map customer --remove SOURCE CUSTOMER_ID\n\n"
                 "Maps a vendor customer to a PSA company. Several vendor customers, from any\n"
                 "sources, may map to one company: they are billed on one consolidated bill.\n\n"
              << options;
    return kExitOk;
  }
  auto s = open_store(context);
  if (p.vm.count("remove")) {
    need_positional(p, 2, "map customer --remove SOURCE CUSTOMER_ID");
    resolve_customer(*s, p.positional[0], p.positional[1]);
    bool removed = s->mapping().unmap_customer(p.positional[0], p.positional[1]);
    std::cout << (removed ? "removed mapping of " : "no mapping to remove for ") << p.positional[0]
              << '/' << p.positional[1] << '\n';
    return kExitOk;
  }
  need_positional(p, 3, "map customer SOURCE CUSTOMER_ID COMPANY_ID");
  auto customer = resolve_customer(*s, p.positional[0], p.positional[1]);
  auto company = resolve_company(*s, p.positional[2], psa_option(p));
  s->mapping().map_customer({customer.source, customer.id, company.psa, company.id, "manual", ""});
  std::cout << "mapped " << customer.source << '/' << customer.id << " (" << customer.name
            << ") -> " << company.psa << '/' << company.id << " (" << company.name << ")\n";
  return kExitOk;
}

int map_product(CommandContext& context, const std::vector<std::string>& args) {
  po::options_description options("Options of `meterbridge map product`");
  options.add_options()("psa", po::value<std::string>()->value_name("PSA"),
                        "the PSA when the line id is ambiguous")(
      "metric", po::value<std::string>()->value_name("METRIC"),
      "the metric billed, when the SKU reports several (seats, devices, ...)")(
      "method", po::value<std::string>()->value_name("METHOD"),
      "last, max, average or prorated (default: max, or the mapping's current one)")(
      "tracking", po::value<std::string>()->value_name("TRACKING"),
      "daily or monthly units (default: daily)")(
      "included", po::value<std::string>()->value_name("N"),
      "units included in the base price, not billed (default 0)")(
      "unit-price", po::value<std::string>()->value_name("PRICE"),
      "price per unit for the report's money column (default: the PSA line's)")(
      "sync", po::value<std::string>()->value_name("on|off"), "the sync switch (default on)")(
      "remove", "remove the mapping: the product is unmapped and its sync turned off");
  ParsedOptions p = parse_options(args, options, true);
  if (p.help) {
    std::cout << "Usage: meterbridge map product SOURCE SKU LINE_ID [options]\n"
                 "       meterbridge map product --remove SOURCE SKU\n\n"
                 "Maps a vendor product (source, SKU) to a PSA line. Methods: last (the last\n"
                 "day's units), max (the peak), average (over days with data), prorated (sum of\n"
                 "daily units / days in the period). Monthly tracking takes each month's last\n"
                 "snapshot as that month's units (prorated needs daily tracking).\n\n"
              << options;
    return kExitOk;
  }
  auto s = open_store(context);
  if (p.vm.count("remove")) {
    need_positional(p, 2, "map product --remove SOURCE SKU");
    resolve_product(*s, p.positional[0], p.positional[1]);
    bool removed = s->mapping().remove_product_mapping(p.positional[0], p.positional[1]);
    std::cout << (removed ? "removed mapping of " : "no mapping to remove for ") << p.positional[0]
              << '/' << p.positional[1] << (removed ? "; its sync is off" : "") << '\n';
    return kExitOk;
  }
  need_positional(p, 3, "map product SOURCE SKU LINE_ID");
  auto product = resolve_product(*s, p.positional[0], p.positional[1]);
  auto line = resolve_line(*s, p.positional[2], psa_option(p));
  store::ProductMapping m;
  if (auto current = s->mapping().product_mapping(product.source, product.sku)) m = *current;
  m.source = product.source;
  m.sku = product.sku;
  m.psa = line.psa;
  m.line_id = line.id;
  m.sync = true;
  if (p.vm.count("sync")) m.sync = on_off(p.vm["sync"].as<std::string>(), "--sync");
  if (p.vm.count("method")) {
    std::string v = p.vm["method"].as<std::string>();
    if (!engine::parse_quantity_method(v)) {
      usage_error("--method: expected last, max, average or prorated, found '" + v + "'");
    }
    m.method = v;
  }
  if (p.vm.count("tracking")) {
    std::string v = p.vm["tracking"].as<std::string>();
    if (!engine::parse_tracking(v))
      usage_error("--tracking: expected daily or monthly, found '" + v + "'");
    m.tracking = v;
  }
  if (m.method == "prorated" && m.tracking == "monthly") {
    usage_error("--method prorated needs daily tracking (monthly units have no days to prorate)");
  }
  if (p.vm.count("included")) m.included = non_negative(p, "included");
  if (p.vm.count("unit-price")) m.unit_price = non_negative(p, "unit-price");
  auto metrics = s->usage().metrics_of(product.source, product.sku);
  if (p.vm.count("metric")) {
    m.metric = p.vm["metric"].as<std::string>();
    if (!metrics.empty() && std::find(metrics.begin(), metrics.end(), m.metric) == metrics.end()) {
      std::string list;
      for (const auto& x : metrics) list += (list.empty() ? "" : ", ") + x;
      throw InputError("SKU '" + product.sku + "' of source '" + product.source +
                       "' has no metric '" + m.metric + "' (it reports: " + list + ")");
    }
  } else if (metrics.size() > 1 && m.metric.empty()) {
    std::string list;
    for (const auto& x : metrics) list += (list.empty() ? "" : ", ") + x;
    throw InputError("SKU '" + product.sku + "' reports several metrics (" + list +
                     "): choose the billed one with --metric");
  }
  s->mapping().put_product_mapping(m);
  std::cout << "mapped " << m.source << '/' << m.sku << " (" << product.name << ") -> " << line.psa
            << '/' << line.id << " (" << line.name << "): method " << m.method << ", tracking "
            << m.tracking << ", included " << format_quantity(m.included) << ", sync "
            << (m.sync ? "on" : "off") << '\n';
  return kExitOk;
}

int map_sync(CommandContext& context, const std::vector<std::string>& args) {
  po::options_description options("Options of `meterbridge map sync`");
  ParsedOptions p = parse_options(args, options, true);
  if (p.help) {
    std::cout << "Usage: meterbridge map sync SOURCE SKU on|off\n\nTurns a mapped product's "
                 "usage sync on or off.\n";
    return kExitOk;
  }
  need_positional(p, 3, "map sync SOURCE SKU on|off");
  bool on = on_off(p.positional[2], "sync");
  auto s = open_store(context);
  resolve_product(*s, p.positional[0], p.positional[1]);
  auto m = s->mapping().product_mapping(p.positional[0], p.positional[1]);
  if (!m || !m->line_id) {
    throw InputError("product " + p.positional[0] + "/" + p.positional[1] +
                     " is not mapped: map it with `meterbridge map product` first (an unmapped "
                     "product is never synced)");
  }
  m->sync = on;
  s->mapping().put_product_mapping(*m);
  std::cout << "sync of " << m->source << '/' << m->sku << " is " << (on ? "on" : "off") << '\n';
  return kExitOk;
}

int map_auto(CommandContext& context, const std::vector<std::string>& args) {
  po::options_description options("Options of `meterbridge map auto`");
  options.add_options()("dry-run", "show what would be linked, link nothing")(
      "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
      "table or json");
  ParsedOptions p = parse_options(args, options);
  if (p.help) {
    std::cout
        << "Usage: meterbridge map auto [--dry-run] [--format table|json]\n\n"
           "Links unmapped vendor customers to the PSA company whose normalised name is\n"
           "exactly the same (case, punctuation, accents and legal suffixes such as Inc,\n"
           "LLC, Ltd, GmbH, S.r.l., AG ignored). A name matching several companies is left\n"
           "for a person. Fuzzy matches are only suggested: see `meterbridge map suggest`.\n\n"
        << options;
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "json"});
  auto s = open_store(context);
  std::map<std::string, std::vector<store::PsaCompany>> by_name;
  for (auto& c : s->mapping().psa_companies()) {
    by_name[mapping::normalize_company_name(c.name)].push_back(c);
  }
  std::set<std::string> mapped;
  for (const auto& m : s->mapping().customer_mappings())
    mapped.insert(m.source + '\x1f' + m.customer_id);
  json out = json::array();
  TextTable t({"SOURCE", "CUSTOMER", "NAME", "RESULT", "COMPANY", "COMPANY NAME"});
  int64_t linked = 0;
  store::Transaction tx(s->db());
  for (const auto& c : s->usage().customers()) {
    if (mapped.count(c.source + '\x1f' + c.id)) continue;
    auto it = by_name.find(mapping::normalize_company_name(c.name));
    if (it == by_name.end()) continue;
    json row = {{"source", c.source}, {"customer_id", c.id}, {"customer_name", c.name}};
    if (it->second.size() > 1) {
      row["result"] = "ambiguous";
      row["companies"] = json::array();
      for (const auto& x : it->second) row["companies"].push_back(x.psa + "/" + x.id);
      t.add_row({c.source, c.id, c.name, "ambiguous",
                 std::to_string(it->second.size()) + " companies", ""});
    } else {
      const auto& company = it->second.front();
      if (!p.vm.count("dry-run")) {
        s->mapping().map_customer({c.source, c.id, company.psa, company.id, "auto", ""});
      }
      ++linked;
      row["result"] = p.vm.count("dry-run") ? "would-link" : "linked";
      row["psa"] = company.psa;
      row["company"] = company.id;
      row["company_name"] = company.name;
      t.add_row(
          {c.source, c.id, c.name, row["result"], company.psa + "/" + company.id, company.name});
    }
    out.push_back(std::move(row));
  }
  tx.commit();
  if (format == "json") {
    std::cout << out.dump(2) << '\n';
  } else {
    t.print(std::cout);
    std::cout << linked << (p.vm.count("dry-run") ? " would be linked" : " linked")
              << " by exact normalised name\n";
  }
  return kExitOk;
}

int map_suggest(CommandContext& context, const std::vector<std::string>& args) {
  po::options_description options("Options of `meterbridge map suggest`");
  options.add_options()("min-score", po::value<double>()->default_value(0.6)->value_name("S"),
                        "lowest score shown, 0..1")(
      "limit", po::value<int>()->default_value(3)->value_name("N"), "candidates per customer")(
      "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
      "table or json");
  ParsedOptions p = parse_options(args, options);
  if (p.help) {
    std::cout
        << "Usage: meterbridge map suggest [--min-score S] [--limit N] [--format table|json]\n\n"
           "For each unmapped vendor customer, the PSA companies whose names are close,\n"
           "with a score. Nothing is linked: confirm one with `meterbridge map customer`.\n\n"
        << options;
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "json"});
  double min_score = p.vm["min-score"].as<double>();
  int limit = p.vm["limit"].as<int>();
  if (!(min_score >= 0 && min_score <= 1))
    usage_error("--min-score: expected a number from 0 to 1");
  if (limit < 1 || limit > 50) usage_error("--limit: expected 1..50");
  auto s = open_store(context);
  auto companies = s->mapping().psa_companies();
  std::vector<mapping::Candidate> candidates;
  for (size_t i = 0; i < companies.size(); ++i)
    candidates.push_back({std::to_string(i), companies[i].name});
  mapping::CandidateIndex index(candidates);
  std::set<std::string> mapped;
  for (const auto& m : s->mapping().customer_mappings())
    mapped.insert(m.source + '\x1f' + m.customer_id);
  json out = json::array();
  TextTable t({"SOURCE", "CUSTOMER", "NAME", "SCORE", "COMPANY", "COMPANY NAME", "CONFIRM WITH"});
  for (const auto& c : s->usage().customers()) {
    if (mapped.count(c.source + '\x1f' + c.id)) continue;
    auto suggestions = index.suggest(c.name, min_score, static_cast<size_t>(limit));
    json row = {{"source", c.source},
                {"customer_id", c.id},
                {"customer_name", c.name},
                {"candidates", json::array()}};
    for (const auto& sg : suggestions) {
      const auto& company = companies[std::stoul(sg.id)];
      row["candidates"].push_back({{"psa", company.psa},
                                   {"company", company.id},
                                   {"company_name", company.name},
                                   {"score", sg.score}});
      std::ostringstream score;
      score.precision(3);
      score << std::fixed << sg.score;
      t.add_row({c.source, c.id, c.name, score.str(), company.psa + "/" + company.id, company.name,
                 "meterbridge map customer " + c.source + " " + c.id + " " + company.id});
    }
    if (suggestions.empty()) t.add_row({c.source, c.id, c.name, "-", "(no candidate)", "", ""});
    out.push_back(std::move(row));
  }
  if (format == "json") {
    std::cout << out.dump(2) << '\n';
  } else {
    t.print(std::cout);
  }
  return kExitOk;
}

int map_list(CommandContext& context, const std::vector<std::string>& args) {
  po::options_description options("Options of `meterbridge map list`");
  options.add_options()("format",
                        po::value<std::string>()->default_value("table")->value_name("FORMAT"),
                        "table or json");
  ParsedOptions p = parse_options(args, options);
  if (p.help) {
    std::cout << "Usage: meterbridge map list [--format table|json]\n\nEvery vendor customer and "
                 "product with its mapping, unmapped ones included.\n\n"
              << options;
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "json"});
  auto s = open_store(context);
  std::map<std::string, store::CustomerMapping> cmap;
  for (auto& m : s->mapping().customer_mappings()) cmap[m.source + '\x1f' + m.customer_id] = m;
  std::map<std::string, store::ProductMapping> pmap;
  for (auto& m : s->mapping().product_mappings()) pmap[m.source + '\x1f' + m.sku] = m;
  json customers = json::array(), products = json::array();
  TextTable ct({"SOURCE", "CUSTOMER", "NAME", "COMPANY", "HOW"});
  for (const auto& c : s->usage().customers()) {
    auto it = cmap.find(c.source + '\x1f' + c.id);
    json row = {{"source", c.source}, {"customer_id", c.id}, {"name", c.name}};
    if (it != cmap.end()) {
      row["psa"] = it->second.psa;
      row["company"] = it->second.company_id;
      row["how"] = it->second.how;
    } else {
      row["company"] = nullptr;
    }
    ct.add_row({c.source, c.id, c.name,
                it == cmap.end() ? "(unmapped)" : it->second.psa + "/" + it->second.company_id,
                it == cmap.end() ? "" : it->second.how});
    customers.push_back(std::move(row));
  }
  TextTable pt(
      {"SOURCE", "SKU", "NAME", "LINE", "METRIC", "METHOD", "TRACKING", "INCLUDED", "SYNC"});
  for (const auto& pr : s->usage().products()) {
    auto it = pmap.find(pr.source + '\x1f' + pr.sku);
    json row = {{"source", pr.source}, {"sku", pr.sku}, {"name", pr.name}};
    if (it != pmap.end() && it->second.line_id) {
      const auto& m = it->second;
      row.update({{"psa", *m.psa},
                  {"line", *m.line_id},
                  {"metric", m.metric},
                  {"method", m.method},
                  {"tracking", m.tracking},
                  {"included", m.included},
                  {"sync", m.sync}});
      pt.add_row({pr.source, pr.sku, pr.name, *m.psa + "/" + *m.line_id,
                  m.metric.empty() ? "(only)" : m.metric, m.method, m.tracking,
                  format_quantity(m.included), m.sync ? "on" : "off"});
    } else {
      row["line"] = nullptr;
      row["sync"] = false;
      pt.add_row({pr.source, pr.sku, pr.name, it != pmap.end() ? "(removed)" : "(unmapped)", "", "",
                  "", "", "off"});
    }
    products.push_back(std::move(row));
  }
  if (format == "json") {
    std::cout << json{{"customers", customers}, {"products", products}}.dump(2) << '\n';
  } else {
    std::cout << "Customers\n";
    ct.print(std::cout);
    std::cout << "\nProducts\n";
    pt.print(std::cout);
  }
  return kExitOk;
}

void print_map_help(std::ostream& out) {
  out << "Usage: meterbridge map SUBCOMMAND\n\n"
         "  map list                                  customers and products with their mappings\n"
         "  map auto [--dry-run]                      link exact normalised name matches\n"
         "  map suggest [--min-score S] [--limit N]   fuzzy candidates for a person to confirm\n"
         "  map customer SOURCE CUSTOMER_ID COMPANY_ID   map a vendor customer (or --remove)\n"
         "  map product SOURCE SKU LINE_ID [options]     map a product to a PSA line (or "
         "--remove)\n"
         "  map sync SOURCE SKU on|off                turn a product's sync on or off\n";
}

template <class F>
int guarded(F&& f) {
  try {
    return f();
  } catch (const InputError& e) {
    std::cerr << "meterbridge: " << e.what() << '\n';
    return kExitUsage;
  }
}

}  // namespace

int run_map_command(CommandContext& context) {
  const auto& args = context.args();
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    print_map_help(args.empty() ? std::cerr : std::cout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  const std::string& sub = args[0];
  return guarded([&] {
    if (sub == "customer") return map_customer(context, rest);
    if (sub == "product") return map_product(context, rest);
    if (sub == "sync") return map_sync(context, rest);
    if (sub == "auto") return map_auto(context, rest);
    if (sub == "suggest") return map_suggest(context, rest);
    if (sub == "list") return map_list(context, rest);
    usage_error("unknown subcommand 'map " + sub + "' (see `meterbridge map --help`)");
  });
}

int run_psa_command(CommandContext& context) {
  const auto& args = context.args();
  const std::string sub = args.empty() ? "" : args[0];
  std::vector<std::string> rest(args.empty() ? args.begin() : args.begin() + 1, args.end());
  if (sub.empty() || sub == "--help" || sub == "-h") {
    (sub.empty() ? std::cerr : std::cout)
        << "Usage: meterbridge psa SUBCOMMAND\n\n"
           "  psa list [--format table|json]                  PSA companies and lines known\n"
           "  psa add-company ID NAME [--psa PSA]             enter a company by hand\n"
           "  psa add-line ID NAME [--unit-price P] [--psa PSA]  enter a line (product) by hand\n\n"
           "Sinks report their companies and lines through `meterbridge discover`; entries by\n"
           "hand use the PSA name 'manual' unless --psa names a sink instance.\n";
    return sub.empty() ? kExitUsage : kExitOk;
  }
  return guarded([&] {
    po::options_description options("Options of `meterbridge psa " + sub + "`");
    options.add_options()("psa",
                          po::value<std::string>()->default_value("manual")->value_name("PSA"),
                          "the PSA the entry belongs to")(
        "unit-price", po::value<std::string>()->value_name("PRICE"), "price per unit (lines)")(
        "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
        "table or json (list)");
    ParsedOptions p = parse_options(rest, options, true);
    if (p.help) {
      std::cout << options;
      return kExitOk;
    }
    auto s = open_store(context);
    std::string psa = p.vm["psa"].as<std::string>();
    if (sub == "add-company" || sub == "add-line") {
      need_positional(p, 2, "psa " + sub + " ID NAME");
      if (p.positional[0].empty() || p.positional[1].empty())
        usage_error("ID and NAME must not be empty");
      if (sub == "add-company") {
        s->mapping().upsert_psa_companies({{psa, p.positional[0], p.positional[1], "manual"}});
      } else {
        std::optional<double> price;
        if (p.vm.count("unit-price")) price = non_negative(p, "unit-price");
        s->mapping().upsert_psa_lines({{psa, p.positional[0], p.positional[1], price, "manual"}});
      }
      std::cout << "added " << (sub == "add-company" ? "company " : "line ") << psa << '/'
                << p.positional[0] << " (" << p.positional[1] << ")\n";
      return kExitOk;
    }
    if (sub == "list") {
      const std::string format = format_value(p, {"table", "json"});
      auto companies = s->mapping().psa_companies();
      auto lines = s->mapping().psa_lines();
      if (format == "json") {
        json c = json::array(), l = json::array();
        for (const auto& x : companies)
          c.push_back({{"psa", x.psa}, {"id", x.id}, {"name", x.name}, {"origin", x.origin}});
        for (const auto& x : lines) {
          l.push_back({{"psa", x.psa},
                       {"id", x.id},
                       {"name", x.name},
                       {"unit_price", x.unit_price ? json(*x.unit_price) : json(nullptr)},
                       {"origin", x.origin}});
        }
        std::cout << json{{"companies", c}, {"lines", l}}.dump(2) << '\n';
      } else {
        TextTable ct({"PSA", "COMPANY", "NAME", "ORIGIN"});
        for (const auto& x : companies) ct.add_row({x.psa, x.id, x.name, x.origin});
        TextTable lt({"PSA", "LINE", "NAME", "UNIT PRICE", "ORIGIN"});
        for (const auto& x : lines)
          lt.add_row({x.psa, x.id, x.name, format_optional(x.unit_price), x.origin});
        std::cout << "Companies\n";
        ct.print(std::cout);
        std::cout << "\nLines\n";
        lt.print(std::cout);
      }
      return kExitOk;
    }
    usage_error("unknown subcommand 'psa " + sub + "' (see `meterbridge psa --help`)");
  });
}

int run_billing_settings_command(CommandContext& context) {
  const auto& args = context.args();
  const std::string sub = args.empty() ? "" : args[0];
  std::vector<std::string> rest(args.empty() ? args.begin() : args.begin() + 1, args.end());
  if (sub.empty() || sub == "--help" || sub == "-h") {
    (sub.empty() ? std::cerr : std::cout)
        << "Usage: meterbridge billing SUBCOMMAND\n\n"
           "  billing show [--format table|json]       the billing settings\n"
           "  billing set [--day N] [--hold-decrease PCT]\n"
           "      global billing day 1..31 (29-31 clamp to the month's last day); decreases of\n"
           "      more than PCT percent, and drops to zero, are held for approval (default 20)\n"
           "  billing company COMPANY_ID [--psa PSA] [--day N] [--products SOURCE/SKU,...] | "
           "--global\n"
           "      a company's own billing day and product selection, or back to the global ones\n";
    return sub.empty() ? kExitUsage : kExitOk;
  }
  return guarded([&] {
    po::options_description options("Options of `meterbridge billing " + sub + "`");
    options.add_options()("day", po::value<int>()->value_name("N"), "billing day 1..31")(
        "hold-decrease", po::value<std::string>()->value_name("PCT"),
        "hold decreases of more than PCT percent")(
        "psa", po::value<std::string>()->value_name("PSA"), "the company's PSA when ambiguous")(
        "products", po::value<std::string>()->value_name("LIST"),
        "comma-separated SOURCE/SKU the company is billed for")(
        "global", "use the global settings for this company")(
        "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
        "table or json");
    ParsedOptions p = parse_options(rest, options, true);
    if (p.help) {
      std::cout << options;
      return kExitOk;
    }
    auto s = open_store(context);
    auto check_day = [&] {
      int d = p.vm["day"].as<int>();
      if (d < 1 || d > 31) usage_error("--day: expected 1..31, found " + std::to_string(d));
      return d;
    };
    if (sub == "set") {
      if (!p.vm.count("day") && !p.vm.count("hold-decrease"))
        usage_error("give --day and/or --hold-decrease");
      if (p.vm.count("day")) s->mapping().set_setting("billing_day", std::to_string(check_day()));
      if (p.vm.count("hold-decrease")) {
        double v = non_negative(p, "hold-decrease");
        if (v > 100) usage_error("--hold-decrease: expected 0..100");
        s->mapping().set_setting("hold_decrease_percent", format_quantity(v));
      }
    } else if (sub == "company") {
      need_positional(p, 1, "billing company COMPANY_ID [...]");
      auto company = resolve_company(*s, p.positional[0],
                                     p.vm.count("psa") ? p.vm["psa"].as<std::string>() : "");
      if (p.vm.count("global")) {
        if (p.vm.count("day") || p.vm.count("products"))
          usage_error("--global cannot be combined with --day or --products");
        s->mapping().clear_override(company.psa, company.id);
        std::cout << company.psa << '/' << company.id << " uses the global settings\n";
        return kExitOk;
      }
      if (!p.vm.count("day") && !p.vm.count("products"))
        usage_error("give --day, --products or --global");
      store::CompanyOverride o{company.psa, company.id, std::nullopt, std::nullopt};
      for (const auto& existing : s->mapping().overrides()) {
        if (existing.psa == company.psa && existing.company_id == company.id) o = existing;
      }
      if (p.vm.count("day")) o.billing_day = check_day();
      if (p.vm.count("products")) {
        std::vector<std::string> list;
        std::stringstream in(p.vm["products"].as<std::string>());
        for (std::string item; std::getline(in, item, ',');) {
          auto slash = item.find('/');
          if (slash == std::string::npos)
            usage_error("--products: '" + item + "' is not SOURCE/SKU");
          resolve_product(*s, item.substr(0, slash), item.substr(slash + 1));
          list.push_back(item);
        }
        o.products = list;
      }
      s->mapping().put_override(o);
    } else if (sub != "show") {
      usage_error("unknown subcommand 'billing " + sub + "' (see `meterbridge billing --help`)");
    }
    const std::string format = format_value(p, {"table", "json"});
    json overrides = json::array();
    for (const auto& o : s->mapping().overrides()) {
      overrides.push_back({{"psa", o.psa},
                           {"company", o.company_id},
                           {"billing_day", o.billing_day ? json(*o.billing_day) : json(nullptr)},
                           {"products", o.products ? json(*o.products) : json(nullptr)}});
    }
    json out = {{"billing_day", std::stoi(s->mapping().setting("billing_day").value_or("1"))},
                {"hold_decrease_percent",
                 std::stod(s->mapping().setting("hold_decrease_percent").value_or("20"))},
                {"timezone", context.config_or_defaults().timezone},
                {"companies", overrides}};
    if (format == "json") {
      std::cout << out.dump(2) << '\n';
    } else {
      std::cout << "billing day: " << out["billing_day"]
                << " (29-31 clamp to the month's last day)\n"
                << "hold decreases over: " << out["hold_decrease_percent"]
                << "%, and every drop to zero\n"
                << "time zone: " << context.config_or_defaults().timezone << '\n';
      TextTable t({"COMPANY", "BILLING DAY", "PRODUCTS"});
      for (const auto& o : overrides) {
        std::string products = "(all mapped)";
        if (!o["products"].is_null()) {
          products.clear();
          for (const auto& x : o["products"])
            products += (products.empty() ? "" : ",") + x.get<std::string>();
        }
        t.add_row({o["psa"].get<std::string>() + "/" + o["company"].get<std::string>(),
                   o["billing_day"].is_null() ? "(global)" : o["billing_day"].dump(), products});
      }
      if (!t.empty()) t.print(std::cout);
    }
    return kExitOk;
  });
}

}  // namespace meterbridge::host
