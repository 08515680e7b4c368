#include "billing_scenario.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using nlohmann::json;

BillingScenario::BillingScenario(const std::string& name, const std::string& sink_extra)
    : dir(fresh_dir(name)),
      drop(dir / "drop"),
      ledger_file(dir / "ledger.json"),
      config(dir / "config.json") {
  std::filesystem::create_directories(drop);
  write_config(sink_extra);
}

void BillingScenario::write_config(const std::string& sink_extra, const json& sync) {
  json sink_settings = {
      {"ledger_file", ledger_file.string()},
      {"companies",
       {{{"id", "C1"}, {"name", "ACME Dental Group"}},
        {{"id", "C2"}, {"name", "Bright Water Logistics GmbH"}},
        {{"id", "C3"}, {"name", "Città di Lugo S.r.l."}}}},
      {"lines",
       {{{"id", "EDR"}, {"name", "Endpoint protection seat"}, {"unit_price", 4.5}},
        {{"id", "MAIL"}, {"name", "Email security user"}, {"unit_price", 2.0}}}}};
  if (!sink_extra.empty()) sink_settings.update(json::parse(sink_extra));
  json c = {
      {"config_version", 1},
      {"timezone", "Europe/Rome"},
      {"data_dir", (dir / "data").string()},
      {"plugin_dirs", {METERBRIDGE_PLUGIN_DIR, METERBRIDGE_FIXTURE_DIR}},
      {"plugins",
       {{"drop",
         {{"enabled", true}, {"plugin", "file-drop"}, {"settings", {{"folder", drop.string()}}}}},
        {"psa", {{"enabled", true}, {"plugin", "ledger-sink"}, {"settings", sink_settings}}}}}};
  if (!sync.is_null()) c["sync"] = sync;
  write_file(config, c.dump(2));
}

void BillingScenario::drop_csv(const std::string& file, const std::vector<std::string>& rows) {
  std::string text = "date,customer_id,customer_name,sku,product_name,metric,quantity\n";
  for (const auto& r : rows) text += r + "\n";
  write_file(drop / file, text);
}

ProcessResult BillingScenario::run(std::vector<std::string> args) const {
  args.insert(args.begin(), {"--config", config.string()});
  return run_meterbridge(args);
}

json BillingScenario::run_json(std::vector<std::string> args, int expected_exit) const {
  args.push_back("--format");
  args.push_back("json");
  ProcessResult r = run(args);
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == expected_exit);
  return json::parse(r.out);
}

json BillingScenario::ledger() const {
  std::ifstream in(ledger_file);
  if (!in) return {{"lines", json::object()}, {"writes", 0}};
  std::stringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}
