// The sophos-central plugin in the real host against emulator-sophos over loopback HTTP: the
// operator's commands (check, discover, collect) and a wrong secret.
#include <catch2/catch.hpp>

#include <set>

#include <nlohmann/json.hpp>

#include "sophos_setup.hpp"

using nlohmann::json;

TEST_CASE("check, discover and collect a month of Sophos usage into the store") {
  SophosSetup s("sophos-collect");
  auto check = s.run({"plugins", "check", "--format", "json"}, s.secret());
  INFO(check.err);
  REQUIRE(check.exit_code == 0);
  CHECK(json::parse(check.out)[0]["status"] == "ok");

  auto discover = s.run({"discover", "--format", "json"}, s.secret());
  REQUIRE(discover.exit_code == 0);
  CHECK(json::parse(discover.out)[0]["customers"] == s.seed["tenants"].size());

  auto collect = s.run({"collect", "--date", "2026-10-15", "--format", "json"}, s.secret());
  INFO(collect.err);
  REQUIRE(collect.exit_code == 0);
  std::set<std::pair<std::string, std::string>> expected;
  for (const auto& item : s.seed["usage"]["2026-10"]) {
    expected.insert({item["accountId"].get<std::string>(), item["sku"].get<std::string>()});
  }
  json day = json::parse(collect.out)["days"][0];
  CHECK(day["ok"] == true);
  CHECK(day["records"] == expected.size());
  // Collecting again stores the same state.
  auto again = s.run({"collect", "--date", "2026-10-15", "--format", "json"}, s.secret());
  CHECK(json::parse(again.out)["days"][0]["unchanged"] == expected.size());
  // A month the emulator has no data for is an empty day, not an error.
  auto empty = s.run({"collect", "--date", "2026-03-01", "--format", "json"}, s.secret());
  REQUIRE(empty.exit_code == 0);
  CHECK(json::parse(empty.out)["days"][0]["records"] == 0);
  auto secret_in = [&](const ProcessResult& r) {
    return r.out.find(s.secret()) != std::string::npos ||
           r.err.find(s.secret()) != std::string::npos;
  };
  CHECK_FALSE(secret_in(check));
  CHECK_FALSE(secret_in(collect));
}

TEST_CASE("a wrong secret is a clear failure naming the instance and never the secret") {
  SophosSetup s("sophos-wrong-secret");
  const std::string wrong = "not-the-secret-4711";
  auto check = s.run({"plugins", "check"}, wrong);
  CHECK(check.exit_code == 1);
  CHECK((check.out + check.err).find("sophos") != std::string::npos);
  CHECK((check.out + check.err).find("oauth.invalid_client_secret") != std::string::npos);
  CHECK((check.out + check.err).find(wrong) == std::string::npos);
  auto collect = s.run({"collect", "--date", "2026-10-15"}, wrong);
  CHECK(collect.exit_code == 1);
  CHECK(collect.err.find("instance 'sophos'") != std::string::npos);
  CHECK(collect.err.find(wrong) == std::string::npos);
}
