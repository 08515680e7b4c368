#include "cli/mapping_command.hpp"

#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/catalog_lookup.hpp"
#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/text_table.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

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
