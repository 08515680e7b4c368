// The datto-rmm plugin through its entry point: a FakeHost whose http_handler plays a small
// Datto RMM API (token, request_rate, sites, devices, custom filters), paging two items a page.
#include <catch2/catch.hpp>

#include <meterbridge/testing.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

using meterbridge::HttpRequest;
using meterbridge::HttpResponse;
using meterbridge::json;
using namespace meterbridge::testing;

namespace {

const std::string kBase = "https://merlot-api.test";
const json kSettings = {{"api_url", kBase},
                        {"api_key", "${env:RMM_KEY}"},
                        {"api_secret", "${env:RMM_SECRET}"},
                        {"page_size", 2}};

json dev(const std::string& uid, const std::string& cls, const std::string& category) {
  return {
      {"uid", uid}, {"deviceClass", cls}, {"deviceType", {{"category", category}, {"type", ""}}}};
}

HttpResponse answer(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  r.headers["content-type"] = "application/json";
  return r;
}

// The path and query of a URL on kBase.
std::string target(const std::string& url) {
  return url.substr(kBase.size());
}

struct FakeDatto {
  json sites = json::array({{{"uid", "s1"},
                             {"name", "Bakery"},
                             {"autotaskCompanyId", "29683"},
                             {"autotaskCompanyName", "Bakery Inc"}},
                            {{"uid", "s2"}, {"name", "Dental"}},
                            {{"uid", "s3"}, {"name", "Empty"}}});
  std::map<std::string, json> devices = {
      {"s1", json::array({dev("d1", "device", "Desktop"), dev("d2", "device", "Laptop"),
                          dev("d3", "device", "Server"), dev("d4", "printer", "Printer"),
                          dev("d5", "device", "Desktop")})},
      {"s2", json::array({dev("d6", "esxihost", "ESXi Host"),
                          dev("d7", "rmmnetworkdevice", "Network Device")})},
      {"s3", json::array()}};
  json filters =
      json::array({{{"id", 7}, {"name", "Windows"}}, {{"id", 42}, {"name", "_NotBillable_"}}});
  std::map<int, json> filter_devices = {{42, json::array({dev("d5", "device", "Desktop")})}};
  int64_t limit = 600, window_s = 60;
  std::string valid_token = "tok-1";
  int tokens_issued = 0;
  int api_requests = 0;  // what the account counted (the token endpoint is not the API)
  std::map<std::string, int> fail_once;  // path -> status answered once

  // A page of items as Datto answers it: pageDetails with an absolute nextPageUrl.
  static json page(const std::string& path, const std::string& key, const json& all, int n) {
    json items = json::array();
    for (int i = n * 2; i < std::min<int>(n * 2 + 2, static_cast<int>(all.size())); ++i)
      items.push_back(all[static_cast<size_t>(i)]);
    const bool more = (n + 1) * 2 < static_cast<int>(all.size());
    json next = more ? json(kBase + path + "?max=2&page=" + std::to_string(n + 1)) : json(nullptr);
    return {{"pageDetails",
             {{"count", items.size()}, {"totalCount", all.size()}, {"nextPageUrl", next}}},
            {key, items}};
  }

  HttpResponse serve(const HttpRequest& r) {
    std::string t = target(r.url);
    const std::string path = t.substr(0, t.find('?'));
    const int page_n =
        t.find("page=") == std::string::npos ? 0 : std::stoi(t.substr(t.find("page=") + 5));
    if (path == "/api/auth/oauth/token") {
      valid_token = "tok-" + std::to_string(++tokens_issued);
      return answer(
          200, {{"access_token", valid_token}, {"token_type", "bearer"}, {"expires_in", 359999}});
    }
    ++api_requests;
    if (auto f = fail_once.find(path); f != fail_once.end()) {
      const int status = f->second;
      fail_once.erase(f);
      return answer(status, {{"timestamp", 1},
                             {"status", status},
                             {"error", status == 429 ? "Too Many Requests" : "Forbidden"},
                             {"path", path}});
    }
    if (r.headers.at("Authorization") != "Bearer " + valid_token)
      return answer(401,
                    {{"timestamp", 1}, {"status", 401}, {"error", "Unauthorized"}, {"path", path}});
    if (path == "/api/v2/system/request_rate")
      return answer(200, {{"accountRateLimit", limit},
                          {"slidingTimeWindowSizeSeconds", window_s},
                          {"accountCount", api_requests}});
    if (path == "/api/v2/account/sites") return answer(200, page(path, "sites", sites, page_n));
    if (path == "/api/v2/filter/custom-filters")
      return answer(200, page(path, "filters", filters, page_n));
    if (path == "/api/v2/account/devices") {
      const int id = std::stoi(t.substr(t.find("filterId=") + 9));
      return answer(200, page(path, "devices", filter_devices[id], page_n));
    }
    if (path.rfind("/api/v2/site/", 0) == 0) {
      const std::string uid = path.substr(13, path.find('/', 13) - 13);
      return answer(200, page(path, "devices", devices.at(uid), page_n));
    }
    return answer(404, {{"status", 404}, {"error", "Not Found"}, {"path", path}});
  }
};

struct Rmm {
  FakeHost host;
  FakeDatto api;
  PluginHarness plugin{host};
  Rmm() {
    host.secrets["api_key"] = "KEY123";
    host.secrets["api_secret"] = "s3cr&t";
    host.http_handler = [this](const HttpRequest& r) { return api.serve(r); };
    REQUIRE(plugin.create(kSettings).ok());
  }
  json collect() {
    auto o = plugin.invoke("collect", {{"date", "2025-12-01"}, {"today", "2025-12-01"}});
    INFO(o.message);
    REQUIRE(o.ok());
    return o.answer["records"];
  }
  int count(const std::string& path_prefix) const {
    int n = 0;
    for (const auto& r : host.requests) n += target(r.url).rfind(path_prefix, 0) == 0 ? 1 : 0;
    return n;
  }
};

// (site, sku) -> quantity
std::map<std::pair<std::string, std::string>, double> by_site_sku(const json& records) {
  std::map<std::pair<std::string, std::string>, double> out;
  for (const auto& r : records) out[{r["customer_id"], r["sku"]}] = r["quantity"].get<double>();
  return out;
}

}  // namespace

TEST_CASE("the token request is Datto's password grant with the public client") {
  Rmm rmm;
  rmm.collect();
  const HttpRequest& token = rmm.host.requests.front();
  CHECK(token.method == "POST");
  CHECK(token.url == kBase + "/api/auth/oauth/token");
  CHECK(token.headers.at("Authorization") == "Basic cHVibGljLWNsaWVudDpwdWJsaWM=");
  CHECK(token.headers.at("Content-Type") == "application/x-www-form-urlencoded");
  CHECK(token.body == "grant_type=password&username=KEY123&password=s3cr%26t");
  CHECK(rmm.host.requests[1].headers.at("Authorization") == "Bearer tok-1");
}

TEST_CASE("the token is kept in state until it expires and renewed once on a 401") {
  Rmm rmm;
  rmm.collect();
  const json saved = json::parse(rmm.host.state.at("oauth_token"));
  CHECK(saved["access_token"] == "tok-1");
  CHECK(saved["expires_at_ms"] == rmm.host.now_unix_ms + 359999000);
  // A new instance (the next run) uses the stored token: no token request.
  PluginHarness again(rmm.host);
  REQUIRE(again.create(kSettings).ok());
  rmm.host.requests.clear();
  REQUIRE(again.invoke("discover").ok());
  CHECK(rmm.count("/api/auth") == 0);
  // Past its expiry it is renewed before use.
  rmm.host.now_unix_ms += 360000000;
  rmm.host.requests.clear();
  REQUIRE(again.invoke("discover").ok());
  CHECK(rmm.count("/api/auth") == 1);
  // Revoked early: the 401 fetches a new one and the call is sent again.
  rmm.api.valid_token = "revoked";
  rmm.host.requests.clear();
  REQUIRE(again.invoke("discover").ok());
  CHECK(rmm.count("/api/auth") == 1);
  CHECK(json::parse(rmm.host.state.at("oauth_token"))["access_token"] == "tok-3");
}

TEST_CASE("refused credentials are an auth failure naming the keys, never their values") {
  FakeHost host;
  host.secrets["api_key"] = "KEY123";
  host.secrets["api_secret"] = "s3cr&t";
  host.script(
      {reply_json(400, {{"error", "invalid_grant"}, {"error_description", "Bad credentials"}})});
  PluginHarness plugin(host);
  REQUIRE(plugin.create(kSettings).ok());
  auto check = plugin.check();
  CHECK(check.status == MB_E_AUTH);
  CHECK(check.message.find("POST /api/auth/oauth/token (HTTP 400, Bad credentials)") !=
        std::string::npos);
  CHECK(check.message.find("check api_key and api_secret") != std::string::npos);
  CHECK(check.message.find("KEY123") == std::string::npos);
}

TEST_CASE("collect follows nextPageUrl, classifies devices and leaves _NotBillable_ out") {
  Rmm rmm;
  auto q = by_site_sku(rmm.collect());
  const std::map<std::pair<std::string, std::string>, double> expected = {
      {{"s1", "RMM-DEVICES-TOTAL"}, 4},  {{"s1", "RMM-DESKTOP-LAPTOP"}, 2},
      {{"s1", "RMM-DESKTOP"}, 1},        {{"s1", "RMM-LAPTOP"}, 1},
      {{"s1", "RMM-SERVER"}, 1},         {{"s1", "RMM-PRINTER"}, 1},
      {{"s2", "RMM-DEVICES-TOTAL"}, 2},  {{"s2", "RMM-ESXI-HOST"}, 1},
      {{"s2", "RMM-NETWORK-DEVICE"}, 1}, {{"s3", "RMM-DEVICES-TOTAL"}, 0}};
  CHECK(q == expected);
  CHECK(rmm.count("/api/v2/site/s1/devices") == 3);  // 5 devices, 2 a page
  CHECK(rmm.count("/api/v2/account/sites") == 2);
  CHECK(rmm.count("/api/v2/account/devices?filterId=42") == 1);
  CHECK(rmm.count("/api/v2/account/devices?filterId=7") == 0);
}

TEST_CASE("discover answers every site, with a psa_hint when it is linked to Autotask") {
  Rmm rmm;
  auto o = rmm.plugin.invoke("discover");
  REQUIRE(o.ok());
  const json customers = o.answer["customers"];
  REQUIRE(customers.size() == 3);
  CHECK(customers[0] == json::parse(R"({"id": "s1", "name": "Bakery", "psa_hint":
      {"psa": "autotask", "company_id": "29683", "company_name": "Bakery Inc"}})"));
  CHECK_FALSE(customers[1].contains("psa_hint"));
  CHECK(o.answer["products"].size() == 9);
  CHECK(o.answer["past_days"] == false);
}

TEST_CASE("a next page on another host is refused") {
  Rmm rmm;
  rmm.host.http_handler = [&](const HttpRequest& r) {
    HttpResponse a = rmm.api.serve(r);
    if (target(r.url).rfind("/api/v2/account/sites", 0) == 0)
      a.body =
          json{{"sites", json::array()}, {"pageDetails", {{"nextPageUrl", "https://evil.test/x"}}}}
              .dump();
    return a;
  };
  auto o = rmm.plugin.invoke("discover");
  CHECK(o.status == MB_E_TRANSIENT);
  CHECK(o.message.find("another host") != std::string::npos);
}

TEST_CASE("with a tiny limit the plugin waits instead of going past 90 percent") {
  Rmm rmm;
  rmm.api.limit = 10;  // ceiling 9 per 1 s window
  rmm.api.window_s = 1;
  std::vector<std::chrono::steady_clock::time_point> sent;
  rmm.host.http_handler = [&](const HttpRequest& r) {
    if (target(r.url).rfind("/api/v2/", 0) == 0) sent.push_back(std::chrono::steady_clock::now());
    return rmm.api.serve(r);
  };
  rmm.collect();
  REQUIRE(sent.size() == 10);  // the 10th must wait for the first to leave the window
  for (size_t i = 9; i < sent.size(); ++i)
    CHECK(sent[i] - sent[i - 9] >= std::chrono::milliseconds(1500));
  CHECK(rmm.host.logged("pacing:"));
}

TEST_CASE("a wait is cut short by the host's cancellation") {
  Rmm rmm;
  rmm.api.limit = 3;
  rmm.api.window_s = 3600;
  rmm.host.cancel_after_requests = 3;  // token, request_rate, filters: then a wait
  auto o = rmm.plugin.invoke("collect", {{"date", "2025-12-01"}});
  CHECK(o.status == MB_E_CANCELLED);
}

TEST_CASE("429 and 403 are classified with what to do") {
  Rmm rmm;
  rmm.api.fail_once["/api/v2/account/sites"] = 429;
  auto limited = rmm.plugin.invoke("discover");
  CHECK(limited.status == MB_E_RATE_LIMITED);
  CHECK(limited.message.find(
            "Datto RMM is rate limiting GET /api/v2/account/sites?max=2 (HTTP 429") !=
        std::string::npos);
  CHECK(limited.message.find("600 requests per 60 s across every API user") != std::string::npos);
  rmm.api.fail_once["/api/v2/system/request_rate"] = 403;
  auto forbidden = rmm.plugin.invoke("discover");
  CHECK(forbidden.status == MB_E_AUTH);
  CHECK(forbidden.message.find(
            "Datto RMM denied GET /api/v2/system/request_rate (HTTP 403, Forbidden)") !=
        std::string::npos);
  CHECK(forbidden.message.find("API access is enabled") != std::string::npos);
}

TEST_CASE("a past day stays missing, since Datto RMM tells current counts only") {
  Rmm rmm;
  auto past = rmm.plugin.invoke("collect", {{"date", "2025-11-20"}, {"today", "2025-12-01"}});
  CHECK(past.status == MB_E_UNSUPPORTED);
  CHECK(rmm.host.requests.empty());
}
