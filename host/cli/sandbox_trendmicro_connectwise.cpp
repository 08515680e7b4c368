// The Trend Micro scenario: Trend Micro Remote Manager to ConnectWise Manage as the seed's
// screens do it. Verify each customer's ConnectWise company id when mapping it (its agreements
// are loaded), give each Trend Micro product its agreement (by the Default, or by type then
// name), bill on day 31 with one customer on its own day and products, Send now for one
// customer, a sync, then the detection summaries and an executive summary as tickets.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"
#include "cli/sandbox_scenarios.hpp"
#include "cli/sandbox_steps.hpp"
#include "engine/calendar.hpp"
#include "sandbox/child_process.hpp"
#include "sandbox/demo_data.hpp"
#include "sandbox/trendmicro_demo_data.hpp"

namespace meterbridge::host {
namespace fs = std::filesystem;
using nlohmann::json;
using sandbox::EmulatorChild;
using sandbox::StepResult;
using namespace sandbox_steps;

namespace {

// Each Trend Micro product, the ConnectWise catalog item it bills as, and its price.
struct TmProduct {
  const char* sku;
  const char* identifier;
  const char* description;
  double price;
};
constexpr TmProduct kTmProducts[] = {
    {"WFBSS", "TM-WFBSS", "Worry-Free Business Security Services, per seat", 3.2},
    {"WFBS-STD", "TM-WFBS-STD", "Worry-Free Business Security Standard, per seat", 2.4},
    {"WFBS-ADV", "TM-WFBS-ADV", "Worry-Free Business Security Advanced, per seat", 3.9},
    {"HES", "TM-HES", "Hosted Email Security, per mailbox", 1.6},
    {"TMEMS-STD", "TM-EMS-STD", "Trend Micro Email Security Standard, per mailbox", 1.9},
    {"TMEMS-ADV", "TM-EMS-ADV", "Trend Micro Email Security Advanced, per mailbox", 2.8},
};

// A Trend Micro demo customer and the ConnectWise company an operator would type in.
struct TmCustomer {
  std::string id;
  std::string name;
  std::string company;
  std::vector<std::string> skus;
};

// The Sophos demo's ConnectWise site, plus what a Trend Micro MSP has set up there: the
// "TMRM management solution" agreement type, an agreement of that type for the Trend Micro
// customers (an email-security one too for one of them), and the Trend Micro catalog.
json connectwise_seed(json cw, const std::vector<TmCustomer>& customers) {
  cw["agreement_types"].push_back({{"id", 3}, {"name", "TMRM management solution"}});
  int agreement = 7501;
  for (size_t i = 0; i < customers.size(); ++i) {
    const auto& c = customers[i];
    auto add = [&](const std::string& name) {
      cw["agreements"].push_back({{"id", agreement++},
                                  {"name", name},
                                  {"type", {{"id", 3}}},
                                  {"company", {{"id", std::stoi(c.company)}}},
                                  {"agreementStatus", "Active"},
                                  {"cancelledFlag", false},
                                  {"startDate", "2025-01-01T00:00:00Z"}});
    };
    add("Trend Micro - " + c.name);
    if (i == 4) add("Trend Micro Email - " + c.name);  // a second one: no Default, by name
  }
  int id = 201;
  for (const auto& p : kTmProducts) {
    cw["catalog"].push_back({{"id", id++},
                             {"identifier", p.identifier},
                             {"description", std::string(p.description).substr(0, 60)},
                             {"customerDescription", p.description},
                             {"price", p.price},
                             {"cost", p.price / 2},
                             {"inactiveFlag", false},
                             {"productClass", "Service"},
                             {"recurringFlag", true},
                             {"subcategory", {{"id", 6}, {"name", "Security"}}},
                             {"type", {{"id", 4}, {"name", "Managed Service"}}},
                             {"unitOfMeasure", {{"id", 1}, {"name", "Each"}}}});
  }
  return cw;
}

std::vector<TmCustomer> trend_customers(const json& tm_seed, const json& cw_seed) {
  std::vector<TmCustomer> out;
  for (const auto& c : tm_seed["customers"]) {
    TmCustomer t{c["id"], c["name"], "", {}};
    std::string company_name;
    for (const auto& d : sandbox::demo_customers()) {
      if (t.name == d.vendor_name) company_name = d.psa_name;
    }
    for (const auto& co : cw_seed["companies"]) {
      if (co["name"] == company_name) t.company = std::to_string(co["id"].get<int>());
    }
    for (const auto& s : c["subscriptions"]) {
      for (const auto& l : s["licenses"]) t.skus.push_back(l["product_id"]);
    }
    if (!t.company.empty()) out.push_back(std::move(t));
  }
  return out;
}

const char* identifier_of(const std::string& sku) {
  for (const auto& p : kTmProducts) {
    if (sku == p.sku) return p.identifier;
  }
  return "";
}

json sandbox_config(const fs::path& dir, const std::string& tm_url, const json& cw,
                    const std::string& cw_url, const std::vector<TmCustomer>& customers) {
  // Weekly detection summaries on Mondays, daily for the customer with Email Security Standard,
  // and an executive summary on the first of the month.
  json companies = json::object();
  for (const auto& c : customers) {
    for (const auto& s : c.skus) {
      if (s == "TMEMS-STD")
        companies[c.company] = {{"detection", {{"every", "day"}, {"at", "07:00"}}}};
    }
  }
  return {{"config_version", 1},
          {"timezone", "UTC"},
          {"data_dir", (dir / "data").string()},
          {"summaries",
           {{"detection", {{"every", "week"}, {"weekday", "monday"}, {"at", "07:00"}}},
            {"executive", {{"every", "month"}, {"day", 1}, {"at", "08:00"}}},
            {"companies", companies}}},
          {"plugins",
           {{"trendmicro",
             {{"enabled", true},
              {"plugin", "trendmicro-rm"},
              {"settings",
               {{"api_url", tm_url},
                {"access_token", "${file:" + (dir / "secrets" / "tm-access-token").string() + "}"},
                {"secret_key", "${file:" + (dir / "secrets" / "tm-secret-key").string() + "}"}}}}},
            {"connectwise",
             {{"enabled", true},
              {"plugin", "connectwise-manage"},
              {"settings",
               {{"site_url", cw_url},
                {"company_id", cw["company_id"]},
                {"public_key", cw["public_key"]},
                {"private_key",
                 "${file:" + (dir / "secrets" / "connectwise-private-key").string() + "}"},
                {"client_id", cw["client_ids"][0]},
                {"agreement_type", "TMRM management solution"},
                {"summary_board", "Help Desk"}}}}}}}};
}

// Verify and map every customer, then give each product its agreement: the Default where
// ConnectWise offers one, by type and name for the customer with two Trend Micro agreements.
bool map_and_assign(Sandbox& sb, const std::vector<TmCustomer>& customers) {
  bool ok = true;
  std::cout << "\n== Verify: a company id ConnectWise does not know is refused\n";
  ok = sb.step({"map", "customer", "trendmicro", customers[0].id, "19999"}).exit_code == 2 && ok;
  std::cout << "\n== Verify and map each customer by its ConnectWise company id\n";
  for (const auto& c : customers) {
    ok = sb.step({"map", "customer", "trendmicro", c.id, c.company}).exit_code == 0 && ok;
  }
  for (const auto& p : kTmProducts) {
    ok = sb.step({"map", "product", "trendmicro", p.sku, p.identifier, "--tracking", "monthly",
                  "--method", "max"})
                 .exit_code == 0 &&
         ok;
  }
  std::cout << "\n== Agreements per product (Set Up: the Default, or type then name)\n";
  sb.step({"psa", "agreements", customers[4].company});
  for (size_t i = 0; i < customers.size(); ++i) {
    const auto& c = customers[i];
    for (const auto& sku : c.skus) {
      std::vector<std::string> args = {"psa", "target", c.company, "--line", identifier_of(sku)};
      if (i == 4) {
        const bool email = sku.rfind("TMEMS", 0) == 0 || sku == "HES";
        args.insert(args.end(), {"--agreement-type", "TMRM management solution", "--agreement",
                                 (email ? "Trend Micro Email - " : "Trend Micro - ") + c.name});
      } else {
        args.push_back("--default");
      }
      ok = sb.step(args).exit_code == 0 && ok;
    }
  }
  sb.step({"psa", "targets"});
  return ok;
}

// Billing day 31 with one customer on its own day and products, Send now for one customer, a
// sync and a second one that must write nothing. Sets the period the plan bills.
bool bill(Sandbox& sb, const std::vector<TmCustomer>& customers,
          const std::vector<EmulatorLog>& emulators, std::map<std::string, size_t>& seen,
          std::string& period) {
  bool ok = true;
  std::cout << "\n== Billing: every month on day 31 (the last day of a shorter month); "
            << customers[1].name << " on day 15 with one product\n";
  ok = sb.step({"billing", "set", "--day", "31"}).exit_code == 0 && ok;
  ok = sb.step({"billing", "company", customers[1].company, "--psa", "connectwise", "--day", "15",
                "--products", "trendmicro/" + customers[1].skus.front()})
               .exit_code == 0 &&
       ok;
  // The period containing today by the global day 31: a 30-day month's bills on its 30th.
  StepResult planned = sb.step({"plan", "--format", "json"}, true);
  const json plan = json::parse(planned.out, nullptr, false);
  period = plan.is_object() ? plan.value("period", "") : "";
  ok = ok && planned.exit_code == 0 && !period.empty();
  sb.step({"plan"});
  std::cout << "\n== Send now: " << customers[0].name << " only\n";
  StepResult now = sb.step({"send-now", "--customer", customers[0].id, "--no-collect"});
  print_calls("Send now", calls_since(emulators, seen), now.wall);
  StepResult sync = sb.step({"sync", "--no-collect"});
  print_calls("Sync", calls_since(emulators, seen), sync.wall);
  StepResult again = sb.step({"sync", "--no-collect"});
  CallCount second = calls_since(emulators, seen);
  print_calls("Second sync (usage unchanged)", second, again.wall);
  sb.step({"report", "reconcile"});
  ok =
      ok && now.exit_code == 0 && sync.exit_code == 0 && again.exit_code == 0 && second.writes == 0;

  return ok;
}

// The detection summaries, one executive summary, and the same detection send again, which
// must write nothing.
bool send_summaries(Sandbox& sb, const std::vector<TmCustomer>& customers,
                    const std::vector<EmulatorLog>& emulators, std::map<std::string, size_t>& seen,
                    engine::YearMonth month, const std::string& period) {
  bool ok = true;
  std::cout << "\n== Summaries: detections (weekly, one customer daily) and an executive summary\n";
  StepResult detections = sb.step({"summaries", "send", "--kind", "detection"});
  // The executive summary of this billing period, as the 1st of the next month will send it.
  const auto ym = engine::parse_year_month(period);
  const std::string next_first =
      engine::format_iso_date(engine::first_day_of(engine::next_month(ym.value_or(month))));
  StepResult executive = sb.step({"summaries", "send", "--kind", "executive", "--company",
                                  customers[4].company, "--date", next_first});
  CallCount summaries = calls_since(emulators, seen);
  print_calls("Summaries", summaries, detections.wall + executive.wall);
  ok = ok && detections.exit_code == 0 && executive.exit_code == 0 && summaries.writes > 0;
  StepResult resend = sb.step({"summaries", "send", "--kind", "detection"});
  CallCount none = calls_since(emulators, seen);
  print_calls("Summaries again (sent once: nothing new)", none, resend.wall);
  ok = ok && resend.exit_code == 0 && none.writes == 0;
  sb.step({"summaries", "list"});

  return ok;
}

}  // namespace

int run_trendmicro_connectwise(const ScenarioOptions& options) {
  std::error_code ec;
  const fs::path tm_exe = find_emulator(options.emulator_dirs, "emulator-trendmicro");
  const fs::path cw_exe = find_emulator(options.emulator_dirs, "emulator-connectwise");
  const engine::Day today = engine::today_in_zone("UTC", std::chrono::system_clock::now());
  const engine::YearMonth month = engine::year_month_of(today);
  const fs::path dir = options.dir;
  fs::create_directories(dir / "secrets");
  fs::create_directories(dir / "logs");

  sandbox::TrendMicroDemo tm_demo = sandbox::make_trendmicro_demo(today);
  const json base_cw = sandbox::make_demo_data(month).connectwise_seed;
  const std::vector<TmCustomer> customers = trend_customers(tm_demo.seed, base_cw);
  const json cw_seed = connectwise_seed(base_cw, customers);
  write_private_file(dir / "trendmicro-seed.json", tm_demo.seed.dump(2));
  write_private_file(dir / "connectwise-seed.json", cw_seed.dump(2));
  write_private_file(dir / "secrets" / "tm-access-token", tm_demo.access_token);
  write_private_file(dir / "secrets" / "tm-secret-key", tm_demo.secret_key);
  write_private_file(dir / "secrets" / "connectwise-private-key",
                     cw_seed["private_key"].get<std::string>());

  std::cout << "meterbridge sandbox: demo data in " << dir.string() << "\n";
  EmulatorChild tm(tm_exe, dir / "trendmicro-seed.json", dir / "logs", options.keep);
  EmulatorChild cw(cw_exe, dir / "connectwise-seed.json", dir / "logs", options.keep);
  std::cout << "emulator-trendmicro  " << tm.url() << "  (Trend Micro Remote Manager SMPI/LMPI, "
            << tm_demo.seed["customers"].size() << " customers)\n"
            << "emulator-connectwise " << cw.url() << "  (ConnectWise Manage, "
            << cw_seed["companies"].size() << " companies)\n";
  const fs::path config = dir / "config.json";
  write_private_file(
      config,
      with_isolation(sandbox_config(dir, tm.url(), cw_seed, cw.url(), customers), options.isolated)
          .dump(2));
  std::cout << "config               " << config.string() << "\n";

  Sandbox sb(config);
  const std::vector<EmulatorLog> emulators = {{"trendmicro", tm.url(), false},
                                              {"connectwise", cw.url(), true}};
  std::map<std::string, size_t> seen;
  bool ok = sb.step({"plugins", "check"}).exit_code == 0;
  ok = sb.step({"discover"}).exit_code == 0 && ok;
  ok = sb.step({"collect"}).exit_code == 0 && ok;
  ok = map_and_assign(sb, customers) && ok;
  calls_since(emulators, seen);  // set-up, not billing

  std::string period;
  ok = bill(sb, customers, emulators, seen, period) && ok;
  ok = send_summaries(sb, customers, emulators, seen, month, period) && ok;

  std::cout << "\n== The tickets ConnectWise holds\n";
  const json state = request_json(cw.url() + "/_emulator/state");
  for (const auto& t : state.value("tickets", json::array())) {
    std::cout << "  #" << t["id"] << "  company " << t["company"]["id"] << "  board "
              << t["board"]["name"].get<std::string>() << "  " << t["summary"].get<std::string>()
              << "\n";
  }
  ok = !state.value("tickets", json::array()).empty() && ok;

  if (options.serve) ok = run_serve_demo(config) && ok;
  std::cout << "\n";
  const std::string mb =
      (fs::read_symlink("/proc/self/exe", ec).parent_path() / "meterbridge").string() +
      " --config " + config.string();
  if (options.keep) {
    const pid_t pids[] = {tm.pid(), cw.pid()};
    tm.release();
    cw.release();
    std::cout << "The emulators keep running (pids " << pids[0] << ", " << pids[1]
              << "). Try, for example:\n"
              << "  " << mb << " psa targets\n"
              << "  " << mb << " summaries list\n"
              << "  " << mb << " report executive --company " << customers[4].company
              << " --period " << period << "\n"
              << "  curl " << cw.url() << "/_emulator/state      (tickets, additions)\n"
              << "Stop them with: kill " << pids[0] << " " << pids[1] << "; remove " << dir.string()
              << " when done.\n";
    return ok ? kExitOk : kExitFailure;
  }
  tm.stop();
  cw.stop();
  if (!options.dir_given) fs::remove_all(dir, ec);
  std::cout << "Emulators stopped" << (options.dir_given ? "" : ", demo directory removed")
            << ". Run `meterbridge sandbox --scenario trendmicro-connectwise --keep` to explore "
               "the result.\n";
  return ok ? kExitOk : kExitFailure;
}

}  // namespace meterbridge::host
