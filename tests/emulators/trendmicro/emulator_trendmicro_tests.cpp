// The SMPI/LMPI request signature against known vectors, then the emulator-trendmicro executable
// over real HTTP with cpp-httplib: the header and signature checks, paging, cids batches, the
// seeded usage, subscriptions and detections, faults and the request log.
#include <catch2/catch.hpp>

#include "../../test_pki.hpp"
#include "../emulator_under_test.hpp"
#include "tm_signing.hpp"

#include <meterbridge/digest.hpp>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

using nlohmann::json;

namespace {

class Emulator : public EmulatorUnderTest {
 public:
  explicit Emulator(const std::string& seed = TRENDMICRO_SEED_EXAMPLE,
                    std::vector<std::string> extra = {})
      : EmulatorUnderTest(EMULATOR_TRENDMICRO_EXE, seed, extra) {}
};

json seed() {
  return read_json_file(TRENDMICRO_SEED_EXAMPLE);
}

int64_t now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// The headers SMPI wants for `method target` signed at `time`.
httplib::Headers signed_headers(const std::string& method, const std::string& target,
                                int64_t time = now_s(), const std::string& body = "") {
  const json s = seed();
  return {
      {"x-access-token", s["credentials"]["access_token"].get<std::string>()},
      {"x-posix-time", std::to_string(time)},
      {"x-signature", trendmicro_rm::signature(s["credentials"]["secret_key"].get<std::string>(),
                                               time, method, target, body)},
      {"x-traceid", "0f8fad5b-d9cb-469f-a165-70867728950e"},
      {"content-type", "application/json; charset=utf-8"}};
}

// A client that sends the target exactly as given: httplib would otherwise encode the commas of
// cids after the signature was computed over them.
httplib::Result get(const Emulator& emu, const std::string& target, const httplib::Headers& h) {
  httplib::Client c = emu.client();
  c.set_url_encode(false);
  return c.Get(target, h);
}

httplib::Result signed_get(const Emulator& emu, const std::string& target) {
  return get(emu, target, signed_headers("GET", target));
}

void check_error(const httplib::Result& res, int status, const std::string& subject) {
  REQUIRE(res);
  CHECK(res->status == status);
  json j = json::parse(res->body);
  CHECK(j["error_subject"] == subject);
  CHECK(j["error_message"].is_string());
}

const std::string kSmpi = "/SMPI/v2.8/service/wfbss/api";

}  // namespace

TEST_CASE("signature: known vectors computed with openssl") {
  // RFC 4231 test case 2.
  CHECK(meterbridge::hex(meterbridge::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(meterbridge::hex(meterbridge::md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  // printf '%s' '1764547200GET/SMPI/v2.8/service/wfbss/api/customers?page=2&limit=100' |
  //   openssl dgst -sha256 -hmac 'tm-emulator-secret-key-0123456789' -binary | base64
  CHECK(trendmicro_rm::signature("tm-emulator-secret-key-0123456789", 1764547200, "get",
                                 "/SMPI/v2.8/service/wfbss/api/customers?page=2&limit=100",
                                 "") == "Wj8KsJaxTUPkLbDgwy0mmxxaxRh14TlglDKs5hR5Qs4=");
  // With a body, base64(MD5(body)) is appended:
  //   printf '%s' '{"name":"Alder"}' | openssl dgst -md5 -binary | base64
  //   -> e2OxQ5xD/+jW0ZqonCgqXQ==
  //   printf '%s' '1764547200POST/LMPI/v3/customerse2OxQ5xD/+jW0ZqonCgqXQ==' |
  //     openssl dgst -sha256 -hmac 'tm-emulator-secret-key-0123456789' -binary | base64
  CHECK(meterbridge::base64_encode(meterbridge::md5(R"({"name":"Alder"})")) ==
        "e2OxQ5xD/+jW0ZqonCgqXQ==");
  CHECK(trendmicro_rm::signature_message(1764547200, "post", "/LMPI/v3/customers",
                                         R"({"name":"Alder"})") ==
        "1764547200POST/LMPI/v3/customerse2OxQ5xD/+jW0ZqonCgqXQ==");
  CHECK(trendmicro_rm::signature("tm-emulator-secret-key-0123456789", 1764547200, "POST",
                                 "/LMPI/v3/customers", R"({"name":"Alder"})") ==
        "Uvx6m6o/LwQh8dLkbeAe3i78FVaMq8kY+ii1nnL/4Eo=");
}

TEST_CASE("a signed call is answered and each header check refuses with the documented error") {
  Emulator emu;
  const std::string target = kSmpi + "/customers?page=1&limit=100";
  auto ok = signed_get(emu, target);
  REQUIRE(ok);
  CHECK(ok->status == 200);

  for (const char* header :
       {"x-access-token", "x-posix-time", "x-signature", "x-traceid", "content-type"}) {
    httplib::Headers h = signed_headers("GET", target);
    h.erase(header);
    auto res = get(emu, target, h);
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(json::parse(res->body)["error_subject"].get<std::string>().rfind("MissingHeader", 0) ==
          0);
  }
  httplib::Headers wrong_type = signed_headers("GET", target);
  wrong_type.erase("content-type");
  wrong_type.emplace("content-type", "text/plain");
  check_error(get(emu, target, wrong_type), 415, "InvalidHeaderContentType");

  httplib::Headers wrong_token = signed_headers("GET", target);
  wrong_token.erase("x-access-token");
  wrong_token.emplace("x-access-token", "00000000-0000-0000-0000-000000000000");
  check_error(get(emu, target, wrong_token), 401, "AuthenticationFailureAccessToken");

  // A byte of the query changed after signing.
  const std::string changed = kSmpi + "/customers?page=2&limit=100";
  check_error(get(emu, changed, signed_headers("GET", target)), 401,
              "AuthenticationFailureSignature");
  // Signed with another method.
  check_error(get(emu, target, signed_headers("POST", target)), 401,
              "AuthenticationFailureSignature");
  // More than 15 minutes off either way; 14 minutes is fine.
  check_error(get(emu, target, signed_headers("GET", target, now_s() - 16 * 60)), 401,
              "AuthenticationFailurePosixTime");
  check_error(get(emu, target, signed_headers("GET", target, now_s() + 16 * 60)), 401,
              "AuthenticationFailurePosixTime");
  auto close = get(emu, target, signed_headers("GET", target, now_s() - 14 * 60));
  REQUIRE(close);
  CHECK(close->status == 200);
  // An unknown API version or resource is 404.
  check_error(signed_get(emu, "/SMPI/v9.9/service/wfbss/api/customers"), 404, "NotFound");
}

TEST_CASE("customers: paging by page and limit, limits out of range refused") {
  json s = seed();
  // 205 customers: three pages of 100.
  json many = json::array();
  for (int i = 0; i < 205; ++i)
    many.push_back(
        {{"id", "c-" + std::to_string(1000 + i)}, {"name", "Customer " + std::to_string(i)}});
  s["customers"] = many;
  const std::string file = (std::filesystem::temp_directory_path() / "tm-emu-paging.json").string();
  {
    std::ofstream out(file);
    out << s.dump();
  }
  Emulator emu(file);
  std::set<std::string> ids;
  for (int page = 1; page <= 3; ++page) {
    auto res = signed_get(emu, kSmpi + "/customers?page=" + std::to_string(page) + "&limit=100");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    json body = json::parse(res->body);
    CHECK(body["paging"]["total"] == 205);
    CHECK(body["paging"]["page"] == page);
    CHECK(body["customers"].size() == (page < 3 ? 100u : 5u));
    for (const auto& c : body["customers"]) ids.insert(c["id"].get<std::string>());
  }
  CHECK(ids.size() == 205);
  // The default limit is 100.
  auto first = signed_get(emu, kSmpi + "/customers");
  REQUIRE(first);
  CHECK(json::parse(first->body)["customers"].size() == 100);
  for (const char* bad : {"?limit=0", "?limit=101", "?page=0", "?page=x"})
    check_error(signed_get(emu, kSmpi + "/customers" + bad), 400, "InvalidParameters");
}

TEST_CASE("customers/usage: 1 to 20 ids per call, the seeded seats") {
  Emulator emu;
  const json s = seed();
  std::string both =
      s["customers"][1]["id"].get<std::string>() + "," + s["customers"][2]["id"].get<std::string>();
  auto res = signed_get(emu, kSmpi + "/customers/usage?cids=" + both);
  REQUIRE(res);
  REQUIRE(res->status == 200);
  json body = json::parse(res->body);
  REQUIRE(body["customers"].size() == 2);
  CHECK(body["customers"][0]["id"] == s["customers"][1]["id"]);
  CHECK(body["customers"][0]["seat_usages"].size() == s["customers"][1]["seat_usages"].size());
  CHECK(body["customers"][0]["seat_usages"][0]["used"] == 38);
  CHECK(body["customers"][0]["seat_usages"][0].contains("update_time"));

  std::string twenty_one;
  for (int i = 0; i < 21; ++i)
    twenty_one += (i ? "," : "") + s["customers"][0]["id"].get<std::string>();
  check_error(signed_get(emu, kSmpi + "/customers/usage?cids=" + twenty_one), 400,
              "InvalidParameters");
  check_error(signed_get(emu, kSmpi + "/customers/usage"), 400, "InvalidParameters");
  check_error(signed_get(emu, kSmpi + "/customers/usage?cids=nobody"), 400, "InvalidParameters");
}

TEST_CASE("LMPI subscriptions and the detections endpoint we assume") {
  Emulator emu;
  const json s = seed();
  const std::string birch = s["customers"][1]["id"];
  auto subs = signed_get(emu, "/LMPI/v3/customers/" + birch + "/subscriptions");
  REQUIRE(subs);
  REQUIRE(subs->status == 200);
  json list = json::parse(subs->body)["subscriptions"];
  REQUIRE(list.size() == 1);
  CHECK(list[0]["licenses"][1]["product_id"] == "HES");
  auto one = signed_get(emu, "/LMPI/v3/customers/" + birch + "/subscriptions/sub-0002");
  REQUIRE(one);
  CHECK(json::parse(one->body)["subscription_id"] == "sub-0002");
  check_error(signed_get(emu, "/LMPI/v3/customers/nobody/subscriptions"), 404, "CustomerNotFound");

  const std::string det = "/SMPI/v2.8/service/tmems/api/customers/detections?cids=" + birch;
  auto nov = signed_get(emu, det + "&start_date=2026-11-01&end_date=2026-11-30");
  REQUIRE(nov);
  REQUIRE(nov->status == 200);
  json p = json::parse(nov->body)["customers"][0]["products"][0];
  CHECK(p["product_id"] == "HES");
  CHECK(p["spam"] == 120 + 98);
  CHECK(p["total_messages"] == 2400 + 2100);
  check_error(signed_get(emu, det + "&start_date=2026-11-30&end_date=2026-11-01"), 400,
              "InvalidParameters");
  check_error(signed_get(emu, det + "&start_date=2026-13-01&end_date=2026-11-01"), 400,
              "InvalidParameters");
}

TEST_CASE("faults and the request log: 401, 403, 429 with Retry-After, 500, malformed") {
  Emulator emu;
  const std::string target = kSmpi + "/customers";
  for (const char* kind : {"401", "403", "429", "500", "malformed"}) {
    auto add = emu.client().Post("/_emulator/faults",
                                 json{{"kind", kind}, {"path_prefix", "/SMPI/"}}.dump(),
                                 "application/json");
    REQUIRE(add);
    REQUIRE(add->status == 201);
    auto res = signed_get(emu, target);
    REQUIRE(res);
    if (std::string(kind) == "malformed") {
      CHECK(res->status == 200);
      CHECK(json::parse(res->body, nullptr, false).is_discarded());
    } else {
      CHECK(res->status == std::stoi(kind));
      CHECK(json::parse(res->body).contains("error_subject"));
      if (std::string(kind) == "429") CHECK(res->get_header_value("Retry-After") == "1");
    }
  }
  auto log = emu.client().Get("/_emulator/requests");
  REQUIRE(log);
  json entries = json::parse(log->body);
  REQUIRE(entries.size() == 5);
  CHECK(entries[0]["headers"].contains("x-signature"));
  CHECK_FALSE(entries[0]["headers"].contains("x-access-token"));  // a credential: never logged
  auto state = emu.client().Get("/_emulator/state");
  REQUIRE(state);
  CHECK(json::parse(state->body)["customers"].size() == seed()["customers"].size());
}

TEST_CASE("TLS: a signed call over verified TLS, refused without the test CA") {
  auto pki = make_test_pki("emulator-trendmicro");
  Emulator emu(TRENDMICRO_SEED_EXAMPLE, {"--tls-cert", (pki / "server.pem").string(), "--tls-key",
                                         (pki / "server.key").string()});
  REQUIRE(emu.url().rfind("https://127.0.0.1:", 0) == 0);
  const int port = std::stoi(emu.url().substr(emu.url().rfind(':') + 1));
  const std::string target = kSmpi + "/customers";

  httplib::SSLClient trusted("127.0.0.1", port);
  trusted.set_ca_cert_path((pki / "ca.pem").c_str());
  trusted.enable_server_certificate_verification(true);
  auto ok = trusted.Get(target, signed_headers("GET", target));
  REQUIRE(ok);
  CHECK(ok->status == 200);

  httplib::SSLClient untrusted("127.0.0.1", port);
  untrusted.enable_server_certificate_verification(true);
  CHECK(!untrusted.Get(target, signed_headers("GET", target)));
  CHECK(emu.stop() == 0);
  std::filesystem::remove_all(pki);
}
