// The connectwise-manage sink driven through its entry point, as the host does, against an
// in-process emulation of the ConnectWise PSA REST API (companyinfo, companies with Link paging,
// agreements, additions, catalog) behind the FakeHost's http_handler. The emulator also checks
// what the plugin sends: Basic auth, clientId, Accept, Content-Type and the conditions text.
#include <catch2/catch.hpp>

#include <meterbridge/testing.hpp>

#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

extern "C" mb_status meterbridge_plugin_entry(const mb_host_version*, const mb_plugin_api**);

using meterbridge::HttpRequest;
using meterbridge::HttpResponse;
using meterbridge::json;
using meterbridge::testing::FakeHost;
using meterbridge::testing::Outcome;
using meterbridge::testing::PluginHarness;

namespace {

const std::string kBase = "https://cw.test";
const std::string kApi = "/v4_6_release/apis/3.0";
const std::string kPrivate = "priv-XYZ-secret";
// base64("acme+pubkey:priv-XYZ-secret")
const std::string kAuth = "Basic YWNtZStwdWJrZXk6cHJpdi1YWVotc2VjcmV0";

HttpResponse respond(int32_t status, const json& body, std::map<std::string, std::string> h = {}) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(h);
  r.headers["content-type"] = "application/json";
  r.body = body.dump();
  return r;
}

std::string decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> q;
  size_t at = url.find('?');
  if (at == std::string::npos) return q;
  std::string rest = url.substr(at + 1) + "&";
  for (size_t start = 0, end; (end = rest.find('&', start)) != std::string::npos; start = end + 1) {
    std::string pair = rest.substr(start, end - start);
    size_t eq = pair.find('=');
    if (eq != std::string::npos) q[pair.substr(0, eq)] = decode(pair.substr(eq + 1));
  }
  return q;
}

json addition(int64_t id, const std::string& product, double q, const std::string& desc) {
  return {{"id", id},
          {"product", {{"id", 9}, {"identifier", product}}},
          {"quantity", q},
          {"billCustomer", "Billable"},
          {"invoiceDescription", desc},
          {"agreementStatus", "Active"}};
}

json agreement(int64_t id, int64_t company, const std::string& type, const std::string& status) {
  return {{"id", id},
          {"name", "Agreement " + std::to_string(id)},
          {"type", {{"id", 1}, {"name", type}}},
          {"company", {{"id", company}}},
          {"agreementStatus", status}};
}

// The ConnectWise emulator: state plus one handler.
struct Emulator {
  int companyinfo_calls = 0;
  std::vector<json> companies = {
      {{"id", 1}, {"identifier", "Alpha"}, {"name", "Alpha Ltd"}, {"deletedFlag", false}},
      {{"id", 2}, {"identifier", "Beta"}, {"name", "Beta GmbH"}, {"deletedFlag", false}},
      {{"id", 3}, {"identifier", "Gamma"}, {"name", "Gamma SA"}, {"deletedFlag", false}},
      {{"id", 4}, {"identifier", "Gone"}, {"name", "Gone Inc"}, {"deletedFlag", true}}};
  std::vector<json> agreements = {agreement(100, 1, "Managed Service", "Active"),
                                  agreement(101, 1, "Block Time", "Active"),
                                  agreement(102, 1, "Managed Service", "Cancelled"),
                                  agreement(200, 2, "Managed Service", "Active"),
                                  agreement(201, 2, "Managed Service", "Active")};
  std::map<int64_t, std::vector<json>> additions;
  std::vector<json> catalog = {{{"id", 1},
                                {"identifier", "AV-SEAT"},
                                {"description", "Managed AV"},
                                {"price", 4.5},
                                {"inactiveFlag", false},
                                {"productClass", "Service"}},
                               {{"id", 2},
                                {"identifier", "M365-E3"},
                                {"description", "Microsoft 365 E3"},
                                {"price", 30},
                                {"inactiveFlag", false},
                                {"productClass", "NonInventory"}},
                               {{"id", 3},
                                {"identifier", "BUNDLE-1"},
                                {"description", "A bundle"},
                                {"price", 99},
                                {"inactiveFlag", false},
                                {"productClass", "Bundle"}},
                               {{"id", 4},
                                {"identifier", "OLD"},
                                {"description", "Retired"},
                                {"price", 1},
                                {"inactiveFlag", true},
                                {"productClass", "Service"}}};
  int64_t next_id = 500;
  std::vector<HttpRequest> writes;
  std::function<std::optional<HttpResponse>(const HttpRequest&)> intercept;

  HttpResponse page(const std::string& path, const std::map<std::string, std::string>& q,
                    const std::vector<json>& all) {
    size_t p = q.count("page") ? std::stoul(q.at("page")) : 1;
    size_t size = q.count("pageSize") ? std::stoul(q.at("pageSize")) : 25;
    json body = json::array();
    for (size_t i = (p - 1) * size; i < all.size() && i < p * size; ++i) body.push_back(all[i]);
    std::map<std::string, std::string> h;
    if (p * size < all.size()) {
      std::string next = kBase + kApi + path + "?page=" + std::to_string(p + 1) +
                         "&pageSize=" + std::to_string(size);
      if (q.count("conditions")) next += "&conditions=" + q.at("conditions");  // raw is fine here
      h["link"] =
          "<" + kBase + kApi + path + "?page=1>; rel=\"first\", <" + next + ">; rel=\"next\"";
    }
    return respond(200, body, h);
  }

  HttpResponse handle(const HttpRequest& r) {
    CHECK(r.headers.at("Authorization") == kAuth);
    CHECK(r.headers.at("clientId") == "cid-guid");
    CHECK(r.headers.at("Accept") == "application/json");
    if (!r.body.empty()) CHECK(r.headers.at("Content-Type") == "application/json");
    if (intercept) {
      if (auto answer = intercept(r)) return *answer;
    }
    REQUIRE(r.url.rfind(kBase, 0) == 0);
    std::string path = r.url.substr(kBase.size());
    path = path.substr(0, path.find('?'));
    auto q = query_of(r.url);
    const std::string cond = q.count("conditions") ? q.at("conditions") : "";
    std::smatch m;
    if (path == "/login/companyinfo/acme") {
      ++companyinfo_calls;
      return respond(200, {{"CompanyName", "Acme"}, {"Codebase", "v4_6_release/"}});
    }
    REQUIRE(path.rfind(kApi, 0) == 0);
    path = path.substr(kApi.size());
    if (r.method != "GET") writes.push_back(r);
    if (path == "/system/info") return respond(200, {{"version", "v2025.1"}});
    if (path == "/company/companies") {
      std::vector<json> hits;
      static const std::regex ident("identifier=\"(.*)\"");
      for (const json& c : companies) {
        if (cond == "deletedFlag=false" && !c["deletedFlag"].get<bool>()) hits.push_back(c);
        if (std::regex_match(cond, m, ident) && c["identifier"] == m[1].str()) hits.push_back(c);
        if (cond.empty()) hits.push_back(c);
      }
      return page(path, q, hits);
    }
    if (std::regex_match(path, m, std::regex("/company/companies/(\\d+)"))) {
      for (const json& c : companies) {
        if (c["id"] == std::stoi(m[1].str())) return respond(200, c);
      }
      return respond(404, {{"code", "NotFound"}, {"message", "company not found"}});
    }
    if (path == "/finance/agreements") {
      // The sink asks for many companies at once ("in"), the agreements op for one ("=").
      static const std::regex active(
          "company/id in \\(([\\d,]+)\\) and agreementStatus=\"Active\" and "
          "type/name=\"Managed Service\"");
      static const std::regex all("company/id=(\\d+)");
      std::set<int> ids;
      bool only_active = std::regex_match(cond, m, active);
      if (!only_active) REQUIRE(std::regex_match(cond, m, all));
      std::stringstream list(m[1].str());
      for (std::string id; std::getline(list, id, ',');) ids.insert(std::stoi(id));
      std::vector<json> hits;
      for (const json& a : agreements) {
        if (!ids.count(a["company"]["id"].get<int>())) continue;
        if (only_active &&
            (a["agreementStatus"] != "Active" || a["type"]["name"] != "Managed Service"))
          continue;
        hits.push_back(a);
      }
      return page(path, q, hits);
    }
    if (std::regex_match(path, m, std::regex("/finance/agreements/(\\d+)/additions(/(\\d+))?"))) {
      auto& list = additions[std::stoll(m[1].str())];
      if (m[3].matched) {
        for (json& a : list) {
          if (a["id"] != std::stoll(m[3].str())) continue;
          if (r.method == "PATCH") {
            for (const json& op : json::parse(r.body))
              a[op["path"].get<std::string>()] = op["value"];
          }
          return respond(200, a);
        }
        return respond(404, {{"code", "NotFound"}, {"message", "addition not found"}});
      }
      if (r.method == "POST") {
        json a = json::parse(r.body);
        a["id"] = next_id++;
        a["agreementStatus"] = "Active";
        list.push_back(a);
        return respond(201, a);
      }
      REQUIRE(cond.empty());  // the sink lists an agreement's additions whole
      return page(path, q, list);
    }
    if (path == "/procurement/catalog" && r.method == "POST") {
      json p = json::parse(r.body);
      p["id"] = next_id++;
      catalog.push_back(p);
      return respond(201, p);
    }
    if (std::regex_match(path, m, std::regex("/procurement/catalog/(\\d+)"))) {
      for (json& p : catalog) {
        if (p["id"] != std::stoi(m[1].str())) continue;
        for (const json& op : json::parse(r.body)) p[op["path"].get<std::string>()] = op["value"];
        return respond(200, p);
      }
      return respond(404, {{"code", "NotFound"}, {"message", "no item"}});
    }
    if (path == "/procurement/catalog") {
      static const std::regex ident("identifier=\"(.*)\"");
      static const std::regex search(
          "identifier contains \"(.*)\" or description contains \"(.*)\"");
      std::vector<json> hits;
      for (const json& p : catalog) {
        if (cond == "inactiveFlag=false and productClass!=\"Bundle\"") {
          if (!p["inactiveFlag"].get<bool>() && p["productClass"] != "Bundle") hits.push_back(p);
        } else if (std::regex_match(cond, m, ident)) {
          if (p["identifier"] == m[1].str()) hits.push_back(p);
        } else {
          REQUIRE(std::regex_match(cond, m, search));
          if (p["identifier"].get<std::string>().find(m[1].str()) != std::string::npos ||
              p["description"].get<std::string>().find(m[2].str()) != std::string::npos)
            hits.push_back(p);
        }
      }
      return page(path, q, hits);
    }
    FAIL("unexpected request " << r.method << " " << r.url);
    return respond(500, json::object());
  }
};

struct Fixture {
  FakeHost host;
  Emulator emu;
  PluginHarness plugin{meterbridge_plugin_entry, host};
  json settings = {{"site_url", kBase},  {"company_id", "acme"},    {"public_key", "pubkey"},
                   {"private_key", "x"}, {"client_id", "cid-guid"}, {"page_size", 2}};

  Fixture() {
    host.secrets["private_key"] = kPrivate;
    host.http_handler = [this](const HttpRequest& r) { return emu.handle(r); };
  }
  void create() {
    Outcome o = plugin.create(settings);
    REQUIRE(o.ok());
  }
  json line(const std::string& key, const std::string& company, const std::string& product) {
    return {{"key", key},          {"company_id", company},        {"line_id", product},
            {"period", "2025-12"}, {"period_start", "2025-12-01"}, {"period_end", "2025-12-31"}};
  }
  json want(json l, json q) {
    l["quantity"] = q;
    l["expected_quantity"] = nullptr;
    l["effective_date"] = "2025-12-01";
    l["intent_id"] = "i-1";
    return l;
  }
  json read_one(const json& l) {
    Outcome o = plugin.invoke("read", {{"lines", json::array({l})}});
    REQUIRE(o.ok());
    return o.answer["lines"][0];
  }
  json apply_one(const json& l) {
    Outcome o = plugin.invoke("apply", {{"lines", json::array({l})}});
    REQUIRE(o.ok());
    return o.answer["lines"][0];
  }
};

}  // namespace

TEST_CASE_METHOD(Fixture, "settings are validated") {
  CHECK(plugin.api().kind == MB_KIND_SINK);
  CHECK(std::string(plugin.api().id) == "connectwise-manage");
  CHECK(plugin.validate_settings(settings).ok());
  json bad = settings;
  bad["extra"] = 1;
  CHECK(plugin.validate_settings(bad).status == MB_E_CONFIG);
  bad = settings;
  bad.erase("company_id");
  CHECK(plugin.validate_settings(bad).status == MB_E_CONFIG);
  bad = settings;
  bad["marker"] = std::string(21, 'm');
  CHECK(plugin.validate_settings(bad).status == MB_E_CONFIG);
  bad = settings;
  bad["page_size"] = 1001;
  CHECK(plugin.validate_settings(bad).status == MB_E_CONFIG);
  CHECK(json::parse(plugin.api().settings_schema_json)["properties"]["private_key"]["x-secret"] ==
        true);
}

TEST_CASE_METHOD(Fixture, "check discovers the codebase once and caches it in host state") {
  create();
  Outcome o = plugin.check();
  REQUIRE(o.ok());
  CHECK(o.answer["details"]["codebase"] == "v4_6_release/");
  CHECK(o.answer["details"]["version"] == "v2025.1");
  CHECK(emu.companyinfo_calls == 1);
  create();  // a new instance reads the cached codebase
  REQUIRE(plugin.check().ok());
  CHECK(emu.companyinfo_calls == 1);
  settings["codebase"] = "v4_6_release";  // a configured codebase needs no discovery
  host.state.clear();
  create();
  REQUIRE(plugin.check().ok());
  CHECK(emu.companyinfo_calls == 1);
}

TEST_CASE_METHOD(Fixture, "discover lists companies over Link pages and billable catalog lines") {
  create();
  Outcome o = plugin.invoke("discover");
  REQUIRE(o.ok());
  CHECK(o.answer["schema"] == "psa-catalog.v1");
  CHECK(o.answer["quantity_model"] == "absolute");
  CHECK(o.answer["companies"] == json::parse(R"([{"id":"1","name":"Alpha Ltd"},)"
                                             R"({"id":"2","name":"Beta GmbH"},)"
                                             R"({"id":"3","name":"Gamma SA"}])"));
  CHECK(o.answer["lines"] ==
        json::parse(R"([{"id":"AV-SEAT","name":"Managed AV","unit_price":4.5},)"
                    R"({"id":"M365-E3","name":"Microsoft 365 E3","unit_price":30}])"));
  int company_pages = 0;
  for (const auto& r : host.requests) {
    if (r.url.find("/company/companies") != std::string::npos) ++company_pages;
  }
  CHECK(company_pages == 2);
}

TEST_CASE_METHOD(Fixture, "the addition lifecycle: create, none, update, cancel, create again") {
  create();
  json l = line("k1", "1", "AV-SEAT");
  json r = read_one(l);
  CHECK(r["quantity"].is_null());
  CHECK(r["ref"] == "100/");

  json a = apply_one(want(l, 5));
  CHECK(a["action"] == "create");
  CHECK(a["before"].is_null());
  CHECK(a["after"] == 5);
  REQUIRE(emu.writes.size() == 1);
  json posted = json::parse(emu.writes[0].body);
  CHECK(posted["product"]["identifier"] == "AV-SEAT");
  CHECK(posted["quantity"] == 5);
  CHECK(posted["billCustomer"] == "Billable");
  CHECK(posted["effectiveDate"] == "2025-12-01T00:00:00Z");
  CHECK(posted["invoiceDescription"] == "[meterbridge] Managed AV");
  CHECK(a["ref"] == "100/500");
  CHECK(json::parse(host.state.at("addition/1/AV-SEAT")) ==
        json({{"agreement", 100}, {"addition", 500}}));
  CHECK(read_one(l)["quantity"] == 5);

  a = apply_one(want(l, 5));
  CHECK(a["action"] == "none");
  CHECK(emu.writes.size() == 1);

  a = apply_one(want(l, 7));
  CHECK(a["action"] == "update");
  CHECK(a["before"] == 5);
  CHECK(a["after"] == 7);
  REQUIRE(emu.writes.size() == 2);
  CHECK(emu.writes[1].method == "PATCH");
  CHECK(json::parse(emu.writes[1].body) ==
        json::parse(R"([{"op":"replace","path":"quantity","value":7}])"));

  a = apply_one(want(l, 0));
  CHECK(a["action"] == "cancel");
  CHECK(a["after"] == 0);
  REQUIRE(emu.writes.size() == 3);
  CHECK(json::parse(emu.writes[2].body) ==
        json::parse(R"([{"op":"replace","path":"cancelledDate","value":"2025-12-01T00:00:00Z"}])"));
  CHECK(emu.additions[100][0]["quantity"] == 7);  // never a quantity of 0
  CHECK(read_one(l)["quantity"].is_null());
  CHECK(apply_one(want(l, 0))["action"] == "none");

  a = apply_one(want(l, 3));
  CHECK(a["action"] == "create");
  CHECK(a["ref"] == "100/501");
  CHECK(emu.additions[100].size() == 2);
  CHECK(read_one(l)["quantity"] == 3);
}

TEST_CASE_METHOD(Fixture, "an unmarked manual addition is never touched") {
  emu.additions[100].push_back(addition(42, "AV-SEAT", 50, "Manual AV"));
  create();
  CHECK(read_one(line("k", "1", "AV-SEAT"))["quantity"].is_null());
  json a = apply_one(want(line("k", "1", "AV-SEAT"), 5));
  CHECK(a["action"] == "create");
  REQUIRE(emu.writes.size() == 1);
  CHECK(emu.writes[0].method == "POST");
  CHECK(emu.additions[100][0]["quantity"] == 50);
  CHECK(apply_one(want(line("k", "1", "AV-SEAT"), 8))["action"] == "update");
  CHECK(emu.writes[1].url.find("/additions/500") != std::string::npos);
  CHECK(emu.additions[100][0]["quantity"] == 50);
}

TEST_CASE_METHOD(Fixture, "a marked addition is adopted when state is empty (after a crash)") {
  emu.additions[100].push_back(addition(77, "AV-SEAT", 4, "[meterbridge] Managed AV"));
  create();
  json r = read_one(line("k", "1", "AV-SEAT"));
  CHECK(r["quantity"] == 4);
  CHECK(r["ref"] == "100/77");
  CHECK(json::parse(host.state.at("addition/1/AV-SEAT"))["addition"] == 77);
  CHECK(apply_one(want(line("k", "1", "AV-SEAT"), 4))["action"] == "none");
  CHECK(emu.writes.empty());

  SECTION("two marked active additions: the oldest is kept, the other is a duplicate") {
    host.state.clear();
    emu.additions[100].push_back(addition(78, "AV-SEAT", 3, "[meterbridge #41] again"));
    r = read_one(line("k", "1", "AV-SEAT"));
    CHECK(r["ref"] == "100/77");
    REQUIRE(r["duplicates"].size() == 1);
    CHECK(r["duplicates"][0] == json({{"ref", "100/78"}, {"quantity", 3}}));
  }
}

TEST_CASE_METHOD(Fixture, "a duplicate is seen even when state records the other addition") {
  // The recorded addition alone used to be trusted: a second one that landed late stayed hidden.
  emu.additions[100].push_back(addition(77, "AV-SEAT", 4, "[meterbridge #40] Managed AV"));
  emu.additions[100].push_back(addition(78, "AV-SEAT", 4, "[meterbridge #41] Managed AV"));
  emu.additions[100].push_back(addition(79, "AV-SEAT", 9, "Added by hand"));
  host.state["addition/1/AV-SEAT"] = json{{"agreement", 100}, {"addition", 78}}.dump();
  create();
  json r = read_one(line("k", "1", "AV-SEAT"));
  CHECK(r["ref"] == "100/78");  // the recorded one is kept
  REQUIRE(r["duplicates"].size() == 1);
  CHECK(r["duplicates"][0]["ref"] == "100/77");  // the unmarked 79 is never a candidate

  // apply refuses to write around a duplicate.
  json a = apply_one(want(line("k", "1", "AV-SEAT"), 6));
  CHECK(a["action"] == "error");
  CHECK(a["message"].get<std::string>().find("2 active marked additions") != std::string::npos);
  CHECK(emu.writes.empty());

  // remove_duplicates cancels 77 dated its own effective date; 78 and the manual 79 stay.
  emu.additions[100][0]["effectiveDate"] = "2025-11-01T00:00:00Z";
  Outcome o =
      plugin.invoke("remove_duplicates", {{"lines", json::array({line("k", "1", "AV-SEAT")})}});
  REQUIRE(o.ok());
  const json& answer = o.answer["lines"][0];
  CHECK(answer["action"] == "removed");
  CHECK(answer["kept"] == "100/78");
  CHECK(answer["removed"] == json::array({{{"ref", "100/77"}, {"quantity", 4}}}));
  REQUIRE(emu.writes.size() == 1);
  CHECK(emu.writes[0].method == "PATCH");
  CHECK(emu.writes[0].url.find("/additions/77") != std::string::npos);
  CHECK(json::parse(emu.writes[0].body)[0]["value"] == "2025-11-01T00:00:00Z");
  CHECK(emu.additions[100][0]["cancelledDate"] == "2025-11-01T00:00:00Z");
  CHECK_FALSE(emu.additions[100][2].contains("cancelledDate"));

  // Nothing left: a second call changes nothing.
  emu.additions[100][0]["agreementStatus"] = "Cancelled";
  o = plugin.invoke("remove_duplicates", {{"lines", json::array({line("k", "1", "AV-SEAT")})}});
  REQUIRE(o.ok());
  CHECK(o.answer["lines"][0]["action"] == "none");
  CHECK(emu.writes.size() == 1);
}

TEST_CASE_METHOD(Fixture, "a created addition carries its journal intent in the marker") {
  create();
  json l = want(line("k", "1", "AV-SEAT"), 5);
  l["intent_id"] = 4242;
  CHECK(apply_one(l)["action"] == "create");
  REQUIRE(emu.additions[100].size() == 1);
  CHECK(emu.additions[100][0]["invoiceDescription"] == "[meterbridge #4242] Managed AV");
}

TEST_CASE_METHOD(Fixture, "a POST without an answer is an uncertain error line") {
  create();
  emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method == "POST") throw meterbridge::NoResponseError(MB_E_TRANSIENT, "timed out");
    return std::nullopt;
  };
  json a = apply_one(want(line("k", "1", "AV-SEAT"), 5));
  CHECK(a["action"] == "error");
  CHECK(a["uncertain"] == true);
  CHECK(a["error_class"] == "transient");
}

TEST_CASE_METHOD(Fixture, "no or several target agreements answer an error line, no write") {
  create();
  json r = read_one(line("k", "2", "AV-SEAT"));
  CHECK(r["error"].get<std::string>().find("several active 'Managed Service' agreements for "
                                           "company 2: 200, 201; refusing to guess") !=
        std::string::npos);
  json a = apply_one(want(line("k", "2", "AV-SEAT"), 5));
  CHECK(a["action"] == "error");
  CHECK(a["message"].get<std::string>().find("several active") != std::string::npos);
  r = read_one(line("k", "3", "AV-SEAT"));
  CHECK(r["error"] == "no active 'Managed Service' agreement for company 3");
  CHECK(apply_one(want(line("k", "3", "AV-SEAT"), 5))["action"] == "error");
  CHECK(emu.writes.empty());
}

TEST_CASE_METHOD(Fixture, "error classes") {
  create();
  SECTION("401 is auth and never shows the private key") {
    emu.intercept = [](const HttpRequest&) {
      return respond(401, {{"code", "Unauthorized"}, {"message", "bad key " + kPrivate}});
    };
    Outcome o = plugin.invoke("discover");
    CHECK(o.status == MB_E_AUTH);
    CHECK(o.message.find("acme") != std::string::npos);
    CHECK(o.message.find("pubkey") != std::string::npos);
    CHECK(o.message.find(kPrivate) == std::string::npos);
  }
  SECTION("403 is auth: member lacks permission") {
    emu.intercept = [](const HttpRequest&) {
      return respond(403, {{"code", "Forbidden"}, {"message", "no access"}});
    };
    Outcome o = plugin.invoke("read", {{"lines", json::array({line("k", "1", "AV-SEAT")})}});
    CHECK(o.status == MB_E_AUTH);
    CHECK(o.message.find("lacks permission") != std::string::npos);
  }
  SECTION("429 is rate limited") {
    emu.intercept = [](const HttpRequest&) {
      return respond(429, json::object(), {{"retry-after", "30"}});
    };
    Outcome o = plugin.invoke("discover");
    CHECK(o.status == MB_E_RATE_LIMITED);
    CHECK(o.message.find("Retry-After 30") != std::string::npos);
  }
  SECTION("500 is transient") {
    emu.intercept = [](const HttpRequest&) { return respond(500, json::object()); };
    CHECK(plugin.invoke("discover").status == MB_E_TRANSIENT);
  }
  SECTION("a body that is not JSON is transient and names the path") {
    emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.url.find("/system/info") == std::string::npos) return std::nullopt;
      HttpResponse h;
      h.status = 200;
      h.body = "<html>maintenance</html>";
      return h;
    };
    Outcome o = plugin.check();
    CHECK(o.status == MB_E_TRANSIENT);
    CHECK(o.message.find("/system/info") != std::string::npos);
  }
  SECTION("400 on a read is a config error with the CW message") {
    emu.intercept = [](const HttpRequest&) {
      return respond(400, {{"code", "InvalidObject"}, {"message", "bad conditions"}});
    };
    Outcome o = plugin.invoke("discover");
    CHECK(o.status == MB_E_CONFIG);
    CHECK(o.message.find("bad conditions") != std::string::npos);
  }
}

TEST_CASE_METHOD(Fixture, "a 400 on POST fails that line only, with the CW message") {
  emu.agreements.push_back(agreement(300, 3, "Managed Service", "Active"));
  emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method == "POST" && r.url.find("/agreements/100/") != std::string::npos) {
      return respond(400, {{"code", "InvalidObject"},
                           {"message", "Addition object is invalid"},
                           {"errors", {{{"code", "Required"}, {"message", "product inactive"}}}}});
    }
    return std::nullopt;
  };
  create();
  Outcome o =
      plugin.invoke("apply", {{"lines", json::array({want(line("a", "1", "AV-SEAT"), 5),
                                                     want(line("b", "3", "M365-E3"), 2)})}});
  REQUIRE(o.ok());
  CHECK(o.answer["schema"] == "psa-apply-result.v1");
  json a = o.answer["lines"][0];
  CHECK(a["action"] == "error");
  CHECK(a["message"].get<std::string>().find(
            "HTTP 400, InvalidObject: Addition object is invalid (product inactive)") !=
        std::string::npos);
  CHECK(host.state.count("addition/1/AV-SEAT") == 0);
  CHECK(o.answer["lines"][1]["action"] == "create");
  CHECK(o.answer["lines"][1]["ref"] == "300/500");
}

TEST_CASE_METHOD(Fixture, "setup operations") {
  create();
  SECTION("verify_company") {
    Outcome o = plugin.invoke("verify_company", {{"company_id", "2"}});
    REQUIRE(o.ok());
    CHECK(o.answer ==
          json({{"exists", true}, {"id", "2"}, {"name", "Beta GmbH"}, {"identifier", "Beta"}}));
    o = plugin.invoke("verify_company", {{"company_id", "99"}});
    REQUIRE(o.ok());
    CHECK(o.answer["exists"] == false);
    o = plugin.invoke("verify_company", {{"company_id", "Gamma"}});
    REQUIRE(o.ok());
    CHECK(o.answer["id"] == "3");
  }
  SECTION("agreements flags the single active agreement of the type as default") {
    Outcome o = plugin.invoke("agreements", {{"company_id", "1"}});
    REQUIRE(o.ok());
    const json& list = o.answer["agreements"];
    REQUIRE(list.size() == 3);
    CHECK(list[0]["id"] == 100);
    CHECK(list[0]["type"] == "Managed Service");
    CHECK(list[0]["status"] == "Active");
    CHECK(list[0]["default"] == true);
    CHECK(list[1]["default"] == false);
    CHECK(list[2]["default"] == false);
    o = plugin.invoke("agreements", {{"company_id", "2"}});
    REQUIRE(o.ok());
    for (const json& a : o.answer["agreements"]) CHECK(a["default"] == false);
  }
  SECTION("search_catalog needs two characters") {
    CHECK(plugin.invoke("search_catalog", {{"text", "A"}}).status == MB_E_INVALID_ARGUMENT);
    Outcome o = plugin.invoke("search_catalog", {{"text", "AV"}});
    REQUIRE(o.ok());
    REQUIRE(o.answer["items"].size() == 1);
    CHECK(o.answer["items"][0]["identifier"] == "AV-SEAT");
  }
  SECTION("create_product and edit_product") {
    Outcome o = plugin.invoke("create_product",
                              {{"identifier", "EDR-1"}, {"description", "EDR seat"}, {"price", 6}});
    REQUIRE(o.ok());
    CHECK(o.answer["identifier"] == "EDR-1");
    REQUIRE(emu.writes.size() == 1);
    json body = json::parse(emu.writes[0].body);
    CHECK(body["customerDescription"] == "EDR seat");
    CHECK(emu.writes[0].url == kBase + kApi + "/procurement/catalog");
    const int64_t id = o.answer["id"].get<int64_t>();
    o = plugin.invoke("edit_product", {{"id", id}, {"fields", {{"price", 7}}}});
    REQUIRE(o.ok());
    CHECK(o.answer["price"] == 7);
    CHECK(plugin.invoke("create_product", {{"identifier", "X"}}).status == MB_E_INVALID_ARGUMENT);
  }
  CHECK(plugin.invoke("nonsense").status == MB_E_UNSUPPORTED);
}
