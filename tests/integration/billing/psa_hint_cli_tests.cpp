// psa_hint end to end: demo sources (Kaseya modules, say) that carry their own link of a
// customer to a PSA company, an Autotask-like ledger sink, `discover`, `map list`, `map auto`.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "../cli/run_process.hpp"

using nlohmann::json;

namespace {

json hint(const std::string& id, const std::string& name) {
  return {{"psa", "autotask"}, {"company_id", id}, {"company_name", name}};
}

// Three source instances (one per module) and one sink standing in for Autotask.
struct HintScenario {
  explicit HintScenario(const std::string& name) : dir(fresh_dir(name)) {
    companies = {{{"id", "100"}, {"name", "Acme Dental Group"}},
                 {{"id", "200"}, {"name", "Bright Water Logistics"}},
                 {{"id", "300"}, {"name", "Old Harbour Ltd"}}};
    modules["rmm"] = {{{"id", "s-1"},
                       {"name", "ACME Dental (Main St)"},
                       {"seats", 5},
                       {"psa_hint", hint("100", "Acme Dental Group")}},
                      {{"id", "s-2"}, {"name", "Bright Water Logistics GmbH"}, {"seats", 3}},
                      {{"id", "s-3"}, {"name", "Nobody Matches Here"}, {"seats", 1}}};
    modules["graphus"] = {{{"id", "g-1"},
                           {"name", "Acme Dental"},
                           {"seats", 7},
                           {"psa_hint", hint("100", "Acme Dental Group")}},
                          {{"id", "g-2"},
                           {"name", "Old Harbour"},
                           {"seats", 2},
                           {"psa_hint", hint("999", "Vanished Co")}}};
    modules["bullphish"] = {{{"id", "b-1"}, {"name", "ACME dental group inc."}, {"seats", 9}},
                            {{"id", "b-2"},
                             {"name", "Old Harbour Ltd"},
                             {"seats", 4},
                             {"psa_hint", hint("300", "Old Harbour Ltd")}}};
    write_config();
  }

  void write_config() const {
    json plugins = json::object();
    for (const auto& [name, customers] : modules.items()) {
      plugins[name] = {{"enabled", true},
                       {"plugin", "demo-source"},
                       {"settings", {{"customers", customers}, {"sku", name + "-seats"}}}};
    }
    plugins["at"] = {{"enabled", true},
                     {"plugin", "ledger-sink"},
                     {"settings",
                      {{"ledger_file", (dir / "ledger.json").string()},
                       {"setup_ops", "autotask"},
                       {"companies", companies},
                       {"lines", {{{"id", "SEAT"}, {"name", "Seat"}}}}}}};
    json c = {{"config_version", 1},
              {"timezone", "Europe/Rome"},
              {"data_dir", (dir / "data").string()},
              {"plugin_dirs", {METERBRIDGE_PLUGIN_DIR, METERBRIDGE_FIXTURE_DIR}},
              {"plugins", plugins}};
    write_file(dir / "config.json", c.dump(2));
  }

  ProcessResult run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--config", (dir / "config.json").string()});
    return run_meterbridge(args);
  }

  json run_json(std::vector<std::string> args) const {
    args.insert(args.end(), {"--format", "json"});
    ProcessResult r = run(args);
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
  }

  std::filesystem::path dir;
  json companies;
  json modules = json::object();
};

const json* find_row(const json& rows, const std::string& source, const std::string& id) {
  for (const auto& r : rows) {
    if (r.value("source", "") == source && r.value("customer_id", "") == id) return &r;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("discover stores each customer's psa hint and map list shows it") {
  HintScenario s("hint-list");
  ProcessResult d = s.run({"discover"});
  INFO(d.out << d.err);
  REQUIRE(d.exit_code == 0);
  json list = s.run_json({"map", "list"});
  const json* acme = find_row(list["customers"], "rmm", "s-1");
  REQUIRE(acme);
  CHECK((*acme)["psa_hint"] == hint("100", "Acme Dental Group"));
  const json* plain = find_row(list["customers"], "rmm", "s-2");
  REQUIRE(plain);
  CHECK((*plain)["psa_hint"].is_null());
  ProcessResult table = s.run({"map", "list"});
  CHECK_THAT(table.out, Catch::Contains("autotask/100 (Acme Dental Group)"));
}
