// Starts the emulator-datto executable and talks real HTTP(S) to it with cpp-httplib.
#include <catch2/catch.hpp>

#include "../../test_pki.hpp"
#include "../emulator_under_test.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class Emulator : public EmulatorUnderTest {
 public:
  explicit Emulator(std::vector<std::string> extra = {})
      : EmulatorUnderTest(EMULATOR_DATTO_EXE, DATTO_SEED_EXAMPLE, extra) {}
};

json seed() {
  return read_json_file(DATTO_SEED_EXAMPLE);
}

// The seeded key pair as a Basic header: base64 of "emu-public-7c1e:emu-secret-9b4d2a".
const httplib::Headers kAuth = {
    {"Authorization", "Basic ZW11LXB1YmxpYy03YzFlOmVtdS1zZWNyZXQtOWI0ZDJh"}};

json get_json(const Emulator& emu, const std::string& path, int status = 200) {
  auto res = emu.client().Get(path.c_str(), kAuth);
  REQUIRE(res);
  INFO(path << " " << res->body);
  REQUIRE(res->status == status);
  return json::parse(res->body);
}

}  // namespace

TEST_CASE("Basic credentials: missing or wrong is 401 with an error body") {
  Emulator emu;
  auto cli = emu.client();
  auto missing = cli.Get("/v1/saas/domains");
  REQUIRE(missing);
  CHECK(missing->status == 401);
  json body = json::parse(missing->body);
  CHECK(body["code"] == 401);
  CHECK(body["message"] == "Invalid credentials");
  auto wrong = cli.Get("/v1/saas/domains", {{"Authorization", "Basic ZW11LXB1YmxpYzp4"}});
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(get_json(emu, "/v1/saas/domains").size() == 3);
  CHECK(emu.stop() == 0);
}

TEST_CASE("devices: pages, perPage limit, bad parameters and hidden devices") {
  Emulator emu;
  std::set<std::string> serials;
  for (int page = 1; page <= 2; ++page) {
    json body = get_json(emu, "/v1/bcdr/device?_page=" + std::to_string(page) + "&_perPage=3");
    json pagination = body["pagination"];
    CHECK(pagination == json{{"page", page}, {"perPage", 3}, {"totalPages", 2}, {"count", 5}});
    json items = body["items"];
    for (const json& d : items) serials.insert(d["serialNumber"].get<std::string>());
    CHECK_FALSE(items[0].contains("agents"));
  }
  CHECK(serials.size() == 5);  // showHiddenDevices defaults to 1, as the real API's does
  json visible = get_json(emu, "/v1/bcdr/device?showHiddenDevices=0");
  CHECK(visible["pagination"]["count"] == 4);
  json items = visible["items"];
  for (const json& d : items) CHECK(d["hidden"] == false);
  json past_end = get_json(emu, "/v1/bcdr/device?_page=9");
  CHECK(past_end["items"].empty());
  for (const char* bad : {"_page=0", "_page=x", "_perPage=101", "_perPage=0", "_perPage=2.5",
                          "showHiddenDevices=2", "showChildResellerDevices=yes"}) {
    json error = get_json(emu, std::string("/v1/bcdr/device?") + bad, 400);
    CHECK(error["code"] == 400);
  }
  CHECK(emu.stop() == 0);
}

TEST_CASE("one device, its agents, and unknown paths") {
  Emulator emu;
  json device = get_json(emu, "/v1/bcdr/device/A1B2C3D4E5F6");
  CHECK(device["organizationId"] == 1001);
  CHECK(device["offsiteStorageUsed"] == json{{"size", 1536}, {"units", "MB"}});
  json agents = get_json(emu, "/v1/bcdr/device/A1B2C3D4E5F6/asset/agent");
  REQUIRE(agents.is_array());
  CHECK(agents.size() == 3);
  CHECK(agents == seed()["devices"][0]["agents"]);
  CHECK(get_json(emu, "/v1/bcdr/device/E5F6A7B8C9D0/asset/agent").empty());
  get_json(emu, "/v1/bcdr/device/NOPE", 404);
  get_json(emu, "/v1/bcdr/device/NOPE/asset/agent", 404);
  get_json(emu, "/v1/bcdr/devices", 404);
  get_json(emu, "/v1/saas/50211/nothing", 404);
  auto outside = emu.client().Get("/bcdr/device", kAuth);
  REQUIRE(outside);
  CHECK(outside->status == 404);
  auto post = emu.client().Post("/v1/saas/domains", kAuth, "{}", "application/json");
  REQUIRE(post);
  CHECK(post->status == 405);
  CHECK(emu.stop() == 0);
}

TEST_CASE("SaaS domains are served as seeded") {
  Emulator emu;
  json domains = get_json(emu, "/v1/saas/domains");
  CHECK(domains == seed()["domains"]);
  CHECK(emu.stop() == 0);
}

TEST_CASE("faults, the request log without credentials, and state") {
  Emulator emu;
  auto cli = emu.client();
  json fault = {{"path_prefix", "/v1/saas"}, {"kind", "429"}, {"retry_after", 2}};
  auto added = cli.Post("/_emulator/faults", fault.dump(), "application/json");
  REQUIRE(added);
  CHECK(added->status == 201);
  auto limited = cli.Get("/v1/saas/domains", kAuth);
  REQUIRE(limited);
  CHECK(limited->status == 429);
  CHECK(limited->get_header_value("Retry-After") == "2");
  CHECK(json::parse(limited->body)["code"] == 429);
  CHECK(get_json(emu, "/v1/saas/domains").size() == 3);

  json log = json::parse(cli.Get("/_emulator/requests")->body);
  REQUIRE(log.size() == 2);
  CHECK(log[0]["fault"] == "429");
  CHECK(log[1]["status"] == 200);
  CHECK(log[1]["headers"]["Authorization"] == "Basic REDACTED");
  CHECK(cli.Get("/_emulator/requests")->body.find("ZW11") == std::string::npos);
  json state = json::parse(cli.Get("/_emulator/state")->body);
  CHECK(state["devices"] == 5);
  CHECK(state["domains"] == 3);
  CHECK(emu.stop() == 0);
}

TEST_CASE("TLS: trusted with the test CA, refused without it") {
  auto pki = make_test_pki("emulator-datto");
  Emulator emu(
      {"--tls-cert", (pki / "server.pem").string(), "--tls-key", (pki / "server.key").string()});
  REQUIRE(emu.url().rfind("https://127.0.0.1:", 0) == 0);
  const int port = std::stoi(emu.url().substr(emu.url().rfind(':') + 1));
  httplib::SSLClient trusted("127.0.0.1", port);
  trusted.set_ca_cert_path((pki / "ca.pem").c_str());
  trusted.enable_server_certificate_verification(true);
  auto ok = trusted.Get("/v1/saas/domains", kAuth);
  REQUIRE(ok);
  CHECK(ok->status == 200);
  httplib::SSLClient untrusted("127.0.0.1", port);
  untrusted.enable_server_certificate_verification(true);
  CHECK(!untrusted.Get("/v1/saas/domains"));
  CHECK(emu.stop() == 0);
  fs::remove_all(pki);
}
