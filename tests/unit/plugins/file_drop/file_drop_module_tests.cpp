// file-drop's `module` setting: a Kaseya module's billing types are the accepted SKUs and give
// product names and metrics, so an export needs only date, customer, type and quantity.
#include <catch2/catch.hpp>

#include <meterbridge/testing.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "kaseya_modules.hpp"

extern "C" mb_status meterbridge_plugin_entry(const mb_host_version*, const mb_plugin_api**);

using meterbridge::json;
using meterbridge::testing::FakeHost;
using meterbridge::testing::Outcome;
using meterbridge::testing::PluginHarness;
namespace fs = std::filesystem;

namespace {

struct ModuleDrop {
  fs::path dir;
  FakeHost host;
  PluginHarness plugin{meterbridge_plugin_entry, host};

  ModuleDrop(const std::string& name, const json& module) {
    dir =
        fs::temp_directory_path() / ("file-drop-module-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    Outcome created = plugin.create({{"folder", dir.string()}, {"module", module}});
    if (!created.ok()) throw std::runtime_error("create failed: " + created.message);
  }
  ~ModuleDrop() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name, std::ios::binary | std::ios::trunc) << text;
    return (dir / name).string();
  }
  json collect(const std::string& date) {
    Outcome o = plugin.invoke("collect", {{"date", date}});
    INFO(o.message);
    REQUIRE(o.ok());
    return o.answer;
  }
};

}  // namespace

TEST_CASE("module: the schema's enum names exactly the modules of the table") {
  FakeHost host;
  PluginHarness plugin(meterbridge_plugin_entry, host);
  json schema = json::parse(plugin.api().settings_schema_json);
  std::set<std::string> in_schema, in_table;
  for (const auto& m : schema["properties"]["module"]["enum"]) in_schema.insert(m);
  for (const auto& m : file_drop::kaseya_modules()) {
    in_table.insert(std::string(m.id));
    CHECK_FALSE(m.types.empty());
    for (const auto& t : m.types)
      CHECK(t.sku.substr(0, m.id.size() + 1) == std::string(m.id) + "/");
  }
  CHECK(in_schema == in_table);
  for (const char* id :
       {"bullphish-id", "graphus", "network-detective-pro", "dark-web-id", "compliance-manager"}) {
    CHECK(in_table.count(id) == 1);
  }
}

TEST_CASE("module: an unknown module is refused") {
  FakeHost host;
  PluginHarness plugin(meterbridge_plugin_entry, host);
  Outcome o = plugin.create({{"folder", "/tmp"}, {"module", "datto-rmm"}});
  CHECK_FALSE(o.ok());
}

TEST_CASE("module: the short export gets the module's SKUs, product names and metrics") {
  ModuleDrop d("short", "compliance-manager");
  d.write("cm.csv",
          "date,customer_id,customer_name,type,quantity\n"
          "2026-11-02,org-1,Acme Dental,Devices,40\n"
          "2026-11-02,org-1,Acme Dental,users,12\n"
          "2026-11-02,org-2,Bolt Ltd,compliance-manager/enabled,1\n");
  json a = d.collect("2026-11-02");
  REQUIRE(a["records"].size() == 3);
  CHECK(a.value("rejected", json::array()).empty());
  std::set<std::string> seen;
  for (const auto& r : a["records"]) {
    seen.insert(r["customer_id"].get<std::string>() + " " + r["sku"].get<std::string>() + " " +
                r["metric"].get<std::string>() + " " + r["product_name"].get<std::string>());
  }
  CHECK(seen == std::set<std::string>{
                    "org-1 compliance-manager/devices devices Compliance Manager - Devices",
                    "org-1 compliance-manager/users users Compliance Manager - Users",
                    "org-2 compliance-manager/enabled enabled Compliance Manager - Is Enabled"});
}

TEST_CASE("module: a row whose type is not one of the module's is rejected with file and line") {
  ModuleDrop d("reject", "bullphish-id");
  std::string file = d.write("bp.csv",
                             "date,customer_id,customer_name,type,quantity\n"
                             "2026-11-02,org-1,Acme,phishing,1\n"
                             "2026-11-02,org-1,Acme,Inboxes,30\n");
  json a = d.collect("2026-11-02");
  REQUIRE(a["records"].size() == 1);
  CHECK(a["records"][0]["sku"] == "bullphish-id/phishing");
  REQUIRE(a["rejected"].size() == 1);
  CHECK(a["rejected"][0]["file"] == file);
  CHECK(a["rejected"][0]["line"] == 3);
  CHECK_THAT(a["rejected"][0]["reason"].get<std::string>(),
             Catch::Contains("'Inboxes' is not a billing type of module bullphish-id"));
}

TEST_CASE("module: the full header and JSON exports are checked against the module too") {
  ModuleDrop d("full", "graphus");
  d.write("full.csv",
          "date,customer_id,customer_name,sku,product_name,metric,quantity\n"
          "2026-11-02,org-1,Acme,inboxes,,,25\n"
          "2026-11-02,org-2,Bolt,EP-ADV,Intercept X,seats,3\n");
  d.write("more.json", R"([{"date": "2026-11-02", "customer_id": "org-3", "customer_name": "Cobalt",
                           "type": "Paid Inboxes", "quantity": 8}])");
  json a = d.collect("2026-11-02");
  REQUIRE(a["records"].size() == 2);
  for (const auto& r : a["records"]) {
    CHECK(r["sku"] == "graphus/inboxes");
    CHECK(r["metric"] == "inboxes");
    CHECK(r["product_name"] == "Graphus - Paid Inboxes");
  }
  REQUIRE(a["rejected"].size() == 1);
  CHECK(a["rejected"][0]["line"] == 3);
}

TEST_CASE("module: without the setting the short header is refused as before") {
  FakeHost host;
  PluginHarness plugin(meterbridge_plugin_entry, host);
  auto dir = fs::temp_directory_path() / ("file-drop-nomodule-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "x.csv") << "date,customer_id,customer_name,type,quantity\n"
                                  "2026-11-02,org-1,Acme,phishing,1\n";
  REQUIRE(plugin.create({{"folder", dir.string()}}).ok());
  Outcome o = plugin.invoke("collect", {{"date", "2026-11-02"}});
  fs::remove_all(dir);
  REQUIRE(o.ok());
  CHECK(o.answer["records"].empty());
}
