#include "cli/mapping_command.hpp"

#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/catalog_lookup.hpp"
#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/psa_sink_command.hpp"
#include "cli/psa_target_command.hpp"
#include "cli/text_table.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

int run_psa_command(CommandContext& context) {
  const auto& args = context.args();
  const std::string sub = args.empty() ? "" : args[0];
  std::vector<std::string> rest(args.empty() ? args.begin() : args.begin() + 1, args.end());
  if (sub.empty() || sub == "--help" || sub == "-h") {
    (sub.empty() ? std::cerr : std::cout)
        << "Usage: meterbridge psa SUBCOMMAND\n\n"
           "  psa list [--format table|json]                  PSA companies and lines known\n"
           "  psa add-company ID NAME [--psa PSA]             enter a company by hand\n"
           "  psa add-line ID NAME [--unit-price P] [--psa PSA]  enter a line (product) by hand\n"
           "  psa verify COMPANY_ID                           does the company exist in the PSA\n"
           "  psa agreements COMPANY_ID                       its agreements, and the Default\n"
           "  psa contracts COMPANY_ID                        the same (Autotask contracts)\n"
           "  psa catalog search|add|edit ...                 the PSA's product catalog\n"
           "  psa target COMPANY_ID --contract ID|--clear     bill the company into this one\n"
           "  psa targets [--format table|json]               the targets set\n"
           "  psa adopt COMPANY_ID LINE_ID                    let meterbridge write a PSA line\n\n"
           "Sinks report their companies and lines through `meterbridge discover`; entries by\n"
           "hand use the PSA name 'manual' unless --psa names a sink instance.\n";
    return sub.empty() ? kExitUsage : kExitOk;
  }
  if (is_psa_sink_subcommand(sub)) {
    return guarded([&] { return run_psa_sink_command(context, sub, rest); });
  }
  if (is_psa_target_subcommand(sub)) {
    return guarded([&] { return run_psa_target_command(context, sub, rest); });
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

}  // namespace meterbridge::host
