// The operator's target agreement for a company (`meterbridge psa target`, the line's
// "target"): used whatever its type when it is the company's and active, else an error line
// that says why, and nothing written.
#include "cw_test_fixture.hpp"

namespace {
json with_target(json l, const std::string& target) {
  l["target"] = target;
  return l;
}
}  // namespace

TEST_CASE_METHOD(Fixture, "a target agreement of the company is used, whatever its type") {
  create();
  // Company 2 has two active Managed Service agreements: without a target that is an error.
  json r = read_one(with_target(line("k", "2", "AV-SEAT"), "201"));
  CHECK_FALSE(r.contains("error"));
  CHECK(r["ref"] == "201/");
  json a = apply_one(want(with_target(line("k", "2", "AV-SEAT"), "201"), 5));
  CHECK(a["action"] == "create");
  REQUIRE(emu.writes.size() == 1);
  CHECK(emu.writes[0].url.find("/finance/agreements/201/additions") != std::string::npos);
  // A Block Time agreement is not of the configured type, but the operator named it; its owned
  // additions are read as on any target.
  emu.additions[101].push_back(addition(600, "AV-SEAT", 3, "[meterbridge] Managed AV"));
  json held = read_one(with_target(line("k", "1", "AV-SEAT"), "101"));
  CHECK(held["ref"] == "101/600");
  CHECK(held["quantity"] == 3);
}

TEST_CASE_METHOD(Fixture, "a target agreement that does not fit is an error line naming why") {
  create();
  auto error_of = [&](const std::string& target) {
    return read_one(with_target(line("k", "1", "AV-SEAT"), target)).value("error", "");
  };
  CHECK(error_of("102").find("agreement 102 (the target set for company 1 with `meterbridge psa "
                             "target`) is not active (status 'Cancelled')") != std::string::npos);
  CHECK(error_of("200").find("belongs to company 2, not 1") != std::string::npos);
  CHECK(error_of("999").find("agreement 999 (the target set for company 1") != std::string::npos);
  CHECK(error_of("999").find("does not exist") != std::string::npos);
  CHECK(error_of("abc").find("is not a ConnectWise agreement id") != std::string::npos);
  json a = apply_one(want(with_target(line("k", "1", "AV-SEAT"), "200"), 5));
  CHECK(a["action"] == "error");
  CHECK(a["message"].get<std::string>().find("belongs to company 2") != std::string::npos);
  CHECK(emu.writes.empty());
}
