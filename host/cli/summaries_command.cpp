#include "cli/summaries_command.hpp"

#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/text_table.hpp"
#include "engine/executive_report.hpp"
#include "runtime/summary_run.hpp"
#include "store/run_lock.hpp"
#include "store/summary_store.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

namespace {

const char* const kUsage =
    "Usage: meterbridge summaries send [--kind detection|executive|all] [--company ID]\n"
    "                                  [--date YYYY-MM-DD] [--dry-run] [--format table|json]\n"
    "       meterbridge summaries list [--kind KIND] [--limit N] [--format table|json]\n\n"
    "send: for every mapped PSA company with a schedule in the config's \"summaries\" (its own\n"
    "or the global one), sends the summary of the period that ended before --date (default\n"
    "today): the detection summary of the day, the 7 days or the calendar month before, and\n"
    "the executive summary of the month before (also written as an HTML page under the data\n"
    "directory). Each goes through the company's sink (post_summary: a ConnectWise ticket or\n"
    "management summary report) once per (company, kind, period): it is journaled first, and\n"
    "a summary already sent is not sent again, so send can be run again safely. `meterbridge\n"
    "serve` runs it on each company's recurrence.\n"
    "list: the journal of summaries, newest first.\n";

int send(CommandContext& context, const ParsedOptions& p) {
  SummaryOptions o;
  o.kind = p.vm["kind"].as<std::string>();
  if (o.kind != "detection" && o.kind != "executive" && o.kind != "all")
    usage_error("--kind: expected detection, executive or all, found '" + o.kind + "'");
  o.company = p.vm.count("company") ? p.vm["company"].as<std::string>() : "";
  o.send_day = operator_today(context);
  if (p.vm.count("date")) {
    auto d = engine::parse_iso_date(p.vm["date"].as<std::string>());
    if (!d)
      usage_error("--date: expected YYYY-MM-DD, found '" + p.vm["date"].as<std::string>() + "'");
    o.send_day = *d;
  }
  o.dry_run = p.vm.count("dry-run") > 0;
  const std::string format = format_value(p, {"table", "json"});
  // Two sends at once could both find a summary unsent: one sender per store at a time.
  std::unique_ptr<store::RunLock> lock;
  if (!o.dry_run) {
    try {
      lock = std::make_unique<store::RunLock>(store_path(context), "meterbridge summaries send");
    } catch (const std::runtime_error& e) {
      std::cerr << "meterbridge summaries: " << e.what() << '\n';
      return kExitFailure;
    }
  }
  auto store = open_store(context);
  const auto outcomes = run_summaries(context.config(), context.data_dir(), *store, o);
  int failed = 0;
  for (const auto& s : outcomes) failed += s.state == "failed";
  if (format == "json") {
    std::cout << summary_outcomes_to_json(outcomes).dump(2) << '\n';
  } else {
    TextTable t({"COMPANY", "KIND", "PERIOD", "STATE", "DELIVERY", "REF", "DETAIL"});
    for (const auto& s : outcomes) {
      std::string detail = !s.message.empty() ? s.message : s.summary;
      if (!s.html.empty()) detail += (detail.empty() ? "" : "; ") + std::string("page ") + s.html;
      t.add_row({s.psa + "/" + s.company_id + " " + s.company_name, s.kind, s.period,
                 s.state + (s.action == "none" ? " (found)" : ""), s.delivery, s.ref, detail});
    }
    if (t.empty()) {
      std::cout << "(no summary to send: give companies a schedule in the config's "
                   "\"summaries\", and map customers of a source that answers detections)\n";
    } else {
      t.print(std::cout);
    }
  }
  return failed ? kExitFailure : kExitOk;
}

int list(CommandContext& context, const ParsedOptions& p) {
  const std::string format = format_value(p, {"table", "json"});
  std::string kind = p.vm["kind"].as<std::string>();
  if (kind == "all") kind = "";
  auto store = open_store(context);
  const auto rows = store::SummaryStore(store->db()).list(kind, p.vm["limit"].as<int64_t>());
  if (format == "json") {
    json out = json::array();
    for (const auto& r : rows) {
      out.push_back({{"intent", r.id},
                     {"psa", r.psa},
                     {"company", r.company_id},
                     {"kind", r.kind},
                     {"period", r.period},
                     {"state", r.state},
                     {"attempts", r.attempts},
                     {"created_at", r.created_at},
                     {"sent_at", r.sent_at ? json(*r.sent_at) : json(nullptr)},
                     {"delivery", r.delivery},
                     {"ref", r.ref},
                     {"summary", r.summary},
                     {"message", r.message}});
    }
    std::cout << out.dump(2) << '\n';
    return kExitOk;
  }
  TextTable t({"INTENT", "COMPANY", "KIND", "PERIOD", "STATE", "ATTEMPTS", "REF", "SUMMARY"});
  for (const auto& r : rows) {
    t.add_row({std::to_string(r.id), r.psa + "/" + r.company_id, r.kind, r.period, r.state,
               std::to_string(r.attempts), r.delivery + " " + r.ref,
               r.state == "failed" ? r.message : r.summary});
  }
  if (t.empty()) {
    std::cout << "(no summary sent yet)\n";
  } else {
    t.print(std::cout);
  }
  return kExitOk;
}

}  // namespace

int run_summaries_command(CommandContext& context) {
  const auto& args = context.args();
  const std::string sub = args.empty() ? "" : args[0];
  if (sub.empty() || sub == "--help" || sub == "-h") {
    (sub.empty() ? std::cerr : std::cout) << kUsage;
    return sub.empty() ? kExitUsage : kExitOk;
  }
  if (sub != "send" && sub != "list")
    usage_error("unknown subcommand 'summaries " + sub + "' (send or list)");
  po::options_description options("Options of `meterbridge summaries " + sub + "`");
  options.add_options()("kind", po::value<std::string>()->default_value("all")->value_name("KIND"),
                        "detection, executive or all")(
      "company", po::value<std::string>()->value_name("ID"), "send: one PSA company only")(
      "date", po::value<std::string>()->value_name("YYYY-MM-DD"),
      "send: the send day (default today): periods ended before it")(
      "dry-run", "send: say what would be sent")(
      "limit", po::value<int64_t>()->default_value(50)->value_name("N"), "list: how many")(
      "format", po::value<std::string>()->default_value("table")->value_name("FORMAT"),
      "table or json");
  ParsedOptions p = parse_options({args.begin() + 1, args.end()}, options);
  if (p.help) {
    std::cout << kUsage << '\n' << options;
    return kExitOk;
  }
  return sub == "send" ? send(context, p) : list(context, p);
}

int run_executive_report(CommandContext& context, const std::vector<std::string>& args) {
  po::options_description options("Options of `meterbridge report executive`");
  options.add_options()("company", po::value<std::string>()->value_name("ID"), "the PSA company")(
      "period", po::value<std::string>()->value_name("YYYY-MM"), "the month")(
      "psa", po::value<std::string>()->value_name("SINK"),
      "the sink instance, when the company id is in several")(
      "out", po::value<std::string>()->value_name("FILE"),
      "where to write the page (default: under the data directory)");
  ParsedOptions p = parse_options(args, options);
  if (p.help) {
    std::cout
        << "Usage: meterbridge report executive --company ID --period YYYY-MM [--out FILE]\n\n"
           "Writes the executive summary of a company for a month as one self-contained\n"
           "HTML page: usage per product, what was billed and its value, and a chart of\n"
           "the usage per product over the last six months, and the email-security\n"
           "detection counts of the month when a source answers them. Prints the file\n"
           "written.\n\n"
        << options;
    return kExitOk;
  }
  if (!p.vm.count("company") || !p.vm.count("period"))
    usage_error("report executive: give --company ID and --period YYYY-MM");
  auto month = engine::parse_year_month(p.vm["period"].as<std::string>());
  if (!month)
    usage_error("--period: expected YYYY-MM, found '" + p.vm["period"].as<std::string>() + "'");
  auto store = open_store(context);
  engine::ExecutiveReport report;
  try {
    report = engine::build_executive_report(
        *store, p.vm.count("psa") ? p.vm["psa"].as<std::string>() : "",
        p.vm["company"].as<std::string>(), *month, operator_today(context));
  } catch (const std::runtime_error& e) {
    std::cerr << "meterbridge report: " << e.what() << '\n';
    return kExitUsage;
  }
  try {
    report.detections = month_detections(context.config(), context.data_dir(), *store, report.psa,
                                         report.company_id, *month);
  } catch (const std::exception& e) {
    std::cerr << "meterbridge report: warning: no detection counts in the page: " << e.what()
              << '\n';
  }
  const std::filesystem::path out =
      p.vm.count("out")
          ? std::filesystem::path(p.vm["out"].as<std::string>())
          : executive_page_path(context.data_dir(), report.psa, report.company_id, report.period);
  if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f << engine::executive_html(report);
  if (!f.flush()) {
    std::cerr << "meterbridge report: cannot write " << out << '\n';
    return kExitFailure;
  }
  std::cout << "wrote " << out.string() << " (" << report.company_name << ", " << report.period
            << ", " << report.products.size() << " product(s))\n";
  return kExitOk;
}

}  // namespace meterbridge::host
