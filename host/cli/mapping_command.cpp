#include "cli/mapping_command.hpp"

#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/agreement_support.hpp"
#include "cli/catalog_lookup.hpp"
#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/map_auto_command.hpp"
#include "cli/text_table.hpp"
#include "engine/quantity_method.hpp"
#include "mapping/name_match.hpp"
#include "runtime/collector.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

namespace {

// The enabled sink that verifies the company: --psa when it names one, else the only enabled
// sink, else the one sink the store knows the company from. None: nothing can verify (no sink
// is enabled, or --psa names 'manual'), and the company must be known to the store.
const InstanceConfig* verifying_sink(CommandContext& context, const PluginHost& host,
                                     const std::string& psa, const std::string& company) {
  auto sinks = enabled_instances(host, context.config(), MB_KIND_SINK, {});
  if (!psa.empty()) {
    for (const auto* s : sinks) {
      if (s->name == psa) return s;
    }
    return nullptr;
  }
  if (sinks.size() <= 1) return sinks.empty() ? nullptr : sinks.front();
  auto s = open_store(context);
  const InstanceConfig* found = nullptr;
  for (const auto& c : s->mapping().psa_companies()) {
    for (const auto* sink : sinks) {
      if (c.id == company && c.psa == sink->name) {
        if (found)
          usage_error("company " + company + " is known to several sinks: name one with --psa");
        found = sink;
      }
    }
  }
  if (!found) usage_error("several sinks are enabled: name the company's with --psa");
  return found;
}

// Verify (the seed's button): the sink says the company exists, the store learns it under the
// sink's name, and its agreements are loaded for `psa target --line`.
std::optional<store::PsaCompany> verify_and_load(CommandContext& context,
                                                 const InstanceConfig& instance,
                                                 const std::string& company) {
  PluginHost host(context.config(), context.data_dir());
  std::unique_ptr<RunningInstance> sink = host.start(instance);
  const std::optional<std::string> verified = verify_company(*sink, company);
  if (!verified) {
    std::cerr << "meterbridge map: note: sink '" << instance.name
              << "' cannot verify company ids; mapped against the store's companies\n";
    return std::nullopt;
  }
  const std::string& name = *verified;
  auto s = open_store(context);
  std::string origin = "verified";
  for (const auto& c : s->mapping().psa_companies()) {
    if (c.psa == instance.name && c.id == company) origin = c.origin;
  }
  s->mapping().upsert_psa_companies({{instance.name, company, name, origin}});
  std::cout << "verified: company " << company << " exists in " << instance.name << " (" << name
            << ")\n";
  int exit_code = kExitOk;
  if (auto list = refresh_agreements(*sink, *s, company, exit_code)) {
    std::cout << "loaded " << list->size() << " agreement(s) of company " << company
              << " (see `meterbridge psa agreements " << company << "`)\n";
  } else {
    std::cerr << "meterbridge map: warning: the agreements of company " << company
              << " were not loaded; `meterbridge psa agreements " << company
              << " --refresh` tries again\n";
  }
  return store::PsaCompany{instance.name, company, name, origin};
}

int map_customer(CommandContext& context, const std::vector<std::string>& args) {
  po::options_description options("Options of `meterbridge map customer`");
  options.add_options()("psa", po::value<std::string>()->value_name("PSA"),
                        "the PSA (sink instance or 'manual') when the company id is ambiguous")(
      "no-verify", "do not ask the sink whether the company exists (offline work)")(
      "remove", "remove the customer's mapping instead");
  ParsedOptions p = parse_options(args, options, true);
  if (p.help) {
    std::cout << "Usage: meterbridge map customer SOURCE CUSTOMER_ID COMPANY_ID [--psa PSA]\n"
                 "                                [--no-verify]\n"
                 "       meterbridge map customer --remove SOURCE CUSTOMER_ID\n\n"
                 "Maps a vendor customer to a PSA company. Several vendor customers, from any\n"
                 "sources, may map to one company: they are billed on one consolidated bill.\n"
                 "When a sink is enabled it first verifies the company id (the Verify button):\n"
                 "an unknown or deleted company is refused, a company the store did not know\n"
                 "yet is learned, and the company's agreements are loaded into the store\n"
                 "(`psa agreements`, `psa target --line`). --no-verify maps against the store\n"
                 "only.\n\n"
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
  store::PsaCompany company;
  const InstanceConfig* verifier = nullptr;
  if (!p.vm.count("no-verify")) {
    PluginHost host(context.config(), context.data_dir());
    verifier = verifying_sink(context, host, psa_option(p), p.positional[2]);
  }
  std::optional<store::PsaCompany> verified;
  if (verifier) {
    try {
      verified = verify_and_load(context, *verifier, p.positional[2]);
    } catch (const InputError&) {
      throw;
    } catch (const std::exception& e) {
      std::cerr << "meterbridge map: " << e.what() << '\n';
      return kExitFailure;
    }
  }
  company = verified ? *verified : resolve_company(*s, p.positional[2], psa_option(p));
  s->mapping().map_customer({customer.source, customer.id, company.psa, company.id, "manual", ""});
  std::cout << "mapped " << customer.source << '/' << customer.id << " (" << customer.name
            << ") -> " << company.psa << '/' << company.id << " (" << company.name << ")\n";
  return kExitOk;
}

// The rounding rule a mapping bills with: its own, else its method's default.
std::string effective_rounding(const store::ProductMapping& m) {
  if (auto r = engine::parse_rounding(m.rounding)) return engine::to_string(*r);
  return engine::to_string(engine::default_rounding(
      engine::parse_quantity_method(m.method).value_or(engine::QuantityMethod::max)));
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
      "units included in the base price, not billed, once per line (default 0)")(
      "round", po::value<std::string>()->value_name("RULE"),
      "whole units after included ones: up, down, nearest or none (default: up for prorated "
      "and average, none otherwise)")(
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
                 "snapshot as that month's units (prorated needs daily tracking). Every\n"
                 "mapping into one line must use the same method, tracking and rounding.\n\n"
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
  if (p.vm.count("round")) {
    std::string v = p.vm["round"].as<std::string>();
    if (!engine::parse_rounding(v)) {
      usage_error("--round: expected up, down, nearest or none, found '" + v + "'");
    }
    m.rounding = v;
  }
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
            << m.tracking << ", included " << format_quantity(m.included) << ", round "
            << effective_rounding(m) << ", sync " << (m.sync ? "on" : "off") << '\n';
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

// The source's own PSA link of a customer, as listed (null / "" when it gave none).
json hint_json(const std::optional<store::PsaHint>& h) {
  if (!h) return nullptr;
  json j = {{"psa", h->psa}, {"company_id", h->company_id}};
  if (!h->company_name.empty()) j["company_name"] = h->company_name;
  return j;
}

std::string hint_text(const std::optional<store::PsaHint>& h) {
  if (!h) return "";
  return h->psa + "/" + h->company_id +
         (h->company_name.empty() ? "" : " (" + h->company_name + ")");
}

int map_list(CommandContext& context, const std::vector<std::string>& args) {
  po::options_description options("Options of `meterbridge map list`");
  options.add_options()("format",
                        po::value<std::string>()->default_value("table")->value_name("FORMAT"),
                        "table or json");
  ParsedOptions p = parse_options(args, options);
  if (p.help) {
    std::cout << "Usage: meterbridge map list [--format table|json]\n\nEvery vendor customer and "
                 "product with its mapping, unmapped ones included. A customer's PSA HINT is\n"
                 "the source's own link of it to a PSA company (used by `map auto`).\n\n"
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
  TextTable ct({"SOURCE", "CUSTOMER", "NAME", "COMPANY", "HOW", "PSA HINT"});
  for (const auto& c : s->usage().customers()) {
    auto it = cmap.find(c.source + '\x1f' + c.id);
    json row = {{"source", c.source},
                {"customer_id", c.id},
                {"name", c.name},
                {"psa_hint", hint_json(c.psa_hint)}};
    if (it != cmap.end()) {
      row["psa"] = it->second.psa;
      row["company"] = it->second.company_id;
      row["how"] = it->second.how;
    } else {
      row["company"] = nullptr;
    }
    ct.add_row({c.source, c.id, c.name,
                it == cmap.end() ? "(unmapped)" : it->second.psa + "/" + it->second.company_id,
                it == cmap.end() ? "" : it->second.how, hint_text(c.psa_hint)});
    customers.push_back(std::move(row));
  }
  TextTable pt({"SOURCE", "SKU", "NAME", "LINE", "METRIC", "METHOD", "TRACKING", "INCLUDED",
                "ROUND", "SYNC"});
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
                  {"round", effective_rounding(m)},
                  {"sync", m.sync}});
      pt.add_row({pr.source, pr.sku, pr.name, *m.psa + "/" + *m.line_id,
                  m.metric.empty() ? "(only)" : m.metric, m.method, m.tracking,
                  format_quantity(m.included), effective_rounding(m), m.sync ? "on" : "off"});
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
         "  map auto [--dry-run]                      link by the sources' psa hints, then exact "
         "names\n"
         "  map suggest [--min-score S] [--limit N]   fuzzy candidates for a person to confirm\n"
         "  map customer SOURCE CUSTOMER_ID COMPANY_ID   map a vendor customer (or --remove)\n"
         "  map product SOURCE SKU LINE_ID [options]     map a product to a PSA line (or "
         "--remove)\n"
         "  map sync SOURCE SKU on|off                turn a product's sync on or off\n";
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
    if (sub == "auto") return run_map_auto(context, rest);
    if (sub == "suggest") return map_suggest(context, rest);
    if (sub == "list") return map_list(context, rest);
    usage_error("unknown subcommand 'map " + sub + "' (see `meterbridge map --help`)");
  });
}

}  // namespace meterbridge::host
