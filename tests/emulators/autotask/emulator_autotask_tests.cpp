// Starts the emulator-autotask executable and talks real HTTP(S) to it with cpp-httplib.
#include <catch2/catch.hpp>

#include "../../test_pki.hpp"
#include "../emulator_under_test.hpp"

#include <httplib.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kApi = "/ATServicesRest/V1.0";

json seed() {
  return read_json_file(AUTOTASK_SEED_EXAMPLE);
}

// The example seed with changes, written to a temporary file.
class SeedFile {
 public:
  explicit SeedFile(const json& patch) {
    json s = seed();
    s.merge_patch(patch);
    path_ = (fs::temp_directory_path() / ("at-seed-" + std::to_string(getpid()) + ".json"));
    std::ofstream(path_) << s.dump();
  }
  ~SeedFile() { fs::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

class Emulator : public EmulatorUnderTest {
 public:
  explicit Emulator(std::vector<std::string> extra = {}, const std::string& seed_file = "")
      : EmulatorUnderTest(EMULATOR_AUTOTASK_EXE,
                          seed_file.empty() ? AUTOTASK_SEED_EXAMPLE : seed_file, extra) {}
};

httplib::Headers auth() {
  const auto u = seed()["apiUsers"][0];
  return {{"ApiIntegrationCode", u["apiIntegrationCode"].get<std::string>()},
          {"UserName", u["userName"].get<std::string>()},
          {"Secret", u["secret"].get<std::string>()}};
}

httplib::Result call(httplib::Client& cli, const std::string& method, const std::string& path,
                     const json& body = nullptr, httplib::Headers headers = auth()) {
  const std::string p = path.rfind("/ATServicesRest/", 0) == 0 ? path : kApi + path;
  const std::string b = body.is_null() ? "" : body.dump();
  if (method == "GET") return cli.Get(p.c_str(), headers);
  if (method == "POST") return cli.Post(p.c_str(), headers, b, "application/json");
  if (method == "PUT") return cli.Put(p.c_str(), headers, b, "application/json");
  if (method == "PATCH") return cli.Patch(p.c_str(), headers, b, "application/json");
  return cli.Delete(p.c_str(), headers);
}

json expect(httplib::Client& cli, const std::string& method, const std::string& path,
            const json& body, int status) {
  auto res = call(cli, method, path, body);
  REQUIRE(res);
  INFO(method << " " << path << " -> " << res->body);
  REQUIRE(res->status == status);
  return json::parse(res->body);
}

json query(httplib::Client& cli, const std::string& entity, const json& body) {
  return expect(cli, "POST", "/" + entity + "/query", body, 200);
}

std::set<long long> ids(const json& items) {
  std::set<long long> out;
  for (const auto& o : items) out.insert(o["id"].get<long long>());
  return out;
}

json filter(const std::string& op, const std::string& field, const json& value = nullptr) {
  json f = {{"op", op}, {"field", field}};
  if (!value.is_null()) f["value"] = value;
  return f;
}

// The path and query of an absolute URL the emulator handed out.
std::string local(const Emulator& emu, const std::string& url) {
  REQUIRE(url.rfind(emu.url(), 0) == 0);
  return url.substr(emu.url().size());
}

json units_of(httplib::Client& cli, long long contract_service) {
  return query(cli, "ContractServiceUnits",
               {{"Filter", {filter("eq", "contractServiceID", contract_service)}}})["items"];
}

}  // namespace

TEST_CASE("zoneInformation answers the emulator's own URL without auth") {
  Emulator emu;
  auto cli = emu.client();
  auto res = cli.Get("/atservicesrest/v1.0/zoneInformation?user=api-meterbridge%40msp.example");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const auto zone = json::parse(res->body);
  CHECK(zone["url"] == emu.url() + "/ATServicesRest/");
  CHECK(zone["zoneName"] == "Emulated Zone (America East)");
  CHECK(zone["ci"] == 12345);
  CHECK(zone.contains("webUrl"));
  // The base for every other call is {url}V1.0/.
  auto th =
      call(cli, "GET",
           zone["url"].get<std::string>().substr(emu.url().size()) + "V1.0/ThresholdInformation");
  REQUIRE(th);
  CHECK(th->status == 200);
  auto unknown = cli.Get("/atservicesrest/v1.0/zoneInformation?user=nobody%40example.com");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(json::parse(unknown->body)["errors"].is_array());
}

TEST_CASE("auth: a missing or wrong header is 401 with errors") {
  Emulator emu;
  auto cli = emu.client();
  for (const std::string name : {"ApiIntegrationCode", "UserName", "Secret"}) {
    auto missing = auth();
    missing.erase(name);
    auto res = call(cli, "GET", "/Companies/101", nullptr, missing);
    REQUIRE(res);
    CHECK(res->status == 401);
    CHECK(json::parse(res->body)["errors"].size() == 1);
    auto wrong = auth();
    wrong.erase(name);
    wrong.emplace(name, "wrong");
    res = call(cli, "GET", "/Companies/101", nullptr, wrong);
    REQUIRE(res);
    CHECK(res->status == 401);
  }
  auto impersonating = auth();
  impersonating.emplace("ImpersonationResourceId", "29682885");
  auto ok = call(cli, "GET", "/Companies/101", nullptr, impersonating);
  REQUIRE(ok);
  CHECK(ok->status == 200);
  impersonating.erase("ImpersonationResourceId");
  impersonating.emplace("ImpersonationResourceId", "1");
  auto bad = call(cli, "GET", "/Companies/101", nullptr, impersonating);
  REQUIRE(bad);
  CHECK(bad->status == 401);
}

TEST_CASE("entities: GET by id answers item, unknown ids 404, paths in any case") {
  Emulator emu;
  auto cli = emu.client();
  CHECK(expect(cli, "GET", "/Companies/101", nullptr, 200)["item"]["companyName"] == "Contoso Ltd");
  CHECK(expect(cli, "GET", "/contracts/201", nullptr, 200)["item"]["contractType"] == 7);
  CHECK(expect(cli, "GET", "/Services/301", nullptr, 200)["item"]["unitPrice"] == 4.5);
  CHECK(expect(cli, "GET", "/ContractServices/402", nullptr, 200)["item"]["serviceID"] == 303);
  CHECK(expect(cli, "GET", "/Companies/999", nullptr, 404)["errors"].size() == 1);
  auto lower = cli.Get("/atservicesrest/v1.0/companies/102", auth());
  REQUIRE(lower);
  CHECK(lower->status == 200);
  CHECK(expect(cli, "GET", "/NoSuchEntity/1", nullptr, 404).contains("errors"));
  CHECK(expect(cli, "DELETE", "/Companies/101", nullptr, 405)["Message"] ==
        "The requested resource does not support http method 'DELETE'.");
}

TEST_CASE("query: every op, nested and/or groups, udf, IncludeFields, count") {
  Emulator emu;
  auto cli = emu.client();
  auto q = [&](const std::vector<json>& f) {
    return ids(query(cli, "Companies", {{"Filter", f}})["items"]);
  };
  CHECK(q({filter("eq", "companyType", 1)}) == std::set<long long>{101, 102, 103});
  CHECK(q({filter("noteq", "companyType", 1)}) == std::set<long long>{104, 105});
  CHECK(q({filter("gt", "id", 103)}) == std::set<long long>{104, 105});
  CHECK(q({filter("gte", "id", 103)}) == std::set<long long>{103, 104, 105});
  CHECK(q({filter("lt", "id", 102)}) == std::set<long long>{101});
  CHECK(q({filter("lte", "id", 102)}) == std::set<long long>{101, 102});
  CHECK(q({filter("in", "id", {101, 105})}) == std::set<long long>{101, 105});
  CHECK(q({filter("notIn", "id", {101, 105})}) == std::set<long long>{102, 103, 104});
  CHECK(q({filter("beginsWith", "companyName", "fab")}) == std::set<long long>{102});
  CHECK(q({filter("endsWith", "companyName", "GMBH")}) == std::set<long long>{105});
  CHECK(q({filter("contains", "companyName", "wind")}) == std::set<long long>{103});
  CHECK(q({filter("exist", "companyNumber")}) == std::set<long long>{101, 102, 103, 105});
  CHECK(q({filter("notExist", "companyNumber")}) == std::set<long long>{104});
  CHECK(q({filter("eq", "companyType", 1), filter("eq", "isActive", true)}).size() == 3);
  const json nested = {
      {"op", "or"},
      {"items",
       {filter("eq", "id", 104),
        {{"op", "and"}, {"items", {filter("eq", "companyType", 1), filter("gt", "id", 102)}}}}}};
  CHECK(q({nested}) == std::set<long long>{103, 104});
  CHECK(q({{{"op", "eq"}, {"field", "Billing Region"}, {"value", "West"}, {"udf", true}}}) ==
        std::set<long long>{102});
  CHECK(ids(query(cli, "Contracts",
                  {{"Filter", {filter("gte", "startDate", "2026-04-01")}}})["items"]) ==
        std::set<long long>{203});
  const auto projected =
      query(cli, "Services",
            {{"includeFields", {"id", "unitPrice"}}, {"filter", {filter("exist", "id")}}})["items"];
  REQUIRE(projected.size() == 3);
  CHECK(projected[0] == json{{"id", 301}, {"unitPrice", 4.5}});
  CHECK(expect(cli, "POST", "/Companies/query/count",
               {{"Filter", {filter("eq", "companyType", 1)}}}, 200)["queryCount"] == 3);
}

TEST_CASE("query: MaxRecords over 500, unknown fields and ops are 500 with errors") {
  Emulator emu;
  auto cli = emu.client();
  const json all = {filter("exist", "id")};
  CHECK(expect(cli, "POST", "/Companies/query", {{"MaxRecords", 501}, {"Filter", all}},
               500)["errors"][0] == "MaxRecords must be between 1 and 500.");
  expect(cli, "POST", "/Companies/query", {{"MaxRecords", 0}, {"Filter", all}}, 500);
  CHECK(query(cli, "Companies", {{"MaxRecords", 500}, {"Filter", all}})["items"].size() == 5);
  expect(cli, "POST", "/Companies/query", {{"Filter", {filter("eq", "nope", 1)}}}, 500);
  expect(cli, "POST", "/Companies/query", {{"Filter", {filter("like", "id", 1)}}}, 500);
  expect(cli, "POST", "/Companies/query", {{"Filter", {filter("in", "id", 1)}}}, 500);
  expect(cli, "POST", "/Companies/query", {{"Filter", {{{"op", "or"}, {"items", json::array()}}}}},
         500);
  expect(cli, "POST", "/Companies/query", {{"IncludeFields", {"nope"}}, {"Filter", all}}, 500);
  // With IncludeFields and more results than a page, id must be included.
  expect(cli, "POST", "/Companies/query",
         {{"MaxRecords", 2}, {"IncludeFields", {"companyName"}}, {"Filter", all}}, 500);
}

TEST_CASE("paging: nextPageUrl and prevPageUrl fetched with GET, GET query with search") {
  Emulator emu;
  auto cli = emu.client();
  const json body = {{"MaxRecords", 2}, {"Filter", {filter("exist", "id")}}};
  auto page = query(cli, "Companies", body);
  std::vector<long long> seen;
  int pages = 0;
  while (true) {
    ++pages;
    CHECK(page["pageDetails"]["count"] == page["items"].size());
    CHECK(page["pageDetails"]["requestCount"] == 2);
    for (const auto& c : page["items"]) seen.push_back(c["id"].get<long long>());
    if (pages > 1) CHECK(page["pageDetails"]["prevPageUrl"].is_string());
    if (page["pageDetails"]["nextPageUrl"].is_null()) break;
    page = expect(cli, "GET", local(emu, page["pageDetails"]["nextPageUrl"]), nullptr, 200);
  }
  CHECK(pages == 3);
  CHECK(seen == std::vector<long long>{101, 102, 103, 104, 105});
  const auto prev =
      expect(cli, "GET", local(emu, page["pageDetails"]["prevPageUrl"]), nullptr, 200);
  CHECK(ids(prev["items"]) == std::set<long long>{103, 104});
  httplib::Params params = {{"search", body.dump()}};
  auto got = cli.Get((kApi + "/Companies/query").c_str(), params, auth());
  REQUIRE(got);
  REQUIRE(got->status == 200);
  CHECK(ids(json::parse(got->body)["items"]) == std::set<long long>{101, 102});
}

TEST_CASE("adjustments: create answers itemId, units per monthly period are derived") {
  Emulator emu;
  auto cli = emu.client();
  auto before = units_of(cli, 401);
  REQUIRE(before.size() == 12);
  CHECK(before[0]["startDate"] == "2026-01-01T00:00:00");
  CHECK(before[0]["endDate"] == "2026-01-31T00:00:00");
  CHECK(before[1]["units"] == 10);
  CHECK(before[2]["units"] == 12);  // the seeded +2 from 2026-03-15
  CHECK(before[2]["price"] == 54.0);
  const auto made = expect(cli, "POST", "/ContractServiceAdjustments",
                           {{"contractServiceID", 401},
                            {"effectiveDate", "2026-06-01T00:00:00.000"},
                            {"unitChange", -3}},
                           200);
  CHECK(made["itemId"].is_number_integer());
  const auto child =
      expect(cli, "POST", "/Contracts/201/ServiceAdjustments",
             {{"serviceID", 301}, {"effectiveDate", "2026-08-01"}, {"unitChange", 5}}, 200);
  CHECK(child["itemId"] == made["itemId"].get<long long>() + 1);
  const auto after = units_of(cli, 401);
  CHECK(after[4]["units"] == 12);
  CHECK(after[5]["units"] == 9);
  CHECK(after[7]["units"] == 14);
  CHECK(after[11]["units"] == 14);
  // contractID + serviceID of a service not on the contract creates the contract service.
  expect(
      cli, "POST", "/ContractServiceAdjustments",
      {{"contractID", 201}, {"serviceID", 302}, {"effectiveDate", "2026-02-01"}, {"unitChange", 4}},
      200);
  const auto created =
      query(cli, "ContractServices",
            {{"Filter", {filter("eq", "contractID", 201), filter("eq", "serviceID", 302)}}});
  REQUIRE(created["items"].size() == 1);
  const auto u = units_of(cli, created["items"][0]["id"].get<long long>());
  CHECK(u[0]["units"] == 0);
  CHECK(u[1]["units"] == 4);
}

TEST_CASE("adjustments: validation failures are HTTP 500 with errors") {
  Emulator emu;
  auto cli = emu.client();
  const json ok = {{"contractServiceID", 401}, {"effectiveDate", "2026-05-01"}, {"unitChange", 1}};
  auto refuse = [&](const json& patch) {
    json body = ok;
    body.merge_patch(patch);
    const auto e = expect(cli, "POST", "/ContractServiceAdjustments", body, 500);
    REQUIRE(e["errors"].is_array());
    CHECK(e["errors"][0].is_string());
  };
  refuse({{"effectiveDate", "2025-12-31"}});  // before the contract starts
  refuse({{"effectiveDate", "2027-01-01"}});  // after it ends
  refuse({{"effectiveDate", nullptr}});
  refuse({{"effectiveDate", "next week"}});
  refuse({{"unitChange", 1.5}});
  refuse({{"unitChange", "2"}});
  refuse({{"unitChange", nullptr}});
  refuse({{"contractServiceID", 999}});
  refuse({{"contractServiceID", nullptr}});  // neither contractServiceID nor contractID + serviceID
  refuse({{"contractServiceID", nullptr}, {"contractID", 204}, {"serviceID", 301}});  // T&M
  refuse({{"contractID", 202}});  // does not match the contract service
  expect(cli, "POST", "/Contracts/202/ServiceAdjustments", ok, 500);
  // Nothing was written.
  CHECK(units_of(cli, 401)[4]["units"] == 12);
}

TEST_CASE("adjustments: no GET, query, PATCH, PUT or DELETE (405)") {
  Emulator emu;
  auto cli = emu.client();
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/ContractServiceAdjustments/501"},
           {"POST", "/ContractServiceAdjustments/query"},
           {"GET", "/ContractServiceAdjustments/query"},
           {"PATCH", "/ContractServiceAdjustments"},
           {"PUT", "/ContractServiceAdjustments"},
           {"DELETE", "/ContractServiceAdjustments/501"},
           {"GET", "/Contracts/201/ServiceAdjustments"}}) {
    const auto body = expect(cli, method, path, json::object(), 405);
    CHECK(body["Message"] ==
          "The requested resource does not support http method '" + method + "'.");
  }
}

TEST_CASE("contract services: added through Contracts/{id}/Services, units read-only") {
  Emulator emu;
  auto cli = emu.client();
  const auto made = expect(cli, "POST", "/Contracts/202/Services", {{"serviceID", 302}}, 200);
  const long long id = made["itemId"].get<long long>();
  const auto cs = expect(cli, "GET", "/ContractServices/" + std::to_string(id), nullptr, 200);
  CHECK(cs["item"]["unitPrice"] == 2.0);  // the service's price
  CHECK(units_of(cli, id)[0]["units"] == 0);
  expect(cli, "POST", "/Contracts/202/Services", {{"serviceID", 302}}, 500);  // already there
  expect(cli, "POST", "/Contracts/204/Services", {{"serviceID", 302}}, 500);  // not recurring
  expect(cli, "POST", "/Contracts/202/Services", {{"serviceID", 999}}, 500);
  CHECK(ids(expect(cli, "GET", "/Contracts/201/Services", nullptr, 200)["items"]) ==
        std::set<long long>{401, 402});
  CHECK(expect(cli, "GET", "/Contracts/201/ServiceUnits", nullptr, 200)["items"].size() == 24);
  expect(cli, "POST", "/ContractServices", {{"contractID", 202}, {"serviceID", 303}}, 405);
  expect(cli, "POST", "/ContractServiceUnits", {{"units", 3}}, 405);
  expect(cli, "PATCH", "/ContractServiceUnits", {{"id", 401001}, {"units", 3}}, 405);
}

TEST_CASE("services: POST creates, PATCH updates, validation failures are 500") {
  Emulator emu;
  auto cli = emu.client();
  const json made = expect(cli, "POST", "/Services",
                           {{"name", "Kaseya VSA - Agents"},
                            {"unitPrice", 3.25},
                            {"unitCost", 1.0},
                            {"billingCodeID", 29682801},
                            {"periodType", "m"}},
                           200);
  REQUIRE(made["itemId"] == 304);
  auto item = expect(cli, "GET", "/Services/304", nullptr, 200)["item"];
  CHECK(item["name"] == "Kaseya VSA - Agents");
  CHECK(item["unitPrice"] == 3.25);
  CHECK(item["isActive"] == true);
  CHECK(item["markupRate"].is_null());
  CHECK(query(cli, "Services", {{"Filter", {filter("contains", "name", "agents")}}})["items"]
            .size() == 1);
  // PATCH changes only the fields given.
  CHECK(expect(cli, "PATCH", "/Services", {{"id", 304}, {"unitPrice", 3.5}}, 200)["itemId"] == 304);
  item = expect(cli, "GET", "/Services/304", nullptr, 200)["item"];
  CHECK(item["unitPrice"] == 3.5);
  CHECK(item["name"] == "Kaseya VSA - Agents");
  // The new service can go on a contract at once.
  expect(
      cli, "POST", "/ContractServiceAdjustments",
      {{"contractID", 201}, {"serviceID", 304}, {"effectiveDate", "2026-10-01"}, {"unitChange", 3}},
      200);
  auto refuse = [&](const std::string& method, const json& body) {
    const auto e = expect(cli, method, "/Services", body, 500);
    REQUIRE(e["errors"].is_array());
    CHECK(e["errors"][0].is_string());
  };
  refuse("POST", {{"unitPrice", 1.0}});                            // no name
  refuse("POST", {{"name", ""}, {"unitPrice", 1.0}});              // empty name
  refuse("POST", {{"name", "No price"}});                          // no unitPrice
  refuse("POST", {{"name", "Text price"}, {"unitPrice", "1.0"}});  // not a number
  refuse("POST", {{"name", "Typo"}, {"unitPrice", 1.0}, {"unitprize", 2}});
  refuse("POST", {{"name", "With id"}, {"unitPrice", 1.0}, {"id", 301}});
  refuse("POST", {{"name", "Bad code"}, {"unitPrice", 1.0}, {"billingCodeID", "x"}});
  refuse("POST", {{"name", "Bad flag"}, {"unitPrice", 1.0}, {"isActive", "yes"}});
  refuse("PATCH", {{"unitPrice", 2.0}});               // no id
  refuse("PATCH", {{"id", 999}, {"unitPrice", 2.0}});  // unknown id
  refuse("PATCH", {{"id", 304}, {"name", nullptr}});   // required field emptied
  refuse("PATCH", {{"id", 304}, {"unitPrice", nullptr}});
  expect(cli, "PUT", "/Services", {{"id", 304}, {"name", "x"}, {"unitPrice", 1.0}}, 405);
  expect(cli, "DELETE", "/Services/304", nullptr, 405);
  // Nothing refused was written.
  CHECK(expect(cli, "GET", "/Services/304", nullptr, 200)["item"]["unitPrice"] == 3.5);
  CHECK(query(cli, "Services", {{"Filter", {filter("exist", "id")}}})["items"].size() == 4);
}

TEST_CASE("limits: a 4th concurrent request to one endpoint is refused with 429") {
  Emulator emu({"--latency-ms", "2000"});
  std::vector<std::future<int>> calls;
  for (int i = 0; i < 3; ++i) {
    calls.push_back(std::async(std::launch::async, [&emu] {
      auto cli = emu.client();
      auto res = call(cli, "GET", "/Companies/101");
      return res ? res->status : -1;
    }));
  }
  // Wait until the three are being answered (logged in flight), then send a fourth.
  auto control = emu.client();
  for (int tries = 0; tries < 100; ++tries) {
    auto log = control.Get("/_emulator/requests");
    REQUIRE(log);
    int in_flight = 0;
    for (const auto& e : json::parse(log->body)) in_flight += e.value("in_flight", false) ? 1 : 0;
    if (in_flight == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto fourth = emu.client();
  auto refused = call(fourth, "GET", "/Companies/102");
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(json::parse(refused->body)["errors"].size() == 1);
  // Another endpoint is not limited by the Companies calls.
  auto services = call(fourth, "GET", "/Services/301");
  REQUIRE(services);
  CHECK(services->status == 200);
  for (auto& c : calls) CHECK(c.get() == 200);
}

TEST_CASE("limits: hourly threshold counted by ThresholdInformation and enforced") {
  SeedFile small(json{{"externalRequestThreshold", 4}});
  Emulator emu({}, small.path());
  auto cli = emu.client();
  auto t = expect(cli, "GET", "/ThresholdInformation", nullptr, 200);
  CHECK(t["externalRequestThreshold"] == 4);
  CHECK(t["requestThresholdTimeframe"] == 60);
  CHECK(t["currentTimeframeRequestCount"] == 1);
  expect(cli, "GET", "/Companies/101", nullptr, 200);
  // zoneInformation is not counted.
  REQUIRE(cli.Get("/atservicesrest/v1.0/zoneInformation?user=api-meterbridge%40msp.example"));
  CHECK(expect(cli, "GET", "/ThresholdInformation", nullptr, 200)["currentTimeframeRequestCount"] ==
        3);
  expect(cli, "GET", "/Companies/101", nullptr, 200);
  CHECK(expect(cli, "GET", "/Companies/101", nullptr, 429)["errors"].size() == 1);
}

TEST_CASE("latency-ms delays every answer") {
  Emulator emu({"--latency-ms", "300"});
  auto cli = emu.client();
  const auto t0 = std::chrono::steady_clock::now();
  expect(cli, "GET", "/Companies/101", nullptr, 200);
  REQUIRE(cli.Get("/atservicesrest/v1.0/zoneInformation?user=api-meterbridge%40msp.example"));
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(600));
}

TEST_CASE("faults: 429, 500, malformed, drop") {
  Emulator emu;
  auto cli = emu.client();
  auto add = [&](const json& f) {
    auto res = cli.Post("/_emulator/faults", f.dump(), "application/json");
    REQUIRE(res);
    REQUIRE(res->status == 201);
  };
  add({{"path_prefix", "/ATServicesRest"}, {"kind", "429"}, {"retry_after", 3}});
  auto limited = call(cli, "GET", "/Companies/101");
  REQUIRE(limited);
  CHECK(limited->status == 429);
  CHECK(limited->get_header_value("Retry-After") == "3");
  CHECK(json::parse(limited->body)["errors"].is_array());
  add({{"kind", "500"}});
  CHECK(expect(cli, "GET", "/Companies/101", nullptr, 500)["errors"].is_array());
  add({{"kind", "malformed"}});
  auto malformed = call(cli, "GET", "/Companies/101");
  REQUIRE(malformed);
  CHECK_THROWS(json::parse(malformed->body));
  add({{"kind", "drop"}});
  CHECK(!call(cli, "GET", "/Companies/101"));
  expect(cli, "GET", "/Companies/101", nullptr, 200);
}

TEST_CASE("request log without the Secret, state with the derived units") {
  Emulator emu;
  auto cli = emu.client();
  expect(cli, "GET", "/Companies/101", nullptr, 200);
  const std::string secret = seed()["apiUsers"][0]["secret"];
  auto log = cli.Get("/_emulator/requests");
  REQUIRE(log);
  CHECK(log->body.find(secret) == std::string::npos);
  const auto entries = json::parse(log->body);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0]["headers"]["UserName"] == "api-meterbridge@msp.example");
  CHECK(entries[0]["headers"]["ApiIntegrationCode"] == "METERBRIDGE-TRACKING-ID");
  CHECK(!entries[0]["headers"].contains("Secret"));
  auto state = cli.Get("/_emulator/state");
  REQUIRE(state);
  CHECK(state->body.find(secret) == std::string::npos);
  const auto st = json::parse(state->body);
  CHECK(st["adjustments"].size() == 1);
  CHECK(st["contract_service_units"].size() == 48);
  CHECK(st["threshold"]["currentTimeframeRequestCount"] == 1);
}

TEST_CASE("TLS: trusted with the test CA, refused without it") {
  auto pki = make_test_pki("emulator-autotask");
  Emulator emu(
      {"--tls-cert", (pki / "server.pem").string(), "--tls-key", (pki / "server.key").string()});
  REQUIRE(emu.url().rfind("https://127.0.0.1:", 0) == 0);
  const int port = std::stoi(emu.url().substr(emu.url().rfind(':') + 1));
  httplib::SSLClient trusted("127.0.0.1", port);
  trusted.set_ca_cert_path((pki / "ca.pem").c_str());
  trusted.enable_server_certificate_verification(true);
  auto ok = trusted.Get("/atservicesrest/v1.0/zoneInformation?user=api-meterbridge%40msp.example");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(json::parse(ok->body)["url"] == emu.url() + "/ATServicesRest/");
  httplib::SSLClient untrusted("127.0.0.1", port);
  untrusted.enable_server_certificate_verification(true);
  CHECK(!untrusted.Get("/atservicesrest/v1.0/zoneInformation?user=x"));
  CHECK(emu.stop() == 0);
  fs::remove_all(pki);
}
