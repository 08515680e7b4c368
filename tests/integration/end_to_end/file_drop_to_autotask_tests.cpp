// CSV usage billed into Autotask contract services by the real host: emulator-autotask on
// loopback with its example seed, file-drop and the autotask sink. check, discover, map, a sync
// that creates three contract services through adjustments, a second sync that writes nothing,
// and an increase that posts one signed adjustment of the difference.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "../autotask/at_bed.hpp"

using nlohmann::json;

namespace {

// The POST, PUT, PATCH and DELETE calls among the Autotask API calls, queries aside (a query is
// a POST that changes nothing).
std::vector<std::string> api_writes(const json& requests) {
  std::vector<std::string> out;
  for (const auto& r : requests) {
    const std::string path = r["path"];
    if (r["method"] != "GET" && path.find("/query") == std::string::npos)
      out.push_back(r["method"].get<std::string>() + " " + r["path"].get<std::string>());
  }
  return out;
}

}  // namespace

TEST_CASE("file-drop usage is billed into Autotask contract services, once") {
  // Fabrikam (102) has two active Recurring Service contracts; category 1 picks 202 (and
  // Contoso's 201). Contoso's 401 (service 301) and 402 (303) and Fabrikam's 403 (301) were
  // added by others, so the usage goes to services not yet on those contracts.
  AtBed bed("e2e-autotask", AtSeed::example());
  bed.extra_settings = {{"contract_category", 1}};
  bed.write_config();
  bed.usage(
      "2026-10-31,t-1,Contoso,CM,Compliance Manager,users,12\n"
      "2026-10-31,t-2,Fabrikam,CM,Compliance Manager,users,7\n"
      "2026-10-31,t-2,Fabrikam,BK,Backup Appliance,devices,3\n");

  const json check = bed.run_json({"plugins", "check"});
  for (const auto& c : check) {
    INFO(c.dump());
    CHECK(c["status"] == "ok");
  }
  REQUIRE(bed.run({"collect", "--date", "2026-10-31"}).exit_code == 0);
  REQUIRE(bed.run({"discover"}).exit_code == 0);
  REQUIRE(bed.run({"map", "customer", "drop", "t-1", "101"}).exit_code == 0);
  REQUIRE(bed.run({"map", "customer", "drop", "t-2", "102"}).exit_code == 0);
  for (const auto& [sku, service] : {std::pair{"CM", "302"}, {"BK", "303"}}) {
    REQUIRE(bed.run({"map", "product", "drop", sku, service, "--tracking", "monthly", "--method",
                     "last"})
                .exit_code == 0);
  }
  bed.control.clear_log();

  // The first sync creates the three contract services through their adjustments.
  const json first = bed.run_json({"sync", "--period", "2026-10", "--no-collect"});
  INFO(first.dump());
  CHECK(first["writes"] == 3);
  CHECK(bed.units(201, 302, "2026-10") == 12);
  CHECK(bed.units(202, 302, "2026-10") == 7);
  CHECK(bed.units(202, 303, "2026-10") == 3);
  // Nothing written to the contract that category 1 leaves out, nor to what others added.
  CHECK(bed.units(203, 302, "2026-10") == 7);  // 404's seeded units, untouched
  CHECK(bed.units(201, 301, "2026-10") == 12);
  CHECK(bed.units(201, 303, "2026-10") == 2);
  CHECK(bed.units(202, 301, "2026-10") == 5);
  const json requests = bed.api_requests();
  CHECK(api_writes(requests).size() == 3);
  // Every call but the zone lookup carried the integration code and the user; the emulator
  // never logs the Secret, and it is in no request's path or query either.
  for (const auto& r : requests) {
    INFO(r.dump());
    CHECK(r.dump().find(bed.secret()) == std::string::npos);
    std::string path = r["path"];
    if (path.find("zoneInformation") != std::string::npos ||
        path.find("zoneinformation") != std::string::npos)
      continue;
    CHECK(r["headers"]["ApiIntegrationCode"] == bed.user()["apiIntegrationCode"]);
    CHECK(r["headers"]["UserName"] == bed.user()["userName"]);
    CHECK(r["status"] == 200);
  }

  // Nothing changed: no write at all.
  bed.control.clear_log();
  const json second = bed.run_json({"sync", "--period", "2026-10", "--no-collect"});
  INFO(second.dump());
  CHECK(second["writes"] == 0);
  CHECK(api_writes(bed.api_requests()).empty());
  for (const auto& s : second["sinks"]) {
    for (const auto& l : s["lines"]) CHECK(l["action"] == "none");
  }
  CHECK(bed.units(201, 302, "2026-10") == 12);

  // Contoso's users go up to 15: one adjustment of +3, nothing else.
  bed.usage(
      "2026-10-31,t-1,Contoso,CM,Compliance Manager,users,15\n"
      "2026-10-31,t-2,Fabrikam,CM,Compliance Manager,users,7\n"
      "2026-10-31,t-2,Fabrikam,BK,Backup Appliance,devices,3\n");
  REQUIRE(bed.run({"collect", "--date", "2026-10-31"}).exit_code == 0);
  bed.control.clear_log();
  const json third = bed.run_json({"sync", "--period", "2026-10", "--no-collect"});
  INFO(third.dump());
  CHECK(third["writes"] == 1);
  CHECK(api_writes(bed.api_requests()).size() == 1);
  CHECK(bed.units(201, 302, "2026-10") == 15);
  CHECK(bed.units(202, 302, "2026-10") == 7);
  const json state = bed.control.state();
  // One adjustment per write: +12 to create, +3 for the increase, never one twice.
  std::multiset<long long> signed_changes;
  for (const auto& a : state["adjustments"]) {
    if (a["contractID"] == 201 && a["serviceID"] == 302)
      signed_changes.insert(a["unitChange"].get<long long>());
  }
  CHECK(signed_changes == std::multiset<long long>{12, 3});
}
