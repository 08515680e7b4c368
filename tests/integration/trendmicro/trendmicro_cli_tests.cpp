// The trendmicro-rm plugin in the real host against emulator-trendmicro over loopback HTTP: the
// operator's commands, paging over more than 100 customers in batches of 20, the host clock in
// the signature, wrong credentials, and the detections operation.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/calendar.hpp"
#include "sandbox/trendmicro_demo_data.hpp"
#include "trendmicro_setup.hpp"

using nlohmann::json;

namespace {

const std::string kCustomers = "/SMPI/v2.8/service/wfbss/api/customers";
const std::string kUsage = "/SMPI/v2.8/service/wfbss/api/customers/usage";
const std::string kBirch = "4b2c7f30-1a5e-4c1e-9f0a-000000000002";
const std::string kCedar = "4b2c7f30-1a5e-4c1e-9f0a-000000000003";
const std::string kDogwood = "4b2c7f30-1a5e-4c1e-9f0a-000000000004";

std::string id(int n) {
  return "4b2c7f30-1a5e-4c1e-9f0a-00000000000" + std::to_string(n);
}

int64_t real_now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("check, discover and collect seats per customer and product into the store") {
  TrendMicroSetup s("tm-collect");
  auto check = s.run({"plugins", "check", "--format", "json"});
  INFO(check.err);
  REQUIRE(check.exit_code == 0);
  CHECK(json::parse(check.out)[0]["status"] == "ok");

  auto discover = s.run({"discover", "--format", "json"});
  INFO(discover.err);
  REQUIRE(discover.exit_code == 0);
  CHECK(json::parse(discover.out)[0]["customers"] == 5);

  // The records themselves, as the plugin answers them.
  auto raw =
      s.run({"plugins", "call", "trendmicro", "collect", "--request", R"({"date": "2026-12-02"})"});
  INFO(raw.err);
  REQUIRE(raw.exit_code == 0);
  std::map<std::pair<std::string, std::string>, double> got;
  const json records = json::parse(raw.out)["records"];
  for (const auto& r : records) {
    got[{r["customer_id"], r["sku"]}] = r["quantity"];
    CHECK(r["metric"] == "seats");
    if (r["customer_id"] == kBirch) CHECK(r["customer_name"] == "Birch Legal LLP");
    if (r["sku"] == "HES") CHECK(r["product_name"] == "Hosted Email Security");
  }
  const std::map<std::pair<std::string, std::string>, double> expected = {
      {{id(1), "WFBSS"}, 27},     {{kBirch, "WFBS-ADV"}, 38},   {{kBirch, "HES"}, 44},
      {{kCedar, "WFBS-STD"}, 96}, {{kCedar, "TMEMS-ADV"}, 112}, {{kDogwood, "TMEMS-STD"}, 8},
      {{id(5), "WFBSS"}, 0},  // licensed, no seats in use: a known zero
  };
  CHECK(got == expected);

  auto collect = s.run({"collect", "--format", "json"});
  INFO(collect.err);
  REQUIRE(collect.exit_code == 0);
  json day = json::parse(collect.out)["days"][0];
  CHECK(day["ok"] == true);
  CHECK(day["records"] == expected.size());

  // The records' customer id and name map the customer to a company.
  REQUIRE(s.run({"psa", "add-company", "101", "Birch Legal"}).exit_code == 0);
  auto map = s.run({"map", "customer", "trendmicro", kBirch, "101"});
  INFO(map.err);
  CHECK(map.exit_code == 0);
  CHECK(map.out.find("Birch Legal LLP") != std::string::npos);

  // Every call is signed with a fresh trace id.
  const json calls = s.control.requests_to("/");
  std::set<std::string> traces;
  for (const auto& c : calls) {
    CHECK(c["headers"]["content-type"] == "application/json; charset=utf-8");
    CHECK(c["status"] == 200);
    traces.insert(c["headers"]["x-traceid"].get<std::string>());
  }
  CHECK(traces.size() == calls.size());
  CHECK_FALSE(s.leaks(check));
  CHECK_FALSE(s.leaks(collect));
  CHECK_FALSE(s.leaks(raw));

  // A past day is not answered with today's counts.
  auto past = s.run({"collect", "--date", "2026-01-15", "--format", "json"});
  CHECK((past.out + past.err).find("current counts") != std::string::npos);
}

TEST_CASE("250 customers: three pages of 100, usage asked 20 ids at a time") {
  TrendMicroSetup s("tm-paging", {{"customers", generated_customers(250)}});
  auto collect = s.run({"collect", "--format", "json"});
  INFO(collect.err);
  REQUIRE(collect.exit_code == 0);
  CHECK(json::parse(collect.out)["days"][0]["records"] == 250);

  const json pages = s.control.requests_to(kCustomers + "?");
  std::set<std::string> seen_pages;
  size_t listing = 0;
  for (const auto& c : s.control.requests_to(kCustomers)) {
    if (c["path"] != kCustomers) continue;
    ++listing;
    CHECK(c["query"]["limit"] == "100");
    seen_pages.insert(c["query"]["page"].get<std::string>());
  }
  CHECK(listing == 3);
  CHECK(seen_pages == std::set<std::string>{"1", "2", "3"});
  const json usage = s.control.requests_to(kUsage);
  CHECK(usage.size() == 13);  // 12 batches of 20, one of 10
  std::set<std::string> asked;
  for (const auto& c : usage) {
    std::string cids = c["query"]["cids"];
    size_t n = 1;
    for (char ch : cids) n += ch == ',' ? 1 : 0;
    CHECK(n <= 20);
    size_t from = 0;
    while (from <= cids.size()) {
      size_t comma = cids.find(',', from);
      if (comma == std::string::npos) comma = cids.size();
      asked.insert(cids.substr(from, comma - from));
      from = comma + 1;
    }
  }
  CHECK(asked.size() == 250);
}

TEST_CASE("the signature uses the host clock: a test clock far off is refused as clock skew") {
  TrendMicroSetup s("tm-clock");
  s.allow_test_clock();
  auto check =
      s.run({"plugins", "check"}, s.secret(), {"METERBRIDGE_TEST_CLOCK=2026-06-01T00:00:00Z"});
  CHECK(check.exit_code == 1);
  const std::string all = check.out + check.err;
  CHECK(all.find("AuthenticationFailurePosixTime") != std::string::npos);
  CHECK(all.find("the host clock differs from Trend Micro's by more than 15 minutes") !=
        std::string::npos);
  CHECK_FALSE(s.leaks(check));
}

TEST_CASE("an emulator clock set to the host's test clock accepts the test clock's time") {
  // The emulator's clock runs at the test clock's time: the host's test clock is what is signed.
  const int64_t offset = 1780272000 /* 2026-06-01T00:00:00Z */ - real_now_s();
  TrendMicroSetup s("tm-clock-offset", {{"clock_offset_seconds", offset}});
  s.allow_test_clock();
  auto check = s.run({"plugins", "check", "--format", "json"}, s.secret(),
                     {"METERBRIDGE_TEST_CLOCK=2026-06-01T00:00:00Z"});
  INFO(check.err);
  REQUIRE(check.exit_code == 0);
  CHECK(json::parse(check.out)[0]["status"] == "ok");
  // Without the test clock the real time is now the skewed one.
  auto skewed = s.run({"plugins", "check"});
  CHECK(skewed.exit_code == 1);
  CHECK((skewed.out + skewed.err).find("more than 15 minutes") != std::string::npos);
}

TEST_CASE("a wrong secret key is a signature refusal naming the instance and never a secret") {
  TrendMicroSetup s("tm-wrong-secret");
  const std::string wrong = "not-the-secret-4711";
  auto check = s.run({"plugins", "check"}, wrong);
  CHECK(check.exit_code == 1);
  const std::string all = check.out + check.err;
  CHECK(all.find("trendmicro") != std::string::npos);
  CHECK(all.find("AuthenticationFailureSignature") != std::string::npos);
  CHECK(all.find("check access_token and secret_key") != std::string::npos);
  CHECK(all.find(wrong) == std::string::npos);
  auto collect = s.run({"collect"}, wrong);
  CHECK(collect.exit_code == 1);
  CHECK(collect.err.find("instance 'trendmicro'") != std::string::npos);
  CHECK(collect.err.find(wrong) == std::string::npos);
}

TEST_CASE("detections: email products per customer over inclusive days") {
  TrendMicroSetup s("tm-detections");
  auto r = s.run({"plugins", "call", "trendmicro", "detections", "--request",
                  R"({"from": "2026-11-01", "to": "2026-11-30"})"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json answer = json::parse(r.out);
  CHECK(answer["schema"] == "detections.v1");
  CHECK(answer["from"] == "2026-11-01");
  CHECK(answer["to"] == "2026-11-30");
  // Alder and Elm hold Worry-Free only: left out.
  REQUIRE(answer["customers"].size() == 3);
  const json birch = answer["customers"][0];
  CHECK(birch["customer_id"] == kBirch);
  CHECK(birch["customer_name"] == "Birch Legal LLP");
  REQUIRE(birch["products"].size() == 1);
  CHECK(birch["products"][0] == json{{"sku", "HES"},
                                     {"name", "Hosted Email Security"},
                                     {"spam", 218},
                                     {"phishing", 6},
                                     {"malware", 1},
                                     {"blocked", 55},
                                     {"total_messages", 4500}});
  CHECK(answer["customers"][1]["products"][0]["sku"] == "TMEMS-ADV");
  CHECK(answer["customers"][1]["products"][0]["spam"] == 580);
  CHECK(answer["customers"][2]["products"][0]["name"] == "Trend Micro Email Security Standard");

  // One day, inclusive at both ends.
  auto one = s.run({"plugins", "call", "trendmicro", "detections", "--request",
                    R"({"from": "2026-12-01", "to": "2026-12-01"})"});
  REQUIRE(one.exit_code == 0);
  const json day = json::parse(one.out);
  CHECK(day["customers"][0]["products"][0]["spam"] == 77);
  CHECK(day["customers"][1]["products"][0]["spam"] == 0);  // held, nothing that day

  for (const char* bad : {R"({"from": "2026-11-30", "to": "2026-11-01"})",
                          R"({"from": "2026-02-30", "to": "2026-03-01"})",
                          R"({"from": "2026-11-01"})", R"({"from": "1.11.2026", "to": "x"})"}) {
    auto refused = s.run({"plugins", "call", "trendmicro", "detections", "--request", bad});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("invalid-argument") != std::string::npos);
  }
}

TEST_CASE("the sandbox's Trend Micro demo seed collects and answers detections") {
  using namespace meterbridge::host;
  const engine::Day today = *engine::parse_iso_date("2026-12-02");
  const sandbox::TrendMicroDemo demo = sandbox::make_trendmicro_demo(today);
  CHECK(demo.seed == sandbox::make_trendmicro_demo(today).seed);  // deterministic
  TrendMicroSetup s("tm-demo", demo.seed);
  auto raw =
      s.run({"plugins", "call", "trendmicro", "collect", "--request", R"({"date": "2026-12-02"})"});
  INFO(raw.err);
  REQUIRE(raw.exit_code == 0);
  const json records = json::parse(raw.out)["records"];
  CHECK(records.size() == 8);  // one per licence of the six customers
  std::set<std::string> skus;
  for (const auto& r : records) skus.insert(r["sku"].get<std::string>());
  CHECK(skus ==
        std::set<std::string>{"HES", "TMEMS-ADV", "TMEMS-STD", "WFBS-ADV", "WFBS-STD", "WFBSS"});

  auto det = s.run({"plugins", "call", "trendmicro", "detections", "--request",
                    R"({"from": "2026-09-02", "to": "2026-12-02"})"});
  INFO(det.err);
  REQUIRE(det.exit_code == 0);
  const json customers = json::parse(det.out)["customers"];
  CHECK(static_cast<int64_t>(customers.size()) == demo.email_customers);
  for (const auto& c : customers) {
    for (const auto& p : c["products"]) {
      CHECK(p["total_messages"].get<int64_t>() > 0);
      CHECK(p["spam"].get<int64_t>() > 0);
    }
  }
}
