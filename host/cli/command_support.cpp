#include "cli/command_support.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "engine/plan.hpp"
#include "services/host_clock.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;

ParsedOptions parse_options(const std::vector<std::string>& args,
                            const po::options_description& options, bool allow_positional) {
  po::options_description all = options;
  all.add_options()("help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("positional", po::value<std::vector<std::string>>());
  all.add(hidden);
  po::positional_options_description positional;
  positional.add("positional", allow_positional ? -1 : 0);
  ParsedOptions p;
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), p.vm);
  po::notify(p.vm);
  p.help = p.vm.count("help") > 0;
  if (p.vm.count("positional")) p.positional = p.vm["positional"].as<std::vector<std::string>>();
  return p;
}

std::string format_value(const ParsedOptions& p, const std::vector<std::string>& allowed) {
  std::string f = p.vm["format"].as<std::string>();
  std::string list;
  for (const auto& a : allowed) {
    if (a == f) return f;
    list += (list.empty() ? "" : ", ") + a;
  }
  usage_error("--format: expected " + list + ", found '" + f + "'");
}

void usage_error(const std::string& message) {
  throw po::error(message);
}

std::filesystem::path store_path(CommandContext& context) {
  const Config& c = context.config_or_defaults();
  return c.store_file.empty() ? context.data_dir() / "billing.sqlite3" : c.store_file;
}

std::unique_ptr<store::BillingStore> open_store(CommandContext& context) {
  return std::make_unique<store::BillingStore>(store_path(context));
}

engine::Day operator_today(CommandContext& context) {
  return engine::today_in_zone(context.config_or_defaults().timezone, host_now());
}

engine::YearMonth period_value(const ParsedOptions& p, CommandContext& context,
                               store::BillingStore& store) {
  if (p.vm.count("period")) {
    std::string text = p.vm["period"].as<std::string>();
    auto ym = engine::parse_year_month(text);
    if (!ym) usage_error("--period: expected YYYY-MM, found '" + text + "'");
    return *ym;
  }
  return engine::period_containing(operator_today(context),
                                   engine::global_billing_day(store.mapping()));
}

std::string format_quantity(double q) {
  if (std::fabs(q - std::round(q)) < 1e-9)
    return std::to_string(static_cast<int64_t>(std::round(q)));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", q);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string format_optional(const std::optional<double>& q, const char* absent) {
  return q ? format_quantity(*q) : std::string(absent);
}

std::string format_delta(const std::optional<double>& d) {
  if (!d) return "-";
  const std::string text = format_quantity(*d);
  return *d > 1e-9 ? "+" + text : text == "-0" ? "0" : text;
}

}  // namespace meterbridge::host
