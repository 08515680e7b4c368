// What the billing commands share: option parsing with --help, --format checks, the store, the
// operator's today, and a period argument.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "cli/command_line.hpp"
#include "engine/calendar.hpp"
#include "store/billing_store.hpp"

namespace meterbridge::host {

struct ParsedOptions {
  boost::program_options::variables_map vm;
  std::vector<std::string> positional;
  bool help = false;
};

// Parses a subcommand's options (unknown options are usage errors); positional words are kept
// when positional_names is non-empty (their count is checked by the caller).
ParsedOptions parse_options(const std::vector<std::string>& args,
                            const boost::program_options::options_description& options,
                            bool allow_positional = false);

// The --format value, one of allowed; throws a usage error naming the allowed values.
std::string format_value(const ParsedOptions& p, const std::vector<std::string>& allowed);

// The billing store: the config's "store", else <data dir>/billing.sqlite3.
std::filesystem::path store_path(CommandContext& context);
std::unique_ptr<store::BillingStore> open_store(CommandContext& context);

// Today in the config's time zone.
engine::Day operator_today(CommandContext& context);

// --period YYYY-MM, else the period containing today (by the global billing day).
engine::YearMonth period_value(const ParsedOptions& p, CommandContext& context,
                               store::BillingStore& store);

// A usage error with the command's name (exit 2).
[[noreturn]] void usage_error(const std::string& message);

std::string format_quantity(double q);
std::string format_optional(const std::optional<double>& q, const char* absent = "-");
// A signed change: "+2", "-3", "0"; "-" when unknown.
std::string format_delta(const std::optional<double>& d);

}  // namespace meterbridge::host
