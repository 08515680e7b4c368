// Starts the emulator-sophos executable and talks real HTTP(S) to it with cpp-httplib.
#include <catch2/catch.hpp>

#include "../../test_pki.hpp"
#include "../emulator_under_test.hpp"

#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The emulator as a child process; the first stdout line is its base URL.
class Emulator : public EmulatorUnderTest {
 public:
  explicit Emulator(std::vector<std::string> extra = {},
                    const std::string& seed = SOPHOS_SEED_EXAMPLE)
      : EmulatorUnderTest(EMULATOR_SOPHOS_EXE, seed, extra) {}
};

json seed() {
  return read_json_file(SOPHOS_SEED_EXAMPLE);
}

std::string form(const json& s, const std::string& secret) {
  return "grant_type=client_credentials&client_id=" +
         s["credentials"]["client_id"].get<std::string>() + "&client_secret=" + secret +
         "&scope=token";
}

std::string token(const Emulator& emu) {
  auto s = seed();
  auto res =
      emu.client().Post("/id/api/v2/oauth2/token", form(s, s["credentials"]["client_secret"]),
                        "application/x-www-form-urlencoded");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  return json::parse(res->body)["access_token"];
}

httplib::Headers partner_headers(const std::string& tok) {
  return {{"Authorization", "Bearer " + tok},
          {"X-Partner-ID", seed()["partner"]["id"].get<std::string>()}};
}

void add_fault(const Emulator& emu, const json& fault) {
  auto res = emu.client().Post("/_emulator/faults", fault.dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 201);
}

void check_error_body(const std::string& body) {
  auto j = json::parse(body);
  for (const char* k :
       {"error", "message", "correlationId", "code", "createdAt", "requestId", "docUrl"})
    CHECK(j.contains(k));
}

}  // namespace

TEST_CASE("token: client credentials, wrong secret, wrong content type, refresh") {
  Emulator emu;
  auto s = seed();
  auto cli = emu.client();
  auto ok = cli.Post("/id/api/v2/oauth2/token", form(s, s["credentials"]["client_secret"]),
                     "application/x-www-form-urlencoded");
  REQUIRE(ok);
  REQUIRE(ok->status == 200);
  auto j = json::parse(ok->body);
  CHECK(j["token_type"] == "bearer");
  CHECK(j["expires_in"] == 3600);
  CHECK(j["errorCode"] == "success");
  CHECK(!j["access_token"].get<std::string>().empty());
  CHECK(!j["refresh_token"].get<std::string>().empty());

  auto bad =
      cli.Post("/id/api/v2/oauth2/token", form(s, "nope"), "application/x-www-form-urlencoded");
  REQUIRE(bad);
  CHECK(bad->status == 401);
  auto e = json::parse(bad->body);
  CHECK(e["errorCode"] == "oauth.invalid_client_secret");
  CHECK(e["message"] == "Unauthorized");
  CHECK(e.contains("trackingId"));

  auto json_body = cli.Post("/id/api/v2/oauth2/token", R"({"grant_type":"client_credentials"})",
                            "application/json");
  REQUIRE(json_body);
  CHECK(json_body->status == 400);
  auto missing = cli.Post("/id/api/v2/oauth2/token", "grant_type=client_credentials",
                          "application/x-www-form-urlencoded");
  REQUIRE(missing);
  CHECK(missing->status == 400);

  json refresh = {{"client_id", s["credentials"]["client_id"]},
                  {"client_secret", s["credentials"]["client_secret"]},
                  {"grant_type", "refresh_token"},
                  {"refresh_token", j["refresh_token"]}};
  auto refreshed = cli.Post("/id/api/v2/oauth2/token", refresh.dump(), "application/json");
  REQUIRE(refreshed);
  CHECK(refreshed->status == 200);
  CHECK(emu.stop() == 0);
}

TEST_CASE("whoami, tenants pagination, page size limit, X-Partner-ID") {
  Emulator emu;
  auto cli = emu.client();
  const auto tok = token(emu);
  auto who = cli.Get("/api/whoami/v1", {{"Authorization", "Bearer " + tok}});
  REQUIRE(who);
  REQUIRE(who->status == 200);
  auto w = json::parse(who->body);
  CHECK(w["id"] == seed()["partner"]["id"]);
  CHECK(w["idType"] == "partner");
  CHECK(w["apiHosts"]["global"] == emu.url() + "/api");

  std::set<std::string> ids;
  for (int page = 1; page <= 2; ++page) {
    auto res = cli.Get(
        "/api/partner/v1/tenants?page=" + std::to_string(page) + "&pageSize=3&pageTotal=true",
        partner_headers(tok));
    REQUIRE(res);
    REQUIRE(res->status == 200);
    auto j = json::parse(res->body);
    CHECK(j["pages"]["current"] == page);
    CHECK(j["pages"]["size"] == 3);
    CHECK(j["pages"]["total"] == 2);
    CHECK(j["pages"]["items"] == 5);
    CHECK(j["pages"]["maxSize"] == 100);
    CHECK(j["items"].size() == (page == 1 ? 3u : 2u));
    for (const auto& t : j["items"]) {
      ids.insert(t["id"].get<std::string>());
      CHECK(t["apiHost"] == emu.url() + "/region/" + t["dataRegion"].get<std::string>());
      CHECK(t["partner"]["id"] == w["id"]);
      for (const char* k : {"name", "showAs", "dataGeography", "billingType", "organization"})
        CHECK(t.contains(k));
    }
  }
  CHECK(ids.size() == 5);

  auto too_big = cli.Get("/api/partner/v1/tenants?pageSize=101", partner_headers(tok));
  REQUIRE(too_big);
  CHECK(too_big->status == 400);
  check_error_body(too_big->body);

  auto no_partner = cli.Get("/api/partner/v1/tenants", {{"Authorization", "Bearer " + tok}});
  REQUIRE(no_partner);
  CHECK(no_partner->status == 400);
  auto other_partner = cli.Get("/api/partner/v1/tenants",
                               {{"Authorization", "Bearer " + tok}, {"X-Partner-ID", "x"}});
  REQUIRE(other_partner);
  CHECK(other_partner->status == 403);
  auto no_token = cli.Get("/api/partner/v1/tenants", partner_headers("bogus"));
  REQUIRE(no_token);
  CHECK(no_token->status == 401);
  check_error_body(no_token->body);
  auto unknown = cli.Get("/nowhere");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  check_error_body(unknown->body);
}

TEST_CASE("billing usage: key pagination, empty month, bad month, accountId filter") {
  Emulator emu;
  auto cli = emu.client();
  const auto tok = token(emu);
  const auto expected = seed()["usage"]["2026-10"];
  std::vector<std::string> externals;
  std::string from;
  int pages = 0;
  for (;; ++pages) {
    REQUIRE(pages < 20);
    std::string path = "/api/partner/v1/billing/usage/2026/10?pageSize=5&pageTotal=true";
    if (!from.empty()) path += "&pageFromKey=" + from;
    auto res = cli.Get(path, partner_headers(tok));
    REQUIRE(res);
    REQUIRE(res->status == 200);
    auto j = json::parse(res->body);
    CHECK(j["pages"]["items"] == expected.size());
    CHECK(j["pages"]["total"] == 3);
    for (const auto& item : j["items"]) {
      externals.push_back(item["externalId"]);
      for (const char* k :
           {"partnerAccountId", "accountId", "sku", "productDescription", "productCode",
            "productGroup", "billableQuantity", "actualQuantity", "billingStartDate",
            "billingEndDate", "orderNumber", "orderLineItemNumber", "accountStatus"})
        CHECK(item.contains(k));
    }
    if (!j["pages"].contains("nextKey")) break;
    from = j["pages"]["nextKey"];
  }
  CHECK(pages + 1 == 3);
  CHECK(externals.size() == expected.size());
  CHECK(std::set<std::string>(externals.begin(), externals.end()).size() == expected.size());

  auto empty = cli.Get("/api/partner/v1/billing/usage/2026/9", partner_headers(tok));
  REQUIRE(empty);
  CHECK(empty->status == 404);
  check_error_body(empty->body);
  CHECK(json::parse(empty->body)["message"] == "No data for requested year or month");
  auto bad = cli.Get("/api/partner/v1/billing/usage/2026/13", partner_headers(tok));
  REQUIRE(bad);
  CHECK(bad->status == 400);

  const std::string account = seed()["tenants"][1]["id"];
  auto one =
      cli.Get("/api/partner/v1/billing/usage/2026/11?accountId=" + account, partner_headers(tok));
  REQUIRE(one);
  REQUIRE(one->status == 200);
  auto j = json::parse(one->body);
  CHECK(j["items"].size() == 2);
  for (const auto& item : j["items"]) CHECK(item["accountId"] == account);
}

TEST_CASE("licences: right region answers, wrong region refused") {
  Emulator emu;
  auto cli = emu.client();
  const auto tok = token(emu);
  const auto tenant = seed()["tenants"][2];  // eu02
  const std::string id = tenant["id"];
  auto ok = cli.Get("/region/eu02/licenses/v1/licenses",
                    {{"Authorization", "Bearer " + tok}, {"X-Tenant-ID", id}});
  REQUIRE(ok);
  REQUIRE(ok->status == 200);
  auto j = json::parse(ok->body);
  CHECK(j["tenant"]["id"] == id);
  CHECK(j["organization"]["id"] == tenant["organizationId"]);
  REQUIRE(j["licenses"].size() == 3);
  for (const char* k : {"id", "licenseIdentifier", "product", "startDate", "endDate", "perpetual",
                        "type", "unlimited", "quantity", "usage"})
    CHECK(j["licenses"][0].contains(k));
  CHECK(j["licenses"][0]["usage"]["current"].contains("count"));

  auto wrong = cli.Get("/region/eu01/licenses/v1/licenses",
                       {{"Authorization", "Bearer " + tok}, {"X-Tenant-ID", id}});
  REQUIRE(wrong);
  CHECK(wrong->status == 403);
  check_error_body(wrong->body);
}

TEST_CASE("an expired token is refused with 401") {
  auto s = seed();
  s["token_ttl_seconds"] = 1;
  const auto path =
      fs::temp_directory_path() / ("sophos-seed-ttl-" + std::to_string(getpid()) + ".json");
  std::ofstream(path) << s.dump();
  Emulator emu({}, path.string());
  const auto tok = token(emu);
  auto fresh = emu.client().Get("/api/whoami/v1", {{"Authorization", "Bearer " + tok}});
  REQUIRE(fresh);
  CHECK(fresh->status == 200);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto stale = emu.client().Get("/api/whoami/v1", {{"Authorization", "Bearer " + tok}});
  REQUIRE(stale);
  CHECK(stale->status == 401);
  auto j = json::parse(stale->body);
  CHECK(j["error"] == "Unauthorized");
  check_error_body(stale->body);
  fs::remove(path);
}

TEST_CASE("faults: 429, 500, slow, malformed, drop") {
  Emulator emu;
  auto cli = emu.client();
  const auto tok = token(emu);
  const std::string usage = "/api/partner/v1/billing/usage/2026/10";
  const std::string prefix = "/api/partner/v1/billing";

  add_fault(emu, {{"path_prefix", prefix}, {"kind", "429"}, {"count", 2}, {"retry_after", 2}});
  for (int i = 0; i < 2; ++i) {
    auto res = cli.Get(usage, partner_headers(tok));
    REQUIRE(res);
    CHECK(res->status == 429);
    CHECK(res->get_header_value("Retry-After") == "2");
    check_error_body(res->body);
  }
  auto after = cli.Get(usage, partner_headers(tok));
  REQUIRE(after);
  CHECK(after->status == 200);

  add_fault(emu, {{"path_prefix", prefix}, {"kind", "500"}, {"count", 1}});
  auto failed = cli.Get(usage, partner_headers(tok));
  REQUIRE(failed);
  CHECK(failed->status == 500);
  check_error_body(failed->body);

  add_fault(emu, {{"path_prefix", prefix}, {"kind", "slow"}, {"count", 1}, {"delay_ms", 1500}});
  auto t0 = std::chrono::steady_clock::now();
  auto slow = cli.Get(usage, partner_headers(tok));
  auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(slow);
  CHECK(slow->status == 200);
  CHECK(took >= std::chrono::milliseconds(1500));

  add_fault(emu, {{"path_prefix", prefix}, {"kind", "malformed"}, {"count", 1}});
  auto malformed = cli.Get(usage, partner_headers(tok));
  REQUIRE(malformed);
  CHECK(malformed->status == 200);
  CHECK_THROWS(json::parse(malformed->body));

  add_fault(emu, {{"path_prefix", prefix}, {"kind", "drop"}, {"count", 1}});
  auto dropped = cli.Get(usage, partner_headers(tok));
  CHECK(!dropped);
  auto recovered = cli.Get(usage, partner_headers(tok));
  REQUIRE(recovered);
  CHECK(recovered->status == 200);

  auto bad_kind = cli.Post("/_emulator/faults", R"({"kind":"teapot"})", "application/json");
  REQUIRE(bad_kind);
  CHECK(bad_kind->status == 400);
}

TEST_CASE("request log redacts the Authorization value, state, clearing") {
  Emulator emu;
  auto cli = emu.client();
  const auto tok = token(emu);
  REQUIRE(cli.Get("/api/partner/v1/tenants?pageSize=2", partner_headers(tok)));
  auto log = cli.Get("/_emulator/requests");
  REQUIRE(log);
  REQUIRE(log->status == 200);
  CHECK(log->body.find(tok) == std::string::npos);
  CHECK(log->body.find(seed()["credentials"]["client_secret"].get<std::string>()) ==
        std::string::npos);
  auto entries = json::parse(log->body);
  REQUIRE(entries.size() == 2);
  CHECK(entries[1]["path"] == "/api/partner/v1/tenants");
  CHECK(entries[1]["query"]["pageSize"] == "2");
  CHECK(entries[1]["status"] == 200);
  CHECK(entries[1]["headers"]["Authorization"] == "Bearer REDACTED");
  CHECK(entries[1]["headers"]["X-Partner-ID"] == seed()["partner"]["id"]);

  auto state = cli.Get("/_emulator/state");
  REQUIRE(state);
  CHECK(json::parse(state->body)["tenants"].size() == 5);
  auto cleared = cli.Delete("/_emulator/requests");
  REQUIRE(cleared);
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
  auto ok = trusted.Get("/api/whoami/v1");
  REQUIRE(ok);
  CHECK(ok->status == 401);  // reached the emulator over verified TLS; no token given

  httplib::SSLClient untrusted("127.0.0.1", port);
  untrusted.enable_server_certificate_verification(true);
  auto refused = untrusted.Get("/api/whoami/v1");
  CHECK(!refused);
  CHECK(emu.stop() == 0);
  fs::remove_all(pki);
}
