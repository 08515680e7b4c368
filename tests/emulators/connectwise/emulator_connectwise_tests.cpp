// Starts the emulator-connectwise executable and talks real HTTP(S) to it with cpp-httplib.
#include <catch2/catch.hpp>

#include "../../test_pki.hpp"
#include "cw_test_client.hpp"

#include <httplib.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;

using namespace cw_test;

TEST_CASE("companyinfo, system/info, unknown path") {
  Emulator emu;
  auto cli = emu.client();
  auto info = cli.Get("/login/companyinfo/northwindmsp");
  REQUIRE(info);
  REQUIRE(info->status == 200);
  auto j = json::parse(info->body);
  CHECK(j["Codebase"] == "v4_6_release/");
  CHECK(j["CompanyID"] == "northwindmsp");
  CHECK(j["IsCloud"] == true);
  CHECK(j["SiteUrl"] == emu.url());
  CHECK(j.contains("CompanyName"));
  CHECK(j.contains("VersionCode"));
  auto unknown = cli.Get("/login/companyinfo/nobody");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  auto sys = get_json(cli, "/system/info");
  CHECK(sys["isCloud"] == true);
  CHECK(sys.contains("version"));
  CHECK(sys.contains("serverTimeZone"));
  auto nowhere = cli.Get((kApi + "/nowhere/at/all").c_str(), auth());
  REQUIRE(nowhere);
  CHECK(nowhere->status == 404);
  CHECK(json::parse(nowhere->body)["code"] == "NotFound");
  CHECK(emu.stop() == 0);
}

TEST_CASE("auth: wrong keys, missing or unknown clientId") {
  Emulator emu;
  auto cli = emu.client();
  auto wrong = cli.Get((kApi + "/company/companies").c_str(), auth("not-the-key"));
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  auto body = json::parse(wrong->body);
  CHECK(body["code"] == "Unauthorized");
  CHECK(body.contains("message"));

  auto h = auth();
  h.erase("clientId");
  auto no_client = cli.Get((kApi + "/company/companies").c_str(), h);
  REQUIRE(no_client);
  CHECK(no_client->status == 401);
  h.emplace("clientId", "00000000-0000-0000-0000-000000000000");
  auto bad_client = cli.Get((kApi + "/company/companies").c_str(), h);
  REQUIRE(bad_client);
  CHECK(bad_client->status == 401);
  auto none = cli.Get((kApi + "/company/companies").c_str());
  REQUIRE(none);
  CHECK(none->status == 401);
}

TEST_CASE("pagination: Link headers over 3 pages, pageSize limit, orderBy") {
  Emulator emu;
  auto cli = emu.client();
  std::set<long long> seen;
  std::string path = kApi + "/company/companies?pageSize=4";
  for (int page = 1; page <= 3; ++page) {
    auto res = cli.Get(path.c_str(), auth());
    REQUIRE(res);
    REQUIRE(res->status == 200);
    auto arr = json::parse(res->body);
    CHECK(arr.size() == (page < 3 ? 4u : 2u));
    for (auto id : ids(arr)) seen.insert(id);
    const std::string link = res->get_header_value("Link");
    INFO(link);
    CHECK((link.find("rel=\"next\"") != std::string::npos) == (page < 3));
    CHECK((link.find("rel=\"last\"") != std::string::npos) == (page < 3));
    CHECK((link.find("rel=\"prev\"") != std::string::npos) == (page > 1));
    CHECK((link.find("rel=\"first\"") != std::string::npos) == (page > 1));
    if (page < 3) {
      CHECK(link.find("page=3>; rel=\"last\"") != std::string::npos);
      // Follow rel="next" like pyconnectwise does.
      const auto rel = link.find(">; rel=\"next\"");
      const auto start = link.rfind('<', rel);
      const std::string next = link.substr(start + 1, rel - start - 1);
      REQUIRE(next.rfind(emu.url(), 0) == 0);
      CHECK(next.find("pageSize=4") != std::string::npos);
      CHECK(next.find("page=" + std::to_string(page + 1)) != std::string::npos);
      path = next.substr(emu.url().size());
    }
  }
  CHECK(seen.size() == 10);

  auto single = cli.Get((kApi + "/company/companies?pageSize=1000").c_str(), auth());
  REQUIRE(single);
  CHECK(json::parse(single->body).size() == 10);
  CHECK(!single->has_header("Link"));
  auto too_big = cli.Get((kApi + "/company/companies?pageSize=1001").c_str(), auth());
  REQUIRE(too_big);
  CHECK(too_big->status == 400);
  CHECK(json::parse(too_big->body).contains("message"));

  auto desc = get_json(cli, "/company/companies?orderBy=" + q("id desc") + "&pageSize=3");
  REQUIRE(desc.size() == 3);
  CHECK(desc[0]["id"] == 259);
  CHECK(desc[2]["id"] == 257);
  CHECK(desc[0]["_info"].contains("lastUpdated"));
  auto dflt = get_json(cli, "/finance/agreements");
  CHECK(dflt.size() == 11);
}

TEST_CASE("conditions: operators, and/or, parentheses, slash paths, count, errors") {
  Emulator emu;
  auto cli = emu.client();
  auto by = [&](const std::string& res, const std::string& cond) {
    return ids(get_json(cli, res + "?pageSize=1000&conditions=" + q(cond)));
  };
  CHECK(by("/company/companies", "identifier=\"AcmeMfg\"") == std::set<long long>{250});
  CHECK(by("/company/companies", "name contains \"dental\"") == std::set<long long>{251});
  CHECK(by("/company/companies", "name like \"Harbor%\"") == std::set<long long>{257});
  CHECK(by("/company/companies", "name LIKE \"*Law*\"") == std::set<long long>{252});
  CHECK(by("/company/companies", "id in (250, 252, 999)") == std::set<long long>{250, 252});
  CHECK(by("/company/companies", "id >= 257 and id < 259") == std::set<long long>{257, 258});
  CHECK(by("/company/companies", "(id=250 OR id=251) and deletedFlag=false") ==
        std::set<long long>{250, 251});
  CHECK(by("/company/companies", "id != 250 and not (id > 251)") == std::set<long long>{251});
  CHECK(by("/company/companies", "id not in (250,251,252,253,254,255,256,257)") ==
        std::set<long long>{258, 259});
  CHECK(by("/finance/agreements",
           "company/id=252 and agreementStatus=\"Active\" and type/name=\"Managed Service\"") ==
        std::set<long long>{503, 504});
  CHECK(by("/finance/agreements", "type/name=\"Block Time\"") == std::set<long long>{501});
  CHECK(by("/finance/agreements", "agreementStatus!=\"Active\"") == std::set<long long>{506});
  CHECK(by("/finance/agreements", "startDate > [2025-01-01T00:00:00Z]") ==
        std::set<long long>{504});
  CHECK(by("/finance/agreements", "company/identifier=\"CedarLaw\" or company/id=250").size() == 4);
  CHECK(by("/procurement/catalog", "inactiveFlag=true") == std::set<long long>{105});

  CHECK(get_json(cli, "/company/companies/count")["count"] == 10);
  CHECK(get_json(cli,
                 "/finance/agreements/count?conditions=" +
                     q("agreementStatus=\"Active\" and type/name=\"Managed Service\""))["count"] ==
        9);
  CHECK(get_json(cli, "/finance/agreements/types").size() == 2);
  CHECK(get_json(cli, "/company/companies/251")["name"] == "Blue River Dental Group");
  get_json(cli, "/company/companies/9999", 404);

  for (const std::string bad :
       {"name = ", "name=\"x", "(id=1", "id=1 and", "id ~ 3", "id in (1,2", "name=Acme"}) {
    INFO(bad);
    auto res = cli.Get((kApi + "/company/companies?conditions=" + q(bad)).c_str(), auth());
    REQUIRE(res);
    CHECK(res->status == 400);
    auto body = json::parse(res->body);
    CHECK(body["message"].get<std::string>().find("conditions") != std::string::npos);
  }
}

TEST_CASE("additions: create, read, patch, cancel, put, delete") {
  Emulator emu;
  auto cli = emu.client();
  const std::string base = kApi + "/finance/agreements/502/additions";
  CHECK(get_json(cli, "/finance/agreements/502/additions").empty());
  // The manual addition seeded on agreement 500.
  auto manual = get_json(cli, "/finance/agreements/500/additions");
  REQUIRE(manual.size() == 1);
  CHECK(manual[0]["product"]["identifier"] == "BACKUP-SRV");
  CHECK(manual[0]["effectiveDate"] == "2024-01-01T00:00:00Z");

  json body = {{"product", {{"identifier", "EDR-SEAT"}}},
               {"quantity", 12},
               {"billCustomer", "Billable"},
               {"effectiveDate", "2026-11-01"},
               {"invoiceDescription", "EDR seats (meterbridge)"}};
  auto created = cli.Post(base.c_str(), auth(), body.dump(), "application/json");
  REQUIRE(created);
  INFO(created->body);
  REQUIRE(created->status == 201);
  auto a = json::parse(created->body);
  const long long id = a["id"];
  CHECK(a["agreementId"] == 502);
  CHECK(a["product"]["id"] == 102);
  CHECK(a["product"]["identifier"] == "EDR-SEAT");
  // IvItemReference {id, identifier, serializedFlag, _info}: no description.
  CHECK(!a["product"].contains("description"));
  CHECK(a["quantity"] == 12);
  CHECK(a["agreementStatus"] == "Active");
  CHECK(a["effectiveDate"] == "2026-11-01T00:00:00Z");
  CHECK(a["_info"].contains("lastUpdated"));
  const std::string one = base + "/" + std::to_string(id);
  CHECK(get_json(cli, "/finance/agreements/502/additions/" + std::to_string(id))["quantity"] == 12);
  CHECK(get_json(cli, "/finance/agreements/502/additions/count")["count"] == 1);
  get_json(cli, "/finance/agreements/503/additions/" + std::to_string(id), 404);
  get_json(cli, "/finance/agreements/99999/additions", 404);

  json patch = json::array({{{"op", "replace"}, {"path", "quantity"}, {"value", 15}}});
  auto patched = cli.Patch(one.c_str(), auth(), patch.dump(), "application/json");
  REQUIRE(patched);
  REQUIRE(patched->status == 200);
  CHECK(json::parse(patched->body)["quantity"] == 15);
  CHECK(get_json(cli, "/finance/agreements/502/additions?conditions=" +
                          q("product/identifier=\"EDR-SEAT\""))[0]["quantity"] == 15);

  json cancel = json::array(
      {{{"op", "replace"}, {"path", "/cancelledDate"}, {"value", "2020-01-31T00:00:00Z"}}});
  auto cancelled = cli.Patch(one.c_str(), auth(), cancel.dump(), "application/json");
  REQUIRE(cancelled);
  REQUIRE(cancelled->status == 200);
  auto c = json::parse(cancelled->body);
  CHECK(c["cancelledDate"] == "2020-01-31T00:00:00Z");
  CHECK(c["agreementStatus"] == "Cancelled");
  json bad_date =
      json::array({{{"op", "replace"}, {"path", "cancelledDate"}, {"value", "31/01/2020"}}});
  auto rejected = cli.Patch(one.c_str(), auth(), bad_date.dump(), "application/json");
  REQUIRE(rejected);
  CHECK(rejected->status == 400);

  json full = {{"product", {{"id", 104}}},
               {"quantity", 3},
               {"billCustomer", "NoCharge"},
               {"effectiveDate", "2026-12-01T00:00:00Z"}};
  auto put = cli.Put(one.c_str(), auth(), full.dump(), "application/json");
  REQUIRE(put);
  REQUIRE(put->status == 200);
  auto p = json::parse(put->body);
  CHECK(p["product"]["identifier"] == "EMAIL-SEC");
  CHECK(p["billCustomer"] == "NoCharge");
  CHECK(!p.contains("cancelledDate"));
  CHECK(p["agreementStatus"] == "Active");
  CHECK(p["id"] == id);

  auto wrong_type = cli.Post(base.c_str(), auth(), body.dump(), "text/plain");
  REQUIRE(wrong_type);
  CHECK(wrong_type->status == 415);

  auto del = cli.Delete(one.c_str(), auth());
  REQUIRE(del);
  CHECK(del->status == 204);
  get_json(cli, "/finance/agreements/502/additions/" + std::to_string(id), 404);
  CHECK(get_json(cli, "/finance/agreements/502/additions/count")["count"] == 0);
}

TEST_CASE("additions: validation errors carry errors[]") {
  Emulator emu;
  auto cli = emu.client();
  auto post = [&](long long agreement, const json& body, const std::string& field) {
    INFO(body.dump());
    auto res =
        cli.Post((kApi + "/finance/agreements/" + std::to_string(agreement) + "/additions").c_str(),
                 auth(), body.dump(), "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
    auto j = json::parse(res->body);
    CHECK(j["code"] == "InvalidObject");
    REQUIRE(j["errors"].size() == 1);
    CHECK(j["errors"][0]["field"] == field);
    CHECK(j["errors"][0]["resource"] == "addition");
    CHECK(j["errors"][0].contains("code"));
    CHECK(j["errors"][0].contains("message"));
  };
  const json ok = {
      {"product", {{"identifier", "M365-BP"}}}, {"quantity", 5}, {"billCustomer", "Billable"}};
  auto with = [](json j, const std::string& key, const json& value) {
    j[key] = value;
    return j;
  };
  post(502, with(ok, "billCustomer", "Sometimes"), "billCustomer");
  post(502, with(ok, "product", {{"identifier", "NOPE"}}), "product");
  post(502, with(ok, "product", {{"identifier", "SEC-BUNDLE"}}), "product");
  post(502, with(ok, "product", {{"identifier", "AV-LEGACY"}}), "product");
  post(502, with(ok, "quantity", -1), "quantity");
  post(502, with(ok, "effectiveDate", "2026-11-01T10:00:00Z"), "effectiveDate");
  post(506, ok, "agreementId");  // the cancelled agreement
  CHECK(get_json(cli, "/finance/agreements/502/additions/count")["count"] == 0);
}

TEST_CASE("catalog: create, duplicate identifier, patch") {
  Emulator emu;
  auto cli = emu.client();
  const std::string base = kApi + "/procurement/catalog";
  json item = {{"identifier", "DNS-FILTER"},
               {"description", "DNS filtering"},
               {"customerDescription", "DNS filtering per user"},
               {"price", 2.5},
               {"subcategory", {{"id", 6}, {"name", "Security"}}},
               {"type", {{"id", 3}, {"name", "Subscription"}}}};
  auto created = cli.Post(base.c_str(), auth(), item.dump(), "application/json");
  REQUIRE(created);
  REQUIRE(created->status == 201);
  auto c = json::parse(created->body);
  CHECK(c["identifier"] == "DNS-FILTER");
  CHECK(c["inactiveFlag"] == false);
  CHECK(get_json(cli, "/procurement/catalog/count")["count"] == 7);
  CHECK(get_json(cli, "/procurement/catalog?conditions=" +
                          q("identifier=\"DNS-FILTER\""))[0]["id"] == c["id"]);

  auto dup = cli.Post(base.c_str(), auth(), item.dump(), "application/json");
  REQUIRE(dup);
  CHECK(dup->status == 400);
  auto d = json::parse(dup->body);
  CHECK(d["code"] == "InvalidObject");
  CHECK(d["errors"][0]["code"] == "ObjectExists");
  CHECK(d["errors"][0]["field"] == "identifier");
  auto missing =
      cli.Post(base.c_str(), auth(), json{{"identifier", "X"}}.dump(), "application/json");
  REQUIRE(missing);
  CHECK(missing->status == 400);

  json patch = json::array({{{"op", "replace"}, {"path", "price"}, {"value", 3.0}}});
  auto patched =
      cli.Patch((base + "/" + c["id"].dump()).c_str(), auth(), patch.dump(), "application/json");
  REQUIRE(patched);
  REQUIRE(patched->status == 200);
  CHECK(get_json(cli, "/procurement/catalog/" + c["id"].dump())["price"] == 3.0);
}

TEST_CASE("faults: 429, 500, malformed, drop") {
  Emulator emu;
  auto cli = emu.client();
  const std::string path = kApi + "/company/companies";
  add_fault(emu, {{"path_prefix", "/v4_6_release"}, {"kind", "429"}, {"retry_after", 3}});
  auto limited = cli.Get(path.c_str(), auth());
  REQUIRE(limited);
  CHECK(limited->status == 429);
  CHECK(limited->get_header_value("Retry-After") == "3");
  add_fault(emu, {{"kind", "500"}});
  auto failed = cli.Get(path.c_str(), auth());
  REQUIRE(failed);
  CHECK(failed->status == 500);
  CHECK(json::parse(failed->body).contains("code"));
  add_fault(emu, {{"kind", "malformed"}});
  auto malformed = cli.Get(path.c_str(), auth());
  REQUIRE(malformed);
  CHECK(malformed->status == 200);
  CHECK_THROWS(json::parse(malformed->body));
  add_fault(emu, {{"kind", "slow"}, {"delay_ms", 300}});
  const auto t0 = std::chrono::steady_clock::now();
  auto slow = cli.Get(path.c_str(), auth());
  REQUIRE(slow);
  CHECK(slow->status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(300));
  add_fault(emu, {{"kind", "drop"}});
  auto dropped = cli.Get(path.c_str(), auth());
  CHECK(!dropped);
  auto recovered = cli.Get(path.c_str(), auth());
  REQUIRE(recovered);
  CHECK(recovered->status == 200);
}

TEST_CASE("request log redacts Authorization, state, clearing") {
  Emulator emu;
  auto cli = emu.client();
  get_json(cli, "/company/companies?pageSize=2");
  auto log = cli.Get("/_emulator/requests");
  REQUIRE(log);
  REQUIRE(log->status == 200);
  CHECK(log->body.find(seed()["private_key"].get<std::string>()) == std::string::npos);
  CHECK(log->body.find(auth().find("Authorization")->second) == std::string::npos);
  auto entries = json::parse(log->body);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0]["path"] == kApi + "/company/companies");
  CHECK(entries[0]["query"]["pageSize"] == "2");
  CHECK(entries[0]["status"] == 200);
  CHECK(entries[0]["headers"]["Authorization"] == "Basic REDACTED");
  CHECK(entries[0]["headers"]["clientId"] == seed()["client_ids"][0]);
  auto state = cli.Get("/_emulator/state");
  REQUIRE(state);
  auto st = json::parse(state->body);
  CHECK(st["companies"] == 10);
  CHECK(st.dump().find(seed()["private_key"].get<std::string>()) == std::string::npos);
  REQUIRE(cli.Delete("/_emulator/requests"));
  CHECK(json::parse(cli.Get("/_emulator/requests")->body).empty());
}

TEST_CASE("TLS: trusted with the test CA, refused without it") {
  auto pki = make_test_pki("emulator");
  Emulator emu(
      {"--tls-cert", (pki / "server.pem").string(), "--tls-key", (pki / "server.key").string()});
  REQUIRE(emu.url().rfind("https://127.0.0.1:", 0) == 0);
  const int port = std::stoi(emu.url().substr(emu.url().rfind(':') + 1));
  httplib::SSLClient trusted("127.0.0.1", port);
  trusted.set_ca_cert_path((pki / "ca.pem").c_str());
  trusted.enable_server_certificate_verification(true);
  auto ok = trusted.Get((kApi + "/system/info").c_str(), auth());
  REQUIRE(ok);
  CHECK(ok->status == 200);
  httplib::SSLClient untrusted("127.0.0.1", port);
  untrusted.enable_server_certificate_verification(true);
  CHECK(!untrusted.Get("/login/companyinfo/northwindmsp"));
  CHECK(emu.stop() == 0);
  fs::remove_all(pki);
}
