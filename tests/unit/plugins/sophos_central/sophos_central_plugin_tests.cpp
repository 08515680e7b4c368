// The sophos-central plugin driven through its entry point, as the host does, against an
// in-process emulation of the Sophos Central API (token, whoami, tenants, billing usage) behind
// the FakeHost's http_handler. The emulator also checks what the plugin sends.
#include <catch2/catch.hpp>

#include <meterbridge/testing.hpp>

#include <limits>
#include <map>
#include <optional>
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

const std::string kBase = "https://emu.test";
const std::string kSecret = "s3cr3t&+=/value";
const std::string kClientId = "client id/1";

HttpResponse respond(int32_t status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.headers = {{"content-type", "application/json"}};
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
  std::string rest = url.substr(at + 1);
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('&', start);
    if (end == std::string::npos) end = rest.size();
    std::string pair = rest.substr(start, end - start);
    size_t eq = pair.find('=');
    if (eq != std::string::npos) q[pair.substr(0, eq)] = decode(pair.substr(eq + 1));
    start = end + 1;
  }
  return q;
}

std::string path_of(const std::string& url) {
  std::string p = url.substr(kBase.size());
  return p.substr(0, p.find('?'));
}

json usage_item(const std::string& tenant, const std::string& sku, json billable, json actual) {
  return {{"partnerAccountId", "p-acc"},
          {"partnerAccountName", "Our MSP"},
          {"orderNumber", "O-1"},
          {"orderLineItemNumber", "L-" + sku},
          {"productDescription", "Product " + sku},
          {"productGroup", "User"},
          {"sku", sku},
          {"billableQuantity", billable},
          {"accountId", tenant},
          {"accountStatus", "active"},
          {"actualQuantity", actual},
          {"productCode", "PC-" + sku}};
}

// The Sophos Central emulator: state plus one handler.
struct Emulator {
  std::string id_type = "partner";
  std::string partner = "partner-123";
  json expires_in = 3600;  // what the token answer says, as JSON (may be absurd)
  int tokens_issued = 0;
  std::string valid_token;
  std::vector<json> tenants;
  std::map<std::string, std::vector<json>> usage;  // "2025/11" -> items
  // A forced answer for the next request whose path ends with the key (used once).
  std::map<std::string, HttpResponse> forced_once;
  // Invalidates the current token when a request's path ends with this (once).
  std::string revoke_on;
  int api_calls = 0;

  Emulator() {
    for (int i = 1; i <= 7; ++i) {
      std::string id = "t" + std::to_string(i);
      json t = {{"id", id},
                {"name", "Tenant " + std::to_string(i)},
                {"dataGeography", "DE"},
                {"dataRegion", "eu02"},
                {"billingType", "usage"},
                {"partner", {{"id", "partner-123"}}},
                {"apiHost", "https://api-eu02.central.sophos.com"}};
      if (i == 2) t["showAs"] = "Second Shown";
      tenants.push_back(t);
    }
    usage["2025/11"] = {usage_item("t1", "CSMG", 6, 7), usage_item("t2", "CSMG", 5, 5),
                        usage_item("t1", "CSMG", 4, 4),  // a second order line: summed
                        usage_item("t3", "XDR", 2, 3), usage_item("t7", "MDR", 1, 1)};
  }

  HttpResponse handle(const HttpRequest& r) {
    CHECK(r.url.rfind(kBase, 0) == 0);
    const std::string path = path_of(r.url);
    for (auto it = forced_once.begin(); it != forced_once.end(); ++it) {
      if (path.size() >= it->first.size() &&
          path.compare(path.size() - it->first.size(), it->first.size(), it->first) == 0) {
        HttpResponse forced = it->second;
        forced_once.erase(it);
        return forced;
      }
    }
    if (path == "/id/api/v2/oauth2/token") return token(r);
    ++api_calls;
    if (!revoke_on.empty() && path.size() >= revoke_on.size() &&
        path.compare(path.size() - revoke_on.size(), revoke_on.size(), revoke_on) == 0) {
      revoke_on.clear();
      valid_token = "revoked";
    }
    CHECK(r.method == "GET");
    auto auth = r.headers.find("Authorization");
    REQUIRE(auth != r.headers.end());
    CHECK(auth->second.rfind("Bearer ", 0) == 0);
    if (auth->second != "Bearer " + valid_token) {
      return respond(401, {{"error", "unauthorized"}, {"message", "Token expired"}});
    }
    if (path == "/api/whoami/v1") {
      return respond(200, {{"id", partner},
                           {"idType", id_type},
                           {"apiHosts", {{"global", "https://api.central.sophos.com"}}}});
    }
    auto pid = r.headers.find("X-Partner-ID");
    REQUIRE(pid != r.headers.end());
    CHECK(pid->second == partner);
    auto q = query_of(r.url);
    if (path == "/api/partner/v1/tenants") return tenants_page(q);
    const std::string prefix = "/api/partner/v1/billing/usage/";
    if (path.rfind(prefix, 0) == 0) return usage_page(path.substr(prefix.size()), q);
    return respond(404, {{"error", "notFound"}, {"message", "no route " + path}});
  }

  HttpResponse token(const HttpRequest& r) {
    CHECK(r.method == "POST");
    CHECK(r.headers.at("Content-Type") == "application/x-www-form-urlencoded");
    const std::string expected =
        "grant_type=client_credentials&client_id=client%20id%2F1"
        "&client_secret=s3cr3t%26%2B%3D%2Fvalue&scope=token";
    if (r.body != expected) {
      return respond(401, {{"errorCode", "oauth.invalid_client_secret"},
                           {"message", "Unauthorized"},
                           {"trackingId", "trk-1"}});
    }
    ++tokens_issued;
    valid_token = "tok-" + std::to_string(tokens_issued);
    return respond(200, {{"access_token", valid_token},
                         {"token_type", "bearer"},
                         {"expires_in", expires_in},
                         {"refresh_token", "refresh"}});
  }

  HttpResponse tenants_page(const std::map<std::string, std::string>& q) {
    CHECK(q.at("pageTotal") == "true");
    const size_t page = std::stoul(q.at("page"));
    const size_t size = std::stoul(q.at("pageSize"));
    json items = json::array();
    for (size_t i = (page - 1) * size; i < tenants.size() && i < page * size; ++i)
      items.push_back(tenants[i]);
    const size_t total = (tenants.size() + size - 1) / size;
    return respond(200, {{"items", items},
                         {"pages",
                          {{"current", page},
                           {"size", size},
                           {"total", total},
                           {"items", tenants.size()},
                           {"maxSize", 100}}}});
  }

  HttpResponse usage_page(const std::string& month, const std::map<std::string, std::string>& q) {
    auto it = usage.find(month);
    if (it == usage.end()) {
      return respond(404, {{"error", "notFound"},
                           {"message", "No data for requested year or month"},
                           {"code", "NOT_FOUND"}});
    }
    CHECK(q.at("pageTotal") == "true");
    const size_t size = std::stoul(q.at("pageSize"));
    size_t from = 0;
    if (q.count("pageFromKey")) {
      const std::string key = q.at("pageFromKey");
      REQUIRE(key.rfind("key/", 0) == 0);
      from = std::stoul(key.substr(4));
    }
    const auto& all = it->second;
    json items = json::array();
    for (size_t i = from; i < all.size() && i < from + size; ++i) items.push_back(all[i]);
    json pages = {{"size", size}, {"items", all.size()}, {"maxSize", 100}};
    if (from + size < all.size()) pages["nextKey"] = "key/" + std::to_string(from + size) + "=";
    return respond(200, {{"items", items}, {"pages", pages}});
  }
};

json settings(json extra = json::object()) {
  json s = {{"client_id", kClientId},
            {"client_secret", "${env:SOPHOS_CLIENT_SECRET}"},
            {"token_url", kBase + "/id/api/v2/oauth2/token"},
            {"api_url", kBase + "/api"},
            {"page_size", 3}};
  for (auto& [k, v] : extra.items()) s[k] = v;
  return s;
}

// A plugin instance over an emulator.
struct Fixture {
  FakeHost host;
  Emulator emu;
  PluginHarness plugin{meterbridge_plugin_entry, host};

  explicit Fixture(json extra = json::object()) {
    host.secrets["client_secret"] = kSecret;
    host.http_handler = [this](const HttpRequest& r) { return emu.handle(r); };
    Outcome created = plugin.create(settings(std::move(extra)));
    REQUIRE(created.ok());
  }

  Outcome collect(const std::string& date) { return plugin.invoke("collect", {{"date", date}}); }

  // No log line holds the secret or any token the emulator issued.
  void check_logs_clean() const {
    for (const auto& line : host.logs) {
      CHECK(line.message.find(kSecret) == std::string::npos);
      CHECK(line.message.find("tok-") == std::string::npos);
    }
  }
  size_t count_requests(const std::string& fragment) const {
    size_t n = 0;
    for (const auto& r : host.requests) n += r.url.find(fragment) != std::string::npos ? 1 : 0;
    return n;
  }
};

json find_record(const json& answer, const std::string& customer, const std::string& sku) {
  for (const auto& r : answer.at("records")) {
    if (r.at("customer_id") == customer && r.at("sku") == sku) return r;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("collect answers the month's billable usage per tenant and sku") {
  Fixture f;
  Outcome o = f.collect("2025-11-15");
  REQUIRE(o.ok());
  CHECK(o.answer.at("schema") == "usage.v1");
  CHECK(o.answer.at("date") == "2025-11-15");
  CHECK(o.answer.at("rejected").empty());
  REQUIRE(o.answer.at("records").size() == 4);
  json t1 = find_record(o.answer, "t1", "CSMG");
  REQUIRE(t1.is_object());
  CHECK(t1.at("quantity") == 10);  // 6 + 4: two order lines summed
  CHECK(t1.at("customer_name") == "Tenant 1");
  CHECK(t1.at("product_name") == "Product CSMG");
  CHECK(t1.at("metric") == "licenses");
  CHECK(find_record(o.answer, "t2", "CSMG").at("customer_name") == "Second Shown");
  CHECK(find_record(o.answer, "t3", "XDR").at("quantity") == 2);
  CHECK(find_record(o.answer, "t7", "MDR").at("quantity") == 1);

  // Requests: one token, whoami, tenants pages 1..3, usage pages by key.
  CHECK(f.emu.tokens_issued == 1);
  CHECK(f.count_requests("/whoami/v1") == 1);
  CHECK(f.count_requests("/partner/v1/tenants?page=1&pageSize=3&pageTotal=true") == 1);
  CHECK(f.count_requests("/partner/v1/tenants?page=3&") == 1);
  CHECK(f.count_requests("/partner/v1/tenants?page=4&") == 0);
  CHECK(f.count_requests("/billing/usage/2025/11?pageSize=3&pageTotal=true") == 2);
  CHECK(f.count_requests("pageFromKey=key%2F3%3D") == 1);
  for (const auto& r : f.host.requests) {
    if (r.url.find("/partner/v1/") != std::string::npos) CHECK(r.headers.count("X-Partner-ID"));
  }
  f.check_logs_clean();
}

TEST_CASE("collect reports actualQuantity when quantity is actual") {
  Fixture f(json{{"quantity", "actual"}});
  Outcome o = f.collect("2025-11-01");
  REQUIRE(o.ok());
  CHECK(find_record(o.answer, "t1", "CSMG").at("quantity") == 11);
  CHECK(find_record(o.answer, "t3", "XDR").at("quantity") == 3);
}

TEST_CASE("a month without data answers no records") {
  Fixture f;
  Outcome o = f.collect("2025-10-31");
  REQUIRE(o.ok());
  CHECK(o.answer.at("records").empty());
  CHECK(o.answer.at("rejected").empty());
  CHECK(f.count_requests("/billing/usage/2025/10?") == 1);
}

TEST_CASE("the access token is cached and refreshed a minute before it expires") {
  Fixture f;
  REQUIRE(f.collect("2025-11-01").ok());
  REQUIRE(f.collect("2025-11-02").ok());
  CHECK(f.emu.tokens_issued == 1);
  CHECK(f.count_requests("/whoami/v1") == 1);  // partner id cached too
  f.host.now_unix_ms += (3600 - 61) * 1000;
  REQUIRE(f.collect("2025-11-03").ok());
  CHECK(f.emu.tokens_issued == 1);
  f.host.now_unix_ms += 2 * 1000;  // now 59 s before expiry: refreshed early
  REQUIRE(f.collect("2025-11-04").ok());
  CHECK(f.emu.tokens_issued == 2);
  f.check_logs_clean();
}

TEST_CASE("an absurd or negative expires_in gives the token a short life, never an overflow") {
  // Before the clamp, expires_in * 1000 overflowed int64 for the first two (UBSan aborts the
  // test) and a negative lifetime made every request fetch a new token.
  const json absurd = GENERATE(json(std::numeric_limits<int64_t>::min()), json(1e300), json(-5),
                               json(0), json(0.5), json(1e12));
  CAPTURE(absurd.dump());
  Fixture f;
  f.emu.expires_in = absurd;
  REQUIRE(f.collect("2025-11-01").ok());
  CHECK(f.emu.tokens_issued == 1);  // one token for the whole collect
  f.host.now_unix_ms += 200 * 1000;
  REQUIRE(f.collect("2025-11-02").ok());
  CHECK(f.emu.tokens_issued == 1);  // still within the fallback lifetime of 300 s
  f.host.now_unix_ms += 100 * 1000;
  REQUIRE(f.collect("2025-11-03").ok());
  CHECK(f.emu.tokens_issued == 2);  // 300 s less the minute of early refresh have passed
  f.check_logs_clean();
}

TEST_CASE("a sane expires_in is kept, a short one refreshed halfway") {
  Fixture f;
  SECTION("two hours") {
    f.emu.expires_in = 7200;
    REQUIRE(f.collect("2025-11-01").ok());
    f.host.now_unix_ms += (7200 - 61) * 1000;
    REQUIRE(f.collect("2025-11-02").ok());
    CHECK(f.emu.tokens_issued == 1);
    f.host.now_unix_ms += 2 * 1000;
    REQUIRE(f.collect("2025-11-03").ok());
    CHECK(f.emu.tokens_issued == 2);
  }
  SECTION("a year, the longest taken as it is") {
    f.emu.expires_in = 366 * 86400;
    REQUIRE(f.collect("2025-11-01").ok());
    f.host.now_unix_ms += int64_t{365} * 86400 * 1000;
    REQUIRE(f.collect("2025-11-02").ok());
    CHECK(f.emu.tokens_issued == 1);
  }
  SECTION("a minute, as a fraction") {
    f.emu.expires_in = 60.9;
    REQUIRE(f.collect("2025-11-01").ok());
    CHECK(f.emu.tokens_issued == 1);  // not one token per request
    f.host.now_unix_ms += 29 * 1000;
    REQUIRE(f.collect("2025-11-02").ok());
    CHECK(f.emu.tokens_issued == 1);
    f.host.now_unix_ms += 1 * 1000;  // halfway through 60 s
    REQUIRE(f.collect("2025-11-03").ok());
    CHECK(f.emu.tokens_issued == 2);
  }
  SECTION("absent or not a number: an hour") {
    f.emu.expires_in = "soon";
    REQUIRE(f.collect("2025-11-01").ok());
    f.host.now_unix_ms += (3600 - 61) * 1000;
    REQUIRE(f.collect("2025-11-02").ok());
    CHECK(f.emu.tokens_issued == 1);
    f.host.now_unix_ms += 2 * 1000;
    REQUIRE(f.collect("2025-11-03").ok());
    CHECK(f.emu.tokens_issued == 2);
  }
}

TEST_CASE("a 401 in the middle of a run re-authenticates once and goes on") {
  Fixture f;
  f.emu.revoke_on = "/partner/v1/tenants";  // the first tenants page gets 401
  Outcome o = f.collect("2025-11-01");
  REQUIRE(o.ok());
  CHECK(o.answer.at("records").size() == 4);
  CHECK(f.emu.tokens_issued == 2);
  CHECK(f.count_requests("/partner/v1/tenants?page=1&") == 2);
  f.check_logs_clean();
}

TEST_CASE("a token refused twice is an auth error") {
  Fixture f;
  // Every whoami is refused, whatever the token.
  f.host.http_handler = [&f](const HttpRequest& r) {
    if (r.url.find("/whoami/v1") != std::string::npos)
      return respond(401, {{"error", "unauthorized"}, {"message", "Token invalid"}});
    return f.emu.handle(r);
  };
  Outcome o = f.plugin.check();
  CHECK(o.status == MB_E_AUTH);
  CHECK(o.message.find("Token invalid") != std::string::npos);
  CHECK(f.emu.tokens_issued == 2);
  CHECK(f.count_requests("/whoami/v1") == 2);
}

TEST_CASE("a wrong client secret is an auth error naming the errorCode, never the secret") {
  Fixture f;
  f.host.secrets["client_secret"] = "wrong-secret-value";
  Outcome o = f.collect("2025-11-01");
  CHECK(o.status == MB_E_AUTH);
  CHECK(o.message.find("oauth.invalid_client_secret") != std::string::npos);
  CHECK(o.message.find("HTTP 401") != std::string::npos);
  CHECK(o.message.find("wrong-secret-value") == std::string::npos);
  for (const auto& line : f.host.logs)
    CHECK(line.message.find("wrong-secret-value") == std::string::npos);
}

TEST_CASE("tenant credentials are a config error") {
  Fixture f;
  f.emu.id_type = "tenant";
  Outcome o = f.plugin.check();
  CHECK(o.status == MB_E_CONFIG);
  CHECK(o.message.find("tenant/organization, not a partner") != std::string::npos);
}

TEST_CASE("HTTP errors map to their classes") {
  SECTION("429 is rate limited") {
    Fixture f;
    HttpResponse r = respond(429, {{"error", "tooManyRequests"}, {"message", "Slow down"}});
    r.headers["retry-after"] = "30";
    f.emu.forced_once["/partner/v1/tenants"] = r;
    Outcome o = f.collect("2025-11-01");
    CHECK(o.status == MB_E_RATE_LIMITED);
    CHECK(o.message.find("429") != std::string::npos);
  }
  SECTION("500 is transient") {
    Fixture f;
    f.emu.forced_once["/billing/usage/2025/11"] = respond(500, {{"error", "internal"}});
    Outcome o = f.collect("2025-11-01");
    CHECK(o.status == MB_E_TRANSIENT);
    CHECK(o.message.find("HTTP 500") != std::string::npos);
  }
  SECTION("a body that is not JSON is transient and names the path, not the query") {
    Fixture f;
    HttpResponse r;
    r.status = 200;
    r.body = "<html>maintenance</html>";
    f.emu.forced_once["/partner/v1/tenants"] = r;
    Outcome o = f.collect("2025-11-01");
    CHECK(o.status == MB_E_TRANSIENT);
    CHECK(o.message.find("/api/partner/v1/tenants") != std::string::npos);
    CHECK(o.message.find("pageSize") == std::string::npos);
  }
  SECTION("another 4xx names the status and the error body") {
    Fixture f;
    f.emu.forced_once["/partner/v1/tenants"] =
        respond(400, {{"error", "badRequest"}, {"code", "BAD_PAGE"}, {"message", "pageSize"}});
    Outcome o = f.collect("2025-11-01");
    CHECK(o.status == MB_E_CONFIG);
    CHECK(o.message.find("HTTP 400") != std::string::npos);
    CHECK(o.message.find("badRequest") != std::string::npos);
    CHECK(o.message.find("BAD_PAGE") != std::string::npos);
  }
  SECTION("a token URL that is not there is a setting to fix, not a refused write") {
    Fixture f;
    f.emu.forced_once["/oauth2/token"] = respond(404, {{"error", "notFound"}});
    Outcome o = f.collect("2025-11-01");
    CHECK(o.status == MB_E_CONFIG);
    CHECK(o.message.find("POST /id/api/v2/oauth2/token (HTTP 404, notFound)") != std::string::npos);
    CHECK(o.message.find("check api_url") != std::string::npos);
  }
  SECTION("a transport failure passes through") {
    Fixture f;
    f.host.http_handler = [](const HttpRequest&) -> HttpResponse {
      throw meterbridge::transient_error("connection refused");
    };
    Outcome o = f.collect("2025-11-01");
    CHECK(o.status == MB_E_TRANSIENT);
    CHECK(o.message.find("connection refused") != std::string::npos);
  }
  SECTION("a 404 on a later usage page is not taken for an empty month") {
    Fixture f;
    f.emu.forced_once["/billing/usage/2025/11"] = respond(200, [] {
      json page = {{"items", json::array({usage_item("t1", "A", 1, 1)})},
                   {"pages", {{"nextKey", "key/3="}}}};
      return page;
    }());
    f.emu.usage.erase("2025/11");
    Outcome o = f.collect("2025-11-01");
    CHECK(o.status == MB_E_TRANSIENT);
    CHECK(o.message.find("404") != std::string::npos);
  }
}

TEST_CASE("an item with a negative quantity is rejected, the others kept") {
  Fixture f;
  f.emu.usage["2025/11"].push_back(usage_item("t4", "CSMG", -2, 3));
  Outcome o = f.collect("2025-11-20");
  REQUIRE(o.ok());
  CHECK(o.answer.at("records").size() == 4);
  CHECK(find_record(o.answer, "t4", "CSMG").is_null());
  REQUIRE(o.answer.at("rejected").size() == 1);
  const json& rej = o.answer["rejected"][0];
  CHECK(rej.at("customer_id") == "t4");
  CHECK(rej.at("sku") == "CSMG");
  CHECK(rej.at("line") == 6);
  CHECK(rej.at("metric") == "licenses");
  CHECK(rej.at("date") == "2025-11-20");
  CHECK(rej.at("reason").get<std::string>().find("negative") != std::string::npos);
}

TEST_CASE("discover lists tenants and the SKUs of this and last month") {
  Fixture f;  // FakeHost's clock: 2025-12-01, so 2025/12 (no data) and 2025/11
  f.emu.usage["2025/12"] = {usage_item("t5", "NEW", 1, 1)};
  Outcome o = f.plugin.invoke("discover");
  REQUIRE(o.ok());
  CHECK(o.answer.at("schema") == "catalog.v1");
  REQUIRE(o.answer.at("customers").size() == 7);
  CHECK(o.answer["customers"][0] == json({{"id", "t1"}, {"name", "Tenant 1"}}));
  CHECK(o.answer["customers"][1] == json({{"id", "t2"}, {"name", "Second Shown"}}));
  json products = o.answer.at("products");
  REQUIRE(products.size() == 4);
  CHECK(products[0] == json({{"sku", "CSMG"}, {"name", "Product CSMG"}}));
  CHECK(products[1].at("sku") == "MDR");
  CHECK(products[2].at("sku") == "NEW");
  CHECK(products[3].at("sku") == "XDR");

  SECTION("months without data are tolerated") {
    f.emu.usage.clear();
    Outcome empty = f.plugin.invoke("discover");
    REQUIRE(empty.ok());
    CHECK(empty.answer.at("products").empty());
    CHECK(empty.answer.at("customers").size() == 7);
  }
}

TEST_CASE("check answers the partner id and the tenant count") {
  Fixture f;
  Outcome o = f.plugin.check();
  REQUIRE(o.ok());
  CHECK(o.answer.at("details").at("partner_id") == "partner-123");
  CHECK(o.answer.at("details").at("tenants") == 7);
  CHECK(f.count_requests("/partner/v1/tenants?") == 1);
  f.check_logs_clean();
}

TEST_CASE("cancellation stops between pages") {
  Fixture f;
  f.host.http_handler = [&f](const HttpRequest& r) {
    if (r.url.find("/partner/v1/tenants?page=2") != std::string::npos) f.host.cancelled = true;
    return f.emu.handle(r);
  };
  Outcome o = f.collect("2025-11-01");
  CHECK(o.status == MB_E_CANCELLED);
  CHECK(f.count_requests("/partner/v1/tenants?page=3") == 0);
}

TEST_CASE("settings are validated") {
  FakeHost host;
  PluginHarness plugin(meterbridge_plugin_entry, host);
  CHECK(plugin.validate_settings(settings()).ok());
  CHECK(plugin.validate_settings(settings({{"page_size", 101}})).status == MB_E_CONFIG);
  CHECK(plugin.validate_settings(settings({{"quantity", "some"}})).status == MB_E_CONFIG);
  CHECK(plugin.validate_settings(settings({{"api_url", "ftp://x"}})).status == MB_E_CONFIG);
  CHECK(plugin.validate_settings(json::object()).status == MB_E_CONFIG);
  json schema = json::parse(plugin.api().settings_schema_json);
  CHECK(schema.at("additionalProperties") == false);
  CHECK(schema["properties"]["client_secret"]["x-secret"] == true);
  CHECK(std::string(plugin.api().id) == "sophos-central");
  CHECK(std::string(plugin.api().version) == "0.1.0");
  Outcome bad_date = [&] {
    host.secrets["client_secret"] = kSecret;
    REQUIRE(plugin.create(settings()).ok());
    return plugin.invoke("collect", {{"date", "2025-13-01"}});
  }();
  CHECK(bad_date.status == MB_E_INVALID_ARGUMENT);
}

TEST_CASE("licenses flags of the wrong type read as false, not as an internal error") {
  // Found with the tests/fuzz/fuzz_sophos_responses harness ("unlimited": "yes" threw).
  Fixture f;
  f.host.http_handler = [&f](const HttpRequest& r) {
    if (r.url.find("/partner/v1/tenants/t1") != std::string::npos) {
      return respond(200, {{"id", "t1"}, {"name", "Tenant 1"}, {"apiHost", kBase + "/region"}});
    }
    if (r.url == kBase + "/region/licenses/v1/licenses") {
      CHECK(r.headers.at("X-Tenant-ID") == "t1");
      return respond(200, {{"licenses",
                            {{{"licenseIdentifier", "L-1"},
                              {"product", {{"code", "CIXA"}}},
                              {"quantity", 50},
                              {"unlimited", "yes"},
                              {"perpetual", 1}},
                             {{"licenseIdentifier", "L-2"}, {"unlimited", true}}}}});
    }
    return f.emu.handle(r);
  };
  Outcome o = f.plugin.invoke("licenses", {{"tenant_id", "t1"}});
  REQUIRE(o.ok());
  REQUIRE(o.answer["licenses"].size() == 2);
  CHECK(o.answer["licenses"][0]["unlimited"] == false);
  CHECK(o.answer["licenses"][0]["perpetual"] == false);
  CHECK(o.answer["licenses"][0]["product"] == "CIXA");
  CHECK(o.answer["licenses"][1]["unlimited"] == true);
}
