#include "cli/duplicates_command.hpp"

#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/text_table.hpp"
#include "engine/duplicate_repair.hpp"
#include "runtime/collector.hpp"
#include "store/run_lock.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

int run_resolve_duplicates_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge resolve-duplicates`");
  options.add_options()("period", po::value<std::string>()->value_name("YYYY-MM"),
                        "the billing period (required)")(
      "company", po::value<std::string>()->value_name("ID"), "only this PSA company")(
      "line", po::value<std::string>()->value_name("ID"), "only this PSA line")(
      "dry-run", "show what would be removed; change nothing")(
      "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
      "table or json");
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout
        << "Usage: meterbridge resolve-duplicates --period YYYY-MM [--company ID] "
           "[--line ID] [--dry-run] [--format table|json]\n\n"
           "A sync that finds several PSA lines meterbridge owns for one company line (a\n"
           "create whose answer was lost and that landed beside a second one) reports a\n"
           "`duplicate` and writes nothing for that line. This keeps the line the sink\n"
           "recorded (else the oldest) and removes the others through the sink (ConnectWise:\n"
           "cancelled on their own effective date, so they bill nothing), journaled. Lines\n"
           "meterbridge did not create are never touched.\n\n"
        << options;
    return kExitOk;
  }
  if (!p.vm.count("period")) usage_error("--period is required");
  const std::string format = format_value(p, {"table", "json"});
  const bool dry_run = p.vm.count("dry-run") > 0;
  std::optional<store::RunLock> lock;
  if (!dry_run) {
    try {
      lock.emplace(store_path(context), "meterbridge resolve-duplicates");
    } catch (const std::runtime_error& e) {
      std::cerr << "meterbridge resolve-duplicates: " << e.what() << '\n';
      return kExitFailure;
    }
  }
  auto store = open_store(context);
  const std::string period = engine::format_year_month(period_value(p, context, *store));
  const std::string company = p.vm.count("company") ? p.vm["company"].as<std::string>() : "";
  const std::string line = p.vm.count("line") ? p.vm["line"].as<std::string>() : "";
  std::map<std::string, std::vector<store::JournalEntry>> by_psa;
  for (auto& f : engine::open_duplicates(*store, period, company, line)) {
    by_psa[f.psa].push_back(std::move(f));
  }
  if (by_psa.empty()) {
    std::cerr << "meterbridge resolve-duplicates: no open duplicate in " << period
              << (company.empty() ? "" : " for company " + company)
              << (line.empty() ? "" : " line " + line)
              << " (a sync reports them; see `meterbridge plan`)\n";
    return kExitOk;
  }

  const Config& config = context.config();
  PluginHost host(config, context.data_dir());
  int64_t run = dry_run ? 0 : store->journal().begin_run("resolve-duplicates " + period);
  bool failed = false;
  std::vector<engine::DuplicateRepair> all;
  for (const auto& [psa, findings] : by_psa) {
    std::unique_ptr<RunningInstance> running;
    engine::SinkCall call = [&](const std::string& op, const json& body) {
      return running->plugin->invoke(op, body.dump());
    };
    try {
      const InstanceConfig* sink = config.find_instance(psa);
      if (!sink || !sink->enabled) {
        throw InstanceError(MB_E_CONFIG, "no enabled sink instance named '" + psa + "'");
      }
      if (!dry_run) running = host.start(*sink);
    } catch (const InstanceError& e) {
      std::cerr << "meterbridge resolve-duplicates: " << e.what() << '\n';
      failed = true;
      continue;
    }
    for (auto& r : engine::repair_duplicates(*store, findings, psa, call, dry_run, run)) {
      failed = failed || r.action == "error";
      all.push_back(std::move(r));
    }
  }
  if (!dry_run) {
    store->journal().finish_run(run, failed ? "failed" : "ok", json{{"lines", all.size()}}.dump());
  }
  if (format == "json") {
    json lines = json::array();
    for (const auto& r : all) {
      lines.push_back({{"psa", r.psa},
                       {"company", r.company_id},
                       {"line", r.line_id},
                       {"period", r.period},
                       {"kept", r.kept},
                       {"removed", r.removed},
                       {"removed_quantity", r.removed_quantity},
                       {"action", r.action},
                       {"message", r.message}});
    }
    std::cout << json{{"period", period}, {"dry_run", dry_run}, {"lines", lines}}.dump(2) << '\n';
  } else {
    TextTable t({"COMPANY", "LINE", "KEPT", "REMOVED", "ACTION", "MESSAGE"});
    for (const auto& r : all) {
      std::string removed;
      for (const auto& x : r.removed) removed += (removed.empty() ? "" : ", ") + x;
      t.add_row({r.psa + "/" + r.company_id, r.line_id, r.kept, removed, r.action, r.message});
    }
    t.print(std::cout);
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace meterbridge::host
