#include "cli/collect_command.hpp"

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/text_table.hpp"
#include "runtime/collector.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

namespace {

engine::Day date_option(const ParsedOptions& p, const char* name) {
  std::string text = p.vm[name].as<std::string>();
  auto d = engine::parse_iso_date(text);
  if (!d)
    usage_error(std::string("--") + name + ": expected a date YYYY-MM-DD, found '" + text + "'");
  return *d;
}

}  // namespace

int run_collect_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge collect`");
  options.add_options()(
      "source", po::value<std::vector<std::string>>()->value_name("INSTANCE"),
      "collect only this source instance (repeatable; default: every enabled source)")(
      "date", po::value<std::string>()->value_name("YYYY-MM-DD"),
      "the day to collect (default: today in the config's time zone)")(
      "from", po::value<std::string>()->value_name("YYYY-MM-DD"),
      "collect every day from this one (with --to): a backfill")(
      "to", po::value<std::string>()->value_name("YYYY-MM-DD"), "last day of a backfill")(
      "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
      "table or json");
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout << "Usage: meterbridge collect [--source INSTANCE] [--date YYYY-MM-DD | --from D "
                 "--to D] [--format table|json]\n\n"
                 "Asks each enabled source for the day's usage and stores it. Collecting a day\n"
                 "again replaces that day's snapshot of the source: the same usage stores the\n"
                 "same state, and the output says what changed. Rejected rows are listed with\n"
                 "their file and line; the rest of the day is stored.\n\n"
              << options;
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "json"});
  std::vector<engine::Day> days;
  if (p.vm.count("from") || p.vm.count("to")) {
    if (!p.vm.count("from") || !p.vm.count("to")) usage_error("--from and --to go together");
    if (p.vm.count("date")) usage_error("--date cannot be combined with --from/--to");
    engine::Day from = date_option(p, "from"), to = date_option(p, "to");
    if (to < from) usage_error("--to is before --from");
    if (to - from > 366) usage_error("--from/--to spans more than 366 days");
    for (engine::Day d = from; d <= to; ++d) days.push_back(d);
  } else {
    days.push_back(p.vm.count("date") ? date_option(p, "date") : operator_today(context));
  }
  std::vector<std::string> sources;
  if (p.vm.count("source")) sources = p.vm["source"].as<std::vector<std::string>>();

  const Config& config = context.config();
  auto store = open_store(context);
  PluginHost host(config, context.data_dir());
  int64_t run = store->journal().begin_run("collect");
  std::vector<DayCollection> results;
  try {
    results = collect_usage(host, config, *store, sources, days, run);
  } catch (const InstanceError& e) {
    store->journal().finish_run(run, "failed", json{{"error", e.what()}}.dump());
    std::cerr << "meterbridge collect: " << e.what() << '\n';
    return e.status() == MB_E_CONFIG ? kExitUsage : kExitFailure;
  }
  bool failed = false, config_error = false;
  json summary = json::array();
  for (const auto& r : results) {
    json rejected = json::array();
    for (const auto& x : r.rejected) {
      rejected.push_back({{"file", x.file}, {"line", x.line}, {"reason", x.reason}});
    }
    summary.push_back({{"source", r.instance},
                       {"date", engine::format_iso_date(r.day)},
                       {"ok", r.ok},
                       {"error", r.ok ? json(nullptr) : json(r.error)},
                       {"records", r.records},
                       {"added", r.changes.added},
                       {"changed", r.changes.changed},
                       {"removed", r.changes.removed},
                       {"unchanged", r.changes.unchanged},
                       {"kept", r.changes.kept},
                       {"first_collection", r.changes.first_collection},
                       {"rejected", rejected}});
    if (!r.ok) {
      failed = true;
      if (r.status == MB_E_CONFIG) config_error = true;
    }
  }
  store->journal().finish_run(run, failed ? "failed" : "ok", summary.dump());

  if (format == "json") {
    std::cout << json{{"schema", "collect-report.v1"}, {"run", run}, {"days", summary}}.dump(2)
              << '\n';
  } else {
    TextTable t({"SOURCE", "DATE", "RECORDS", "ADDED", "CHANGED", "REMOVED", "UNCHANGED",
                 "REJECTED", "RESULT"});
    for (const auto& r : results) {
      t.add_row({r.instance, engine::format_iso_date(r.day), std::to_string(r.records),
                 std::to_string(r.changes.added), std::to_string(r.changes.changed),
                 std::to_string(r.changes.removed), std::to_string(r.changes.unchanged),
                 std::to_string(r.rejected.size()), r.ok ? "ok" : "failed"});
    }
    t.print(std::cout);
    for (const auto& r : results) {
      for (const auto& x : r.rejected) {
        std::cout << "rejected: " << r.instance << ' ' << engine::format_iso_date(r.day) << ' '
                  << x.file << ':' << x.line << ": " << x.reason << '\n';
      }
    }
    if (results.empty())
      std::cout << "no enabled source instance in " << config.file.string() << '\n';
  }
  for (const auto& r : results) {
    if (!r.ok) std::cerr << "meterbridge collect: " << r.error << '\n';
  }
  return config_error ? kExitUsage : failed ? kExitFailure : kExitOk;
}

int run_discover_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge discover`");
  options.add_options()("format",
                        po::value<std::string>()->default_value("table")->value_name("FORMAT"),
                        "table or json");
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout << "Usage: meterbridge discover [--format table|json]\n\n"
                 "Asks every enabled source for its customers and products, and every enabled\n"
                 "sink for its PSA companies and lines, and stores them for mapping.\n\n"
              << options;
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "json"});
  const Config& config = context.config();
  auto store = open_store(context);
  PluginHost host(config, context.data_dir());
  auto results = discover_catalogs(host, config, *store, operator_today(context));
  bool failed = false;
  json out = json::array();
  TextTable t({"INSTANCE", "KIND", "CUSTOMERS/COMPANIES", "PRODUCTS/LINES", "RESULT"});
  for (const auto& r : results) {
    failed = failed || !r.ok;
    out.push_back({{"instance", r.instance},
                   {"kind", r.kind},
                   {"ok", r.ok},
                   {"error", r.ok ? json(nullptr) : json(r.error)},
                   {"customers", r.customers},
                   {"products", r.products}});
    t.add_row({r.instance, r.kind, std::to_string(r.customers), std::to_string(r.products),
               r.ok ? "ok" : "failed"});
    if (!r.ok) std::cerr << "meterbridge discover: " << r.error << '\n';
  }
  if (format == "json") {
    std::cout << out.dump(2) << '\n';
  } else {
    t.print(std::cout);
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace meterbridge::host
