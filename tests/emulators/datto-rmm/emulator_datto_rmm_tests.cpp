// Starts the emulator-datto-rmm executable and talks real HTTP to it with cpp-httplib.
#include <catch2/catch.hpp>

#include "../emulator_under_test.hpp"

#include <httplib.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kForm = "application/x-www-form-urlencoded";
const std::string kPublic = "Basic cHVibGljLWNsaWVudDpwdWJsaWM=";

json seed() {
  return read_json_file(DATTO_RMM_SEED_EXAMPLE);
}

// The example seed with changes, in a temporary file.
class SeedFile {
 public:
  explicit SeedFile(const json& patch) {
    json s = seed();
    s.merge_patch(patch);
    path_ = fs::temp_directory_path() / ("rmm-seed-" + std::to_string(getpid()) + ".json");
    std::ofstream(path_) << s.dump();
  }
  ~SeedFile() { fs::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

struct Emulator : EmulatorUnderTest {
  explicit Emulator(const std::string& seed_file = DATTO_RMM_SEED_EXAMPLE)
      : EmulatorUnderTest(EMULATOR_DATTO_RMM_EXE, seed_file) {}
  httplib::Result token(const std::string& body, const std::string& basic = kPublic) const {
    auto c = client();
    return c.Post("/api/auth/oauth/token", {{"Authorization", basic}}, body, kForm.c_str());
  }
  std::string bearer() const {
    auto r = token("grant_type=password&username=EMUKEY7H3Q&password=emu-secret-4711");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return "Bearer " + json::parse(r->body)["access_token"].get<std::string>();
  }
  json get(const std::string& path, int status = 200, const std::string& auth = "") const {
    auto c = client();
    auto r = c.Get(path.c_str(), {{"Authorization", auth.empty() ? bearer() : auth}});
    REQUIRE(r);
    INFO(path << " -> " << r->body);
    REQUIRE(r->status == status);
    return json::parse(r->body);
  }
};

}  // namespace

TEST_CASE("the token endpoint answers as an OAuth server") {
  Emulator emu;
  auto ok = emu.token("grant_type=password&username=EMUKEY7H3Q&password=emu-secret-4711");
  REQUIRE(ok);
  REQUIRE(ok->status == 200);
  const json t = json::parse(ok->body);
  CHECK(t["token_type"] == "bearer");
  CHECK(t["expires_in"] == 360000);
  auto wrong = emu.token("grant_type=password&username=EMUKEY7H3Q&password=nope");
  REQUIRE(wrong);
  CHECK(wrong->status == 400);
  CHECK(json::parse(wrong->body)["error"] == "invalid_grant");
  auto client = emu.token("grant_type=password&username=EMUKEY7H3Q&password=emu-secret-4711",
                          "Basic b3RoZXI6eA==");
  REQUIRE(client);
  CHECK(client->status == 401);
  CHECK(json::parse(client->body).contains("error_description"));
  auto grant = emu.token("grant_type=client_credentials");
  REQUIRE(grant);
  CHECK(json::parse(grant->body)["error"] == "unsupported_grant_type");
}

TEST_CASE("API calls need a live bearer token and fail with the spec's error body") {
  SeedFile short_lived(json{{"token_lifetime_seconds", 1}, {"token_expires_in", 360000}});
  Emulator emu(short_lived.path());
  const json none = emu.get("/api/v2/account", 401, "Bearer nonsense");
  CHECK(none["status"] == 401);
  CHECK(none["error"] == "Unauthorized");
  CHECK(none["path"] == "/v2/account");
  CHECK(none["timestamp"].is_number_integer());
  const std::string bearer = emu.bearer();
  CHECK(emu.get("/api/v2/account", 200, bearer)["name"] == "Example MSP");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  emu.get("/api/v2/account", 401, bearer);
}

TEST_CASE("sites page with absolute next and previous URLs, and filter by siteName") {
  Emulator emu;
  const json first = emu.get("/api/v2/account/sites?max=2");
  CHECK(first["sites"].size() == 2);
  CHECK(first["pageDetails"]["totalCount"] == 3);
  CHECK(first["pageDetails"]["prevPageUrl"].is_null());
  const std::string next = first["pageDetails"]["nextPageUrl"];
  REQUIRE(next == emu.url() + "/api/v2/account/sites?max=2&page=1");
  const json second = emu.get(next.substr(emu.url().size()));
  CHECK(second["sites"].size() == 1);
  CHECK(second["pageDetails"]["nextPageUrl"].is_null());
  CHECK(second["pageDetails"]["count"] == 1);
  const json bakery = emu.get("/api/v2/account/sites?siteName=bakery");
  REQUIRE(bakery["sites"].size() == 1);
  CHECK(bakery["sites"][0]["autotaskCompanyId"] == "29683");
  CHECK(bakery["sites"][0]["devicesStatus"]["numberOfDevices"] == 7);
  emu.get("/api/v2/account/sites?page=x", 400);
  CHECK(emu.get("/api/v2/system/pagination")["max"] == 250);
  CHECK(emu.get("/api/v2/account/sites?max=1000")["pageDetails"]["count"] == 3);
}

TEST_CASE("a site, its devices, and the devices of a custom filter") {
  Emulator emu;
  CHECK(emu.get("/api/v2/site/b1c0a8e2-0001")["name"] == "Bakery Schmidt");
  emu.get("/api/v2/site/no-such-site", 404);
  emu.get("/api/v2/site/no-such-site/devices", 404);
  const json devices = emu.get("/api/v2/site/b1c0a8e2-0001/devices?max=5");
  CHECK(devices["devices"].size() == 5);
  CHECK(devices["devices"][0]["siteUid"] == "b1c0a8e2-0001");
  CHECK(devices["devices"][0]["siteName"] == "Bakery Schmidt");
  CHECK(devices["pageDetails"]["nextPageUrl"] ==
        emu.url() + "/api/v2/site/b1c0a8e2-0001/devices?max=5&page=1");
  const json filters = emu.get("/api/v2/filter/custom-filters");
  REQUIRE(filters["filters"].size() == 2);
  CHECK(filters["filters"][1]["name"] == "_NotBillable_");
  const json nb = emu.get("/api/v2/account/devices?filterId=9002");
  REQUIRE(nb["devices"].size() == 1);
  CHECK(nb["devices"][0]["uid"] == "dev-106");
  emu.get("/api/v2/account/devices?filterId=1", 404);
  CHECK(emu.get("/api/v2/account/devices")["pageDetails"]["totalCount"] == 11);
}

TEST_CASE("the account's rolling rate limit answers 429 and request_rate counts") {
  SeedFile tiny(json{{"rate_limit", {{"limit", 10}, {"window_seconds", 2}, {"delay_ms", 0}}}});
  Emulator emu(tiny.path());
  const std::string bearer = emu.bearer();
  const json rate = emu.get("/api/v2/system/request_rate", 200, bearer);
  CHECK(rate["accountRateLimit"] == 10);
  CHECK(rate["slidingTimeWindowSizeSeconds"] == 2);
  CHECK(rate["accountCount"] == 1);  // this call itself
  for (int i = 0; i < 9; ++i) emu.get("/api/v2/account", 200, bearer);
  const json limited = emu.get("/api/v2/account", 429, bearer);
  CHECK(limited["error"] == "Too Many Requests");
  auto control = emu.client();
  const json state = json::parse(control.Get("/_emulator/state")->body);
  CHECK(state["rate"]["refused"] == 1);
  CHECK(state["rate"]["delayed"] == 1);  // the tenth met 9 of 10: 90 %
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  emu.get("/api/v2/account", 200, bearer);
}

TEST_CASE("faults and the request log come from the kit, with secrets kept out") {
  Emulator emu;
  auto c = emu.client();
  auto added = c.Post("/_emulator/faults", R"({"kind": "429", "path_prefix": "/api/v2/account"})",
                      "application/json");
  REQUIRE(added);
  CHECK(added->status == 201);
  const std::string bearer = emu.bearer();
  emu.get("/api/v2/account", 429, bearer);
  emu.get("/api/v2/account", 200, bearer);
  const json log = json::parse(c.Get("/_emulator/requests")->body);
  REQUIRE(log.size() == 3);
  CHECK(log[0]["query"].dump().find("emu-secret-4711") == std::string::npos);
  CHECK(log[1]["fault"] == "429");
  CHECK(log[1]["headers"]["Authorization"] == "Bearer REDACTED");
}
