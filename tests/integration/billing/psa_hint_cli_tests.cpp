// psa_hint end to end: demo sources (Kaseya modules, say) that carry their own link of a
// customer to a PSA company, an Autotask-like ledger sink, `discover`, `map list`, `map auto`.
#include <catch2/catch.hpp>

#include <set>

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

TEST_CASE("map auto links by psa hint first, then by name, and reports hints it cannot follow") {
  HintScenario s("hint-auto");
  // Company 400 exists at the first discover, then is deleted in the PSA.
  s.companies.push_back({{"id", "400"}, {"name", "Gone Away Inc"}});
  s.modules["bullphish"].push_back({{"id", "b-3"},
                                    {"name", "Gone Away"},
                                    {"seats", 1},
                                    {"psa_hint", hint("400", "Gone Away Inc")}});
  s.write_config();
  REQUIRE(s.run({"discover"}).exit_code == 0);
  s.companies.erase(s.companies.size() - 1);
  s.write_config();
  REQUIRE(s.run({"discover"}).exit_code == 0);

  json dry = s.run_json({"map", "auto", "--dry-run"});
  for (const auto& row : dry) CHECK(row["result"] != "linked");
  json rows = s.run_json({"map", "auto"});

  // Linked by id although the names drifted apart ("ACME Dental (Main St)").
  const json* by_id = find_row(rows, "rmm", "s-1");
  REQUIRE(by_id);
  CHECK((*by_id)["result"] == "linked");
  CHECK((*by_id)["rule"] == "psa-id");
  CHECK((*by_id)["company"] == "100");
  CHECK((*by_id)["psa_hint"]["status"] == "used");
  // No hint: the exact normalised name rule ("GmbH" ignored).
  const json* by_name = find_row(rows, "rmm", "s-2");
  REQUIRE(by_name);
  CHECK((*by_name)["rule"] == "name");
  CHECK((*by_name)["company"] == "200");
  // No hint, no name match: not listed, left for map suggest.
  CHECK(find_row(rows, "rmm", "s-3") == nullptr);
  // An unknown id is reported with the customer, the id and the hinted name, and the name
  // rule still links it ("Old Harbour" = "Old Harbour Ltd").
  const json* stale = find_row(rows, "graphus", "g-2");
  REQUIRE(stale);
  CHECK((*stale)["psa_hint"]["status"] == "unknown-id");
  CHECK_THAT((*stale)["note"].get<std::string>(),
             Catch::Contains("autotask company 999 (Vanished Co)"));
  CHECK((*stale)["rule"] == "name");
  CHECK((*stale)["company"] == "300");
  // A deleted company's id: reported, never linked, and no name matches either.
  const json* gone = find_row(rows, "bullphish", "b-3");
  REQUIRE(gone);
  CHECK((*gone)["result"] == "not-linked");
  CHECK((*gone)["psa_hint"]["status"] == "gone-id");
  CHECK((*gone).value("company", "") == "");

  json list = s.run_json({"map", "list"});
  const json* b3 = find_row(list["customers"], "bullphish", "b-3");
  REQUIRE(b3);
  CHECK((*b3)["company"].is_null());
}

TEST_CASE("customers of three source instances all link to one PSA company") {
  HintScenario s("hint-consolidated");
  REQUIRE(s.run({"discover"}).exit_code == 0);
  ProcessResult table = s.run({"map", "auto"});
  INFO(table.out << table.err);
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("psa-id"));
  CHECK_THAT(table.out, Catch::Contains("linked by exact normalised name"));
  CHECK_THAT(table.out, Catch::Contains("not followed"));
  json list = s.run_json({"map", "list"});
  std::set<std::string> on_acme;
  for (const auto& c : list["customers"]) {
    if (c["company"] == "100")
      on_acme.insert(c["source"].get<std::string>() + "/" + c["customer_id"].get<std::string>());
  }
  // rmm and graphus by their hints, bullphish by name ("inc." and case ignored).
  CHECK(on_acme == std::set<std::string>{"rmm/s-1", "graphus/g-1", "bullphish/b-1"});
}
