// The operator's setup commands against Autotask through the real host: Verify, the contracts
// with their default, the service catalog (search, add, edit), a contract assigned per company
// (`psa target`) and adopting a contract service someone else created (`psa adopt`).
#include "at_bed.hpp"

using nlohmann::json;

TEST_CASE("psa verify, contracts and catalog search, add and edit") {
  AtBed s("at-setup", AtSeed::example());
  ProcessResult verify = s.run({"psa", "verify", "102"});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK(verify.out.find("Fabrikam Inc") != std::string::npos);
  CHECK(s.run({"psa", "verify", "999"}).exit_code == 1);

  const json contracts = s.run_json({"psa", "contracts", "102"});
  REQUIRE(contracts["contracts"].size() == 2u);
  for (const auto& c : contracts["contracts"]) CHECK(c["default"] == false);  // two: no default

  const json found = s.run_json({"psa", "catalog", "search", "datto"});
  REQUIRE(found["items"].size() == 1u);
  CHECK(found["items"][0]["id"] == 301);

  const json added =
      s.run_json({"psa", "catalog", "add", "Phishing simulation - Users", "--price", "1.5", "--set",
                  "billingCodeID=29682801", "--set", "periodType=\"m\""});
  INFO(added.dump());
  const int id = added["id"];
  const json edited = s.run_json({"psa", "catalog", "edit", std::to_string(id), "--price", "1.75"});
  CHECK(edited["price"] == 1.75);
  // Read back from Autotask by a search: the new service with its new price.
  const json again = s.run_json({"psa", "catalog", "search", "Phishing"});
  REQUIRE(again["items"].size() == 1u);
  CHECK(again["items"][0]["id"] == id);
  CHECK(again["items"][0]["price"] == 1.75);
}

TEST_CASE("psa target picks one of two contracts, psa adopt lets meterbridge adjust a service") {
  AtBed s("at-target", AtSeed::example());
  s.map_customers(
      "2026-11-30,t-1,Contoso,RMM,Datto RMM,devices,30\n"
      "2026-11-30,t-1,Contoso,CMU,Compliance,users,12\n"
      "2026-11-30,t-2,Fabrikam,CMU,Compliance,users,9\n");
  // Fabrikam has two contracts; Contoso's 301 is contract service 401, entered by hand.
  auto lines = at_lines(s.run_json({"sync", "--period", "2026-11", "--no-collect"}));
  CHECK(lines["102/302"]["action"] == "error");
  CHECK(lines["101/301"]["action"] == "error");
  CHECK(s.units(201, 301) == 12);  // 10 seeded + 2 adjusted in March, untouched

  REQUIRE(s.run({"psa", "target", "102", "--contract", "202"}).exit_code == 0);
  ProcessResult wrong = s.run({"psa", "target", "101", "--contract", "203"});  // Fabrikam's
  REQUIRE(wrong.exit_code == 0);
  ProcessResult adopt = s.run({"psa", "adopt", "101", "301"});
  INFO(adopt.out << adopt.err);
  CHECK(adopt.exit_code != 0);  // 101's target is now 203, which is not Contoso's
  CHECK((adopt.out + adopt.err).find("belongs to company 102") != std::string::npos);

  REQUIRE(s.run({"psa", "target", "101", "--clear"}).exit_code == 0);
  adopt = s.run({"psa", "adopt", "101", "301"});
  INFO(adopt.out << adopt.err);
  CHECK(adopt.exit_code == 0);
  CHECK(adopt.out.find("201/401") != std::string::npos);

  const json after = s.run_json({"sync", "--period", "2026-11", "--no-collect"});
  INFO(after.dump(2));
  lines = at_lines(after);
  CHECK(lines["102/302"]["action"] == "create");  // on 202, the assigned contract
  CHECK(s.units(202, 302) == 9);
  CHECK(s.units(203, 302) == 7);  // Fabrikam's other contract untouched
  CHECK(lines["101/301"]["action"] == "update");
  CHECK(s.units(201, 301) == 30);
}
