// The test bed of the connectwise-manage plugin tests: an in-process emulation of the
// ConnectWise PSA REST API (companyinfo, companies with Link paging, agreements, additions,
// catalog) behind the FakeHost's http_handler, and a fixture that drives the plugin through its
// entry point as the host does. The emulator also checks what the plugin sends: Basic auth,
// clientId, Accept, Content-Type and the conditions text.
#pragma once

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

[[maybe_unused]] std::string decode(const std::string& s) {
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

[[maybe_unused]] std::map<std::string, std::string> query_of(const std::string& url) {
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

[[maybe_unused]] json addition(int64_t id, const std::string& product, double q,
                               const std::string& desc) {
  return {{"id", id},
          {"product", {{"id", 9}, {"identifier", product}}},
          {"quantity", q},
          {"billCustomer", "Billable"},
          {"invoiceDescription", desc},
          {"agreementStatus", "Active"}};
}

[[maybe_unused]] json agreement(int64_t id, int64_t company, const std::string& type,
                                const std::string& status) {
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
    if (std::regex_match(path, m, std::regex("/finance/agreements/(\\d+)")) && r.method == "GET") {
      for (const json& a : agreements) {
        if (a["id"] == std::stoll(m[1].str())) return respond(200, a);
      }
      return respond(404, {{"code", "NotFound"}, {"message", "agreement not found"}});
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
  json settings = {{"site_url", kBase},       {"company_id", "acme"},
                   {"public_key", "pubkey"},  {"private_key", "${env:CW_PRIVATE_KEY}"},
                   {"client_id", "cid-guid"}, {"page_size", 2}};

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
