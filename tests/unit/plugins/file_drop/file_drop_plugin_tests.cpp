// The file-drop plugin driven through its entry point, as the host does, over real files in a
// fresh temporary directory.
#include <catch2/catch.hpp>

#include <meterbridge/testing.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

extern "C" mb_status meterbridge_plugin_entry(const mb_host_version*, const mb_plugin_api**);

using meterbridge::json;
using meterbridge::testing::FakeHost;
using meterbridge::testing::Outcome;
using meterbridge::testing::PluginHarness;
namespace fs = std::filesystem;

namespace {

const std::string kHeader = "date,customer_id,customer_name,sku,product_name,metric,quantity\n";

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("file-drop-test-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter++) + "-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    // Give back permissions a test took away, so that everything can be removed.
    for (auto it = fs::recursive_directory_iterator(path_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

  std::string write(const std::string& name, const std::string& content) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p.string();
  }

 private:
  fs::path path_;
};

// A plugin instance over a temporary folder.
struct Drop {
  TempDir dir;
  FakeHost host;
  PluginHarness plugin{meterbridge_plugin_entry, host};

  explicit Drop(bool recursive = false) {
    json settings = {{"folder", dir.path().string()}};
    if (recursive) settings["recursive"] = true;
    Outcome created = plugin.create(settings);
    if (!created.ok()) throw std::runtime_error("create failed: " + created.message);
  }
  Outcome collect(const std::string& date) { return plugin.invoke("collect", {{"date", date}}); }
  json collect_ok(const std::string& date) {
    Outcome o = collect(date);
    INFO(o.message);
    REQUIRE(o.ok());
    return o.answer;
  }
};

std::string row(const std::string& date, const std::string& customer, const std::string& sku,
                const std::string& quantity, const std::string& metric = "seats") {
  return date + "," + customer + ",Name of " + customer + "," + sku + ",Product " + sku + "," +
         metric + "," + quantity + "\n";
}

// The rejection for file/line, or null.
json find_rejection(const json& answer, const std::string& file, int line) {
  for (const auto& r : answer["rejected"]) {
    if (r["file"] == file && r["line"] == line) return r;
  }
  return nullptr;
}

std::string rejection_reason(const json& answer, const std::string& file, int line) {
  json r = find_rejection(answer, file, line);
  return r.is_null() ? std::string("<no rejection at ") + file + ":" + std::to_string(line) + ">"
                     : r["reason"].get<std::string>();
}

std::vector<std::string> customer_ids(const json& answer) {
  std::vector<std::string> ids;
  for (const auto& r : answer["records"]) ids.push_back(r["customer_id"]);
  return ids;
}

// Moves a file's mtime, so a rewrite is seen as a change even on coarse-grained clocks.
void touch_later(const std::string& path, int seconds) {
  fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(seconds));
}

}  // namespace

TEST_CASE("plugin: declares a source plugin file-drop 1.0.0 with a strict settings schema") {
  FakeHost host;
  PluginHarness plugin(meterbridge_plugin_entry, host);
  CHECK(plugin.negotiation() == MB_OK);
  CHECK(std::string(plugin.api().id) == "file-drop");
  CHECK(plugin.api().kind == MB_KIND_SOURCE);
  CHECK(std::string(plugin.api().version) == "1.0.0");
  json schema = json::parse(plugin.api().settings_schema_json);
  CHECK(schema["required"] == json::array({"folder"}));
  CHECK(schema["additionalProperties"] == false);
  CHECK(schema["properties"]["recursive"]["type"] == "boolean");
  CHECK(schema["properties"]["folder"]["type"] == "string");
}

TEST_CASE("plugin: a relative folder is refused as a config error naming the setting") {
  FakeHost host;
  PluginHarness plugin(meterbridge_plugin_entry, host);
  Outcome refused = plugin.validate_settings({{"folder", "exports/usage"}});
  CHECK(refused.status == MB_E_CONFIG);
  CHECK_THAT(refused.message, Catch::Contains("'folder'") && Catch::Contains("exports/usage"));
  CHECK(plugin.validate_settings({{"folder", "/srv/exports"}}).ok());
  CHECK(plugin.create({{"folder", "relative"}}).status == MB_E_CONFIG);
}

TEST_CASE("plugin: check counts the readable files and fails for a missing folder") {
  Drop d;
  d.dir.write("a.csv", kHeader);
  d.dir.write("b.JSON", "[]");
  d.dir.write(".hidden.csv", kHeader);
  d.dir.write("c.csv.tmp", kHeader);
  d.dir.write("d.csv.part", kHeader);
  d.dir.write("notes.txt", "hello");
  Outcome ok = d.plugin.check();
  REQUIRE(ok.ok());
  CHECK(ok.answer["details"]["folder"] == d.dir.path().string());
  CHECK(ok.answer["details"]["files"] == 2);

  FakeHost host;
  PluginHarness missing(meterbridge_plugin_entry, host);
  std::string gone = (d.dir.path() / "does-not-exist").string();
  REQUIRE(missing.create({{"folder", gone}}).ok());
  Outcome failed = missing.check();
  CHECK(failed.status == MB_E_CONFIG);
  CHECK_THAT(failed.message, Catch::Contains(gone) && Catch::Contains("does not exist"));
  Outcome collect = missing.invoke("collect", {{"date", "2026-01-05"}});
  CHECK(collect.status == MB_E_CONFIG);

  PluginHarness not_dir(meterbridge_plugin_entry, host);
  std::string file = d.dir.file("a.csv");
  REQUIRE(not_dir.create({{"folder", file}}).ok());
  Outcome failed2 = not_dir.check();
  CHECK(failed2.status == MB_E_CONFIG);
  CHECK_THAT(failed2.message, Catch::Contains(file) && Catch::Contains("not a directory"));
}

TEST_CASE("plugin: collect answers only the requested date, sorted, from CSV and JSON") {
  Drop d;
  d.dir.write("2026-01.csv", kHeader + row("2026-01-05", "c2", "AV", "3") +
                                 row("2026-01-06", "c1", "AV", "99") +
                                 row("2026-01-05", "c1", "MAIL", "2.5", "users") +
                                 row("2026-01-05", "c1", "AV", "7"));
  d.dir.write("extra.json", R"({"records": [
    {"date": "2026-01-05", "customer_id": "c0", "customer_name": "Zero", "sku": "AV",
     "product_name": "Product AV", "metric": "devices", "quantity": 4},
    {"date": "2026-01-07", "customer_id": "c9", "customer_name": "Nine", "sku": "AV",
     "product_name": "Product AV", "metric": "devices", "quantity": 1}]})");
  d.dir.write("array.json", R"([
    {"date": "2026-01-05", "customer_id": "c3", "customer_name": "Three", "sku": "AV",
     "product_name": "Product AV", "metric": "seats", "quantity": 0}])");
  d.dir.write("ignored.csv.part", kHeader + row("2026-01-05", "c8", "AV", "1"));
  json a = d.collect_ok("2026-01-05");
  CHECK(a["schema"] == "usage.v1");
  CHECK(a["date"] == "2026-01-05");
  CHECK(a["rejected"] == json::array());
  CHECK(customer_ids(a) == std::vector<std::string>{"c0", "c1", "c1", "c2", "c3"});
  const json& recs = a["records"];
  CHECK(recs[0] == json{{"customer_id", "c0"},
                        {"customer_name", "Zero"},
                        {"sku", "AV"},
                        {"product_name", "Product AV"},
                        {"metric", "devices"},
                        {"quantity", 4}});
  CHECK(recs[1]["sku"] == "AV");
  CHECK(recs[1]["quantity"] == 7);
  CHECK(recs[1]["customer_name"] == "Name of c1");
  CHECK(recs[2]["sku"] == "MAIL");
  CHECK(recs[2]["metric"] == "users");
  CHECK(recs[2]["quantity"] == 2.5);
  CHECK(recs[4]["quantity"] == 0);
  CHECK(d.host.logged("collect 2026-01-05: 3 files, 3 read, 5 records, 0 rejected"));

  json b = d.collect_ok("2026-01-06");
  CHECK(customer_ids(b) == std::vector<std::string>{"c1"});
  CHECK(b["records"][0]["quantity"] == 99);

  json none = d.collect_ok("2026-03-01");
  CHECK(none["records"] == json::array());
  CHECK(d.host.logged("collect 2026-03-01: 3 files, 0 read, 0 records, 0 rejected"));

  Outcome bad = d.collect("2026-13-01");
  CHECK(bad.status == MB_E_INVALID_ARGUMENT);
}

TEST_CASE("plugin: each malformed row is rejected with file, line and reason, the rest stays") {
  Drop d;
  std::string f = d.dir.write("usage.csv", kHeader +                                       // 1
                                               row("2026-01-05", "ok1", "AV", "1") +       // 2
                                               row("2026-1-05", "c2", "AV", "1") +         // 3
                                               row("2026-02-30", "c3", "AV", "1") +        // 4
                                               row("2026-01-05", "c4", "AV", "-1") +       // 5
                                               row("2026-01-05", "c5", "AV", "NaN") +      // 6
                                               row("2026-01-05", "c6", "AV", "abc") +      // 7
                                               row("2026-01-05", "c7", "AV", "") +         // 8
                                               row("2026-01-05", "c8", "AV", "1e400") +    // 9
                                               row("2026-01-05", "c9", "AV", "\"1,5\"") +  // 10
                                               row("2026-01-05", "", "AV", "1") +          // 11
                                               row("2026-01-05", "c11", "", "1") +         // 12
                                               "2026-01-05,c12,N,AV,P,seats\n" +           // 13
                                               row("2026-01-05", "c13", "AV", "1", "") +   // 14
                                               row("2026-01-06", "c14", "AV", "-5") +      // 15
                                               row("2026-01-05", "ok2", "AV", "2"));       // 16
  json a = d.collect_ok("2026-01-05");
  CHECK(customer_ids(a) == std::vector<std::string>{"ok1", "ok2"});
  CHECK_THAT(rejection_reason(a, f, 3), Catch::Contains("'2026-1-05' is not a valid"));
  CHECK_THAT(rejection_reason(a, f, 4), Catch::Contains("'2026-02-30' is not a valid"));
  CHECK(rejection_reason(a, f, 5) == "quantity '-1' is negative");
  CHECK_THAT(rejection_reason(a, f, 6), Catch::Contains("quantity 'NaN'"));
  CHECK_THAT(rejection_reason(a, f, 7), Catch::Contains("quantity 'abc'"));
  CHECK(rejection_reason(a, f, 8) == "quantity is empty");
  CHECK(rejection_reason(a, f, 9) == "quantity '1e400' is out of range");
  CHECK_THAT(rejection_reason(a, f, 10), Catch::Contains("quantity '1,5'"));
  CHECK(rejection_reason(a, f, 11) == "customer_id is empty");
  CHECK(rejection_reason(a, f, 12) == "sku is empty");
  CHECK(rejection_reason(a, f, 13) == "expected 7 fields, found 6");
  CHECK(rejection_reason(a, f, 14) == "metric is empty");
  CHECK(find_rejection(a, f, 15).is_null());  // another day's row
  CHECK(a["rejected"].size() == 12);

  // Keys that could be parsed travel with the rejection; unparseable dates are left out.
  json r5 = find_rejection(a, f, 5);
  CHECK(r5["date"] == "2026-01-05");
  CHECK(r5["customer_id"] == "c4");
  CHECK(r5["sku"] == "AV");
  CHECK(r5["metric"] == "seats");
  json r4 = find_rejection(a, f, 4);
  CHECK_FALSE(r4.contains("date"));
  CHECK(r4["customer_id"] == "c3");
  json r11 = find_rejection(a, f, 11);
  CHECK_FALSE(r11.contains("customer_id"));
  CHECK(r11["date"] == "2026-01-05");
  CHECK(d.host.logged("collect 2026-01-05: 1 files, 1 read, 2 records, 12 rejected"));

  // Another day sees its own rejection and the undated ones, nothing of 2026-01-05.
  json b = d.collect_ok("2026-01-06");
  CHECK(b["records"] == json::array());
  CHECK(rejection_reason(b, f, 15) == "quantity '-5' is negative");
  CHECK_FALSE(find_rejection(b, f, 3).is_null());
  CHECK_FALSE(find_rejection(b, f, 4).is_null());
  CHECK(find_rejection(b, f, 5).is_null());
  CHECK(b["rejected"].size() == 3);
}

TEST_CASE("plugin: a wrong header rejects that file whole, other files are still collected") {
  Drop d;
  std::string bad =
      d.dir.write("a.csv", "date;customer_id;quantity\n" + row("2026-01-05", "c1", "AV", "1"));
  d.dir.write("b.csv", kHeader + row("2026-01-05", "c2", "AV", "2"));
  json a = d.collect_ok("2026-01-05");
  CHECK(customer_ids(a) == std::vector<std::string>{"c2"});
  REQUIRE(a["rejected"].size() == 1);
  CHECK(a["rejected"][0]["file"] == bad);
  CHECK(a["rejected"][0]["line"] == 1);
  CHECK_THAT(
      a["rejected"][0]["reason"].get<std::string>(),
      Catch::Contains("wrong header") &&
          Catch::Contains("date,customer_id,customer_name,sku,product_name,metric,quantity"));
  // A file-level rejection belongs to every day.
  CHECK(d.collect_ok("2026-02-01")["rejected"].size() == 1);
}

TEST_CASE("plugin: JSON rejections name the record, invalid JSON is rejected whole") {
  Drop d;
  std::string good = d.dir.write("a.json", R"([
    {"date": "2026-01-05", "customer_id": "c1", "customer_name": "One", "sku": "AV",
     "product_name": "AV", "metric": "seats", "quantity": 1},
    {"date": "2026-02-30", "customer_id": "c2", "customer_name": "Two", "sku": "AV",
     "product_name": "AV", "metric": "seats", "quantity": 1},
    {"date": "2026-01-05", "customer_id": "c3", "customer_name": "Three", "sku": "AV",
     "product_name": "AV", "metric": "seats", "quantity": "7"},
    {"date": "2026-01-05", "customer_id": "c4", "customer_name": "Four", "sku": "AV",
     "product_name": "AV", "metric": "seats"},
    {"date": "2026-01-05", "customer_id": "c5", "customer_name": "Five", "sku": "AV",
     "product_name": "AV", "metric": "seats", "quantity": 5}])");
  std::string broken =
      d.dir.write("b.json", "[\n {\"date\": \"2026-01-05\",\n  \"customer_id\": c6}\n]\n");
  json a = d.collect_ok("2026-01-05");
  CHECK(customer_ids(a) == std::vector<std::string>{"c1", "c5"});
  CHECK_THAT(rejection_reason(a, good, 2), Catch::StartsWith("record 2: date '2026-02-30'"));
  CHECK(rejection_reason(a, good, 3) == "record 3: quantity must be a JSON number, found string");
  CHECK(rejection_reason(a, good, 4) == "record 4: missing field 'quantity'");
  CHECK(find_rejection(a, good, 4)["customer_id"] == "c4");
  CHECK_THAT(rejection_reason(a, broken, 3),
             Catch::StartsWith("not valid JSON") && Catch::Contains("line 3"));
  CHECK(a["rejected"].size() == 4);
}

TEST_CASE("plugin: quoted fields with commas and newlines keep later line numbers right") {
  Drop d;
  std::string f = d.dir.write(
      "q.csv", kHeader +                                                                // 1
                   "2026-01-05,c1,\"Acme, Inc\",AV,\"Anti \"\"Virus\"\"\",seats,3\n" +  // 2
                   "2026-01-05,c2,\"Two\nLines\",AV,AV,seats,4\n" +                     // 3-4
                   "2026-01-05,c3,Three,AV,AV,seats,oops\n" +                           // 5
                   "2026-01-05,c4,\"a\r\nb\",AV,AV,seats,-1\n");                        // 6-7
  json a = d.collect_ok("2026-01-05");
  REQUIRE(customer_ids(a) == std::vector<std::string>{"c1", "c2"});
  CHECK(a["records"][0]["customer_name"] == "Acme, Inc");
  CHECK(a["records"][0]["product_name"] == "Anti \"Virus\"");
  CHECK(a["records"][1]["customer_name"] == "Two\nLines");
  CHECK_THAT(rejection_reason(a, f, 5), Catch::Contains("'oops'"));
  CHECK(rejection_reason(a, f, 6) == "quantity '-1' is negative");
  CHECK(a["rejected"].size() == 2);
}

TEST_CASE("plugin: a BOM and CRLF line endings are accepted") {
  Drop d;
  d.dir.write("win.csv",
              "\xEF\xBB\xBF"
              "date,customer_id,customer_name,sku,product_name,metric,quantity\r\n"
              "2026-01-05,c1,Acme,AV,AV,seats,12\r\n"
              "2026-01-05,c2,Beta,AV,AV,devices,3\r\n\r\n");
  json a = d.collect_ok("2026-01-05");
  CHECK(a["rejected"] == json::array());
  REQUIRE(customer_ids(a) == std::vector<std::string>{"c1", "c2"});
  CHECK(a["records"][0]["quantity"] == 12);
  CHECK(a["records"][1]["metric"] == "devices");  // no stray "\r"
  CHECK(a["records"][1]["quantity"] == 3);
}

TEST_CASE("plugin: a conflicting duplicate is rejected naming the first, an identical one is not") {
  Drop d;
  std::string first = d.dir.write(
      "a.csv", kHeader + row("2026-01-05", "c1", "AV", "5") + row("2026-01-05", "c2", "AV", "1"));
  std::string second = d.dir.write("b.csv", kHeader + row("2026-01-05", "c2", "AV", "1") +
                                                row("2026-01-05", "c1", "AV", "6") +
                                                row("2026-01-05", "c1", "AV", "5") +
                                                row("2026-01-05", "c1", "AV", "5", "devices"));
  json a = d.collect_ok("2026-01-05");
  REQUIRE(a["records"].size() == 3);  // c1/AV/seats, c1/AV/devices, c2/AV/seats
  CHECK(a["records"][0]["metric"] == "devices");
  CHECK(a["records"][1]["quantity"] == 5);  // the first one wins
  CHECK(a["records"][2]["customer_id"] == "c2");
  REQUIRE(a["rejected"].size() == 1);
  json r = a["rejected"][0];
  CHECK(r["file"] == second);
  CHECK(r["line"] == 3);
  CHECK_THAT(r["reason"].get<std::string>(),
             Catch::Contains("duplicate of " + first + ":2") && Catch::Contains("5 there, 6 here"));
  CHECK(r["date"] == "2026-01-05");
  CHECK(r["customer_id"] == "c1");
  CHECK(r["sku"] == "AV");
  CHECK(r["metric"] == "seats");

  // On another day the same keys are no duplicates.
  d.dir.write("c.csv", kHeader + row("2026-01-06", "c1", "AV", "9"));
  json b = d.collect_ok("2026-01-06");
  CHECK(b["rejected"] == json::array());
  CHECK(b["records"].size() == 1);
}

TEST_CASE("plugin: only files holding the date are parsed, changed files are indexed again") {
  Drop d;
  std::string day1 = d.dir.write("day1.csv", kHeader + row("2026-01-01", "c1", "AV", "1"));
  d.dir.write("day2.csv", kHeader + row("2026-01-02", "c1", "AV", "2"));
  d.dir.write("day3.csv", kHeader + row("2026-01-03", "c1", "AV", "3"));
  CHECK(d.collect_ok("2026-01-02")["records"][0]["quantity"] == 2);
  CHECK(d.host.logged(
      "collect 2026-01-02: 3 files, 1 read, 1 records, 0 rejected, 3 indexed by date only"));
  CHECK(d.collect_ok("2026-01-01")["records"][0]["quantity"] == 1);
  CHECK(d.host.logged("collect 2026-01-01: 3 files, 1 read, 1 records, 0 rejected, 0 indexed"));

  // Rewritten with other values and a later mtime: the next collect sees the new values.
  d.dir.write("day1.csv",
              kHeader + row("2026-01-01", "c1", "AV", "10") + row("2026-01-03", "c2", "AV", "30"));
  touch_later(day1, 5);
  json again = d.collect_ok("2026-01-01");
  REQUIRE(again["records"].size() == 1);
  CHECK(again["records"][0]["quantity"] == 10);
  json day3 = d.collect_ok("2026-01-03");
  CHECK(customer_ids(day3) == std::vector<std::string>{"c1", "c2"});
  CHECK(d.host.logged("collect 2026-01-03: 3 files, 2 read, 2 records, 0 rejected, 0 indexed"));

  // Same size, only the mtime moved: still read again.
  d.dir.write("day1.csv",
              kHeader + row("2026-01-01", "c1", "AV", "11") + row("2026-01-03", "c2", "AV", "30"));
  touch_later(day1, 10);
  CHECK(d.collect_ok("2026-01-01")["records"][0]["quantity"] == 11);
}

TEST_CASE("plugin: a vanished file is forgotten with its rows and rejections") {
  Drop d;
  std::string a = d.dir.write(
      "a.csv", kHeader + row("2026-01-05", "c1", "AV", "1") + row("bad", "c1", "AV", "1"));
  d.dir.write("b.csv", kHeader + row("2026-01-05", "c2", "AV", "2"));
  json before = d.collect_ok("2026-01-05");
  CHECK(customer_ids(before) == std::vector<std::string>{"c1", "c2"});
  CHECK(before["rejected"].size() == 1);
  fs::remove(a);
  json after = d.collect_ok("2026-01-05");
  CHECK(customer_ids(after) == std::vector<std::string>{"c2"});
  CHECK(after["rejected"] == json::array());
  CHECK(d.host.logged("collect 2026-01-05: 1 files, 1 read, 1 records, 0 rejected"));
}

TEST_CASE("plugin: a file that cannot be read fails the whole collect as transient") {
  Drop d;
  d.dir.write("a.csv", kHeader + row("2026-01-05", "c1", "AV", "1"));
  REQUIRE(d.collect_ok("2026-01-05")["records"].size() == 1);

  SECTION("a directory with a usage file's name") {
    fs::create_directory(d.dir.path() / "x.csv");
    Outcome o = d.collect("2026-01-05");
    CHECK(o.status == MB_E_TRANSIENT);
    CHECK_THAT(o.message, Catch::Contains(d.dir.file("x.csv")));
  }
  SECTION("a symbolic link that loops") {
    fs::create_symlink(d.dir.path() / "loop.csv", d.dir.path() / "loop.csv");
    Outcome o = d.collect("2026-01-05");
    CHECK(o.status == MB_E_TRANSIENT);
    CHECK_THAT(o.message, Catch::Contains(d.dir.file("loop.csv")));
  }
  SECTION("a file without read permission (not checkable as root)") {
    std::string locked = d.dir.write("locked.csv", kHeader + row("2026-01-05", "c2", "AV", "1"));
    fs::permissions(locked, fs::perms::none);
    if (::geteuid() == 0) {
      // root reads anything: the file is simply collected.
      CHECK(d.collect_ok("2026-01-05")["records"].size() == 2);
    } else {
      Outcome o = d.collect("2026-01-05");
      CHECK(o.status == MB_E_TRANSIENT);
      CHECK_THAT(o.message, Catch::Contains(locked));
    }
  }
}

TEST_CASE("plugin: sub-directories are read only when recursive, hidden ones never") {
  SECTION("flat") {
    Drop d;
    d.dir.write("top.csv", kHeader + row("2026-01-05", "c1", "AV", "1"));
    d.dir.write("sub/inner.csv", kHeader + row("2026-01-05", "c2", "AV", "1"));
    CHECK(customer_ids(d.collect_ok("2026-01-05")) == std::vector<std::string>{"c1"});
  }
  SECTION("recursive") {
    Drop d(true);
    d.dir.write("top.CSV", kHeader + row("2026-01-05", "c1", "AV", "1"));
    d.dir.write("sub/inner.csv", kHeader + row("2026-01-05", "c2", "AV", "1"));
    d.dir.write("sub/deeper/x.json", R"([{"date": "2026-01-05", "customer_id": "c3",
      "customer_name": "C", "sku": "AV", "product_name": "AV", "metric": "seats",
      "quantity": 1}])");
    d.dir.write(".snapshot/old.csv", kHeader + row("2026-01-05", "c4", "AV", "1"));
    d.dir.write("sub/.old.csv", kHeader + row("2026-01-05", "c5", "AV", "1"));
    fs::create_directory(d.dir.path() / "dir.csv");  // recursed into, not read as a file
    CHECK(customer_ids(d.collect_ok("2026-01-05")) == std::vector<std::string>{"c1", "c2", "c3"});
    Outcome check = d.plugin.check();
    REQUIRE(check.ok());
    CHECK(check.answer["details"]["files"] == 3);
  }
}

TEST_CASE("plugin: discover lists customers and products, named by the latest row") {
  Drop d;
  std::string a = d.dir.write("a.csv", kHeader + "2026-01-05,c1,Acme Old,AV,Anti Virus,seats,1\n" +
                                           "2026-01-07,c1,Acme New,AV,Anti Virus 2,seats,1\n" +
                                           "2026-01-06,c1,Acme Mid,MAIL,Mail,users,1\n" +
                                           "2026-01-06,c2,Beta,AV,Anti Virus 1,seats,x\n");
  std::string b = d.dir.write("b.json", R"([
    {"date": "2026-01-06", "customer_id": "c3", "customer_name": "Gamma", "sku": "BK",
     "product_name": "Backup", "metric": "devices", "quantity": 2},
    {"date": "2026-01-05", "customer_id": "c1", "customer_name": "Acme", "sku": "AV",
     "product_name": "AV", "metric": "seats", "quantity": 9}])");
  Outcome o = d.plugin.invoke("discover");
  REQUIRE(o.ok());
  const json& c = o.answer;
  CHECK(c["schema"] == "catalog.v1");
  CHECK(c["customers"] == json::parse(R"([{"id": "c1", "name": "Acme New"},
                                          {"id": "c3", "name": "Gamma"}])"));
  CHECK(c["products"] == json::parse(R"([{"sku": "AV", "name": "Anti Virus 2"},
                                         {"sku": "BK", "name": "Backup"},
                                         {"sku": "MAIL", "name": "Mail"}])"));
  REQUIRE(c["rejected"].size() == 2);
  CHECK(c["rejected"][0]["file"] == a);
  CHECK(c["rejected"][0]["line"] == 5);
  CHECK(c["rejected"][0]["customer_id"] == "c2");
  CHECK(c["rejected"][1]["file"] == b);
  CHECK(c["rejected"][1]["line"] == 2);
  CHECK_THAT(c["rejected"][1]["reason"].get<std::string>(),
             Catch::Contains("duplicate of " + a + ":2"));
  CHECK(c["rejected"][1]["date"] == "2026-01-05");
  CHECK(d.host.logged("discover: 2 files read, 2 customers, 3 products, 2 rejected"));

  // discover leaves a usable index behind: collect reads only the file holding the day.
  json day = d.collect_ok("2026-01-07");
  CHECK(customer_ids(day) == std::vector<std::string>{"c1"});
  CHECK(d.host.logged("collect 2026-01-07: 2 files, 1 read, 1 records, 0 rejected"));
}

TEST_CASE("plugin: a day of many rows in several files is collected in full") {
  Drop d;
  std::string header = kHeader;
  for (int file = 0; file < 3; ++file) {
    std::string text = header;
    for (int c = 0; c < 2000; ++c) {
      for (int day = 1; day <= 2; ++day) {
        text += row("2026-01-0" + std::to_string(day), "cust" + std::to_string(c),
                    "SKU" + std::to_string(file), std::to_string(c % 7));
      }
    }
    d.dir.write("f" + std::to_string(file) + ".csv", text);
  }
  json a = d.collect_ok("2026-01-02");
  CHECK(a["records"].size() == 6000);
  CHECK(a["rejected"] == json::array());
  // Sorted by customer_id, then sku.
  CHECK(a["records"][0]["customer_id"] == "cust0");
  CHECK(a["records"][0]["sku"] == "SKU0");
  CHECK(a["records"][2]["sku"] == "SKU2");
  CHECK(a["records"][3]["customer_id"] == "cust1");
  CHECK(a["records"][5999]["customer_id"] == "cust999");
}
