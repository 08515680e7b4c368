// The billing path end to end into ConnectWise: CSV usage through file-drop, mapped, planned and
// synced by the real host into emulator-connectwise over loopback HTTP.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <map>

#include "cw_setup.hpp"

using nlohmann::json;

TEST_CASE("usage is synced into ConnectWise additions once, a change is one update") {
  CwSetup s("cw-sync");
  s.usage(
      "2026-10-01,t-1,Acme Manufacturing,EP,Endpoint,seats,12\n"
      "2026-10-01,t-2,Blue River Dental Group,EP,Endpoint,seats,7\n"
      "2026-10-01,t-3,Cedar and Finch Law,EP,Endpoint,seats,3\n");
  REQUIRE(s.run({"collect", "--date", "2026-10-01"}).exit_code == 0);
  REQUIRE(s.run({"discover"}).exit_code == 0);
  REQUIRE(s.run({"map", "customer", "drop", "t-1", "250"}).exit_code == 0);
  REQUIRE(s.run({"map", "customer", "drop", "t-2", "251"}).exit_code == 0);
  REQUIRE(s.run({"map", "customer", "drop", "t-3", "252"}).exit_code == 0);  // 2 agreements
  REQUIRE(s.run({"map", "product", "drop", "EP", "EDR-SEAT"}).exit_code == 0);

  json dry = s.run_json({"sync", "--period", "2026-10", "--dry-run"});
  CHECK(s.writes() == 0);
  json first = s.run_json({"sync", "--period", "2026-10"});
  std::map<std::string, std::string> action;
  for (const auto& l : sync_lines(first)) action[l["company"]] = l["action"];
  CHECK(action["250"] == "create");
  CHECK(action["251"] == "create");
  CHECK(action["252"] == "error");  // ambiguous target: refused, nothing written
  CHECK(s.writes() == 2);
  CHECK(s.addition_of("EDR-SEAT", 500)["quantity"] == 12);
  // The manual addition 9001 on the same agreement is untouched.
  json state = s.emulator_get("/_emulator/state");
  for (const auto& a : state["additions"]) {
    if (a["id"] == 9001) CHECK(a["quantity"] == s.seed["additions"][0]["quantity"]);
  }

  json second = s.run_json({"sync", "--period", "2026-10"});
  CHECK(s.writes() == 2);  // no write call at all
  for (const auto& l : sync_lines(second)) {
    if (l["company"] != "252") CHECK(l["action"] == "none");
  }

  s.usage(
      "2026-10-01,t-1,Acme Manufacturing,EP,Endpoint,seats,12\n"
      "2026-10-01,t-2,Blue River Dental Group,EP,Endpoint,seats,7\n"
      "2026-10-02,t-1,Acme Manufacturing,EP,Endpoint,seats,15\n");
  REQUIRE(s.run({"collect", "--date", "2026-10-02"}).exit_code == 0);
  json third = s.run_json({"sync", "--period", "2026-10"});
  CHECK(s.writes() == 3);  // exactly one PATCH
  CHECK(s.addition_of("EDR-SEAT", 500)["quantity"] == 15);
}

TEST_CASE("a wrong private key is a clear error naming the instance, never the key") {
  CwSetup s("cw-wrong-key");
  const std::string wrong = "wrong-private-key-0815";
  auto r = s.run({"plugins", "check", "--instance", "cw"}, wrong);
  CHECK(r.exit_code == 1);
  CHECK((r.out + r.err).find("cw") != std::string::npos);
  CHECK((r.out + r.err).find(wrong) == std::string::npos);
}

TEST_CASE("sync collects the period's last day when missing, send-now takes one customer") {
  CwSetup s("cw-send-now");
  s.usage(
      "2026-10-31,t-1,Acme Manufacturing,EP,Endpoint,seats,12\n"
      "2026-10-31,t-2,Blue River Dental Group,EP,Endpoint,seats,7\n");
  REQUIRE(s.run({"discover"}).exit_code == 0);
  REQUIRE(s.run({"map", "customer", "drop", "t-1", "250"}).exit_code == 0);
  REQUIRE(s.run({"map", "customer", "drop", "t-2", "251"}).exit_code == 0);
  REQUIRE(s.run({"map", "product", "drop", "EP", "EDR-SEAT"}).exit_code == 0);

  // Nothing collected yet: --no-collect and --dry-run plan an empty period and write nothing.
  json none = s.run_json({"send-now", "--period", "2026-10", "--no-collect", "--dry-run"});
  CHECK(sync_lines(none).empty());
  CHECK(none["collected"].empty());

  // send-now for one vendor customer collects the missing day, then writes that customer only.
  json one = s.run_json({"send-now", "--period", "2026-10", "--customer", "t-1"});
  REQUIRE(one["collected"].size() == 1);
  CHECK(one["collected"][0]["date"] == "2026-10-31");
  CHECK(one["collected"][0]["records"] == 2);
  REQUIRE(sync_lines(one).size() == 1);
  CHECK(sync_lines(one)[0]["company"] == "250");
  CHECK(s.addition_of("EDR-SEAT", 500)["quantity"] == 12);
  CHECK(s.addition_of("EDR-SEAT", 502).is_null());
  CHECK(s.writes() == 1);

  // The day is stored now: a full sync collects nothing and writes only the other company.
  json all = s.run_json({"sync", "--period", "2026-10"});
  CHECK(all["collected"].empty());
  CHECK(all["writes"] == 1);
  CHECK(s.addition_of("EDR-SEAT", 502)["quantity"] == 7);

  auto unknown = s.run({"send-now", "--period", "2026-10", "--customer", "t-404"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("t-404") != std::string::npos);
  CHECK(s.writes() == 2);
}

TEST_CASE("psa verify, agreements and catalog ask ConnectWise through the sink") {
  CwSetup s("cw-psa-ops");
  auto ok = s.run({"psa", "verify", "250"});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("Acme Manufacturing Inc.") != std::string::npos);
  auto missing = s.run({"psa", "verify", "9999"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.find("does not exist") != std::string::npos);

  json acme = s.run_json({"psa", "agreements", "250"});
  std::map<int, bool> is_default;
  for (const auto& a : acme["agreements"]) is_default[a["id"]] = a["default"];
  CHECK(is_default == std::map<int, bool>{{500, true}, {501, false}});  // 501 is Block Time
  json cedar = s.run_json({"psa", "agreements", "252"});  // two Managed Service: no default
  REQUIRE(cedar["agreements"].size() == 2);
  for (const auto& a : cedar["agreements"]) CHECK(a["default"] == false);

  json found = s.run_json({"psa", "catalog", "search", "edr"});
  REQUIRE(found["items"].size() == 1);
  CHECK(found["items"][0]["identifier"] == "EDR-SEAT");
  CHECK(s.run({"psa", "catalog", "search", "e"}).exit_code == 2);  // two characters at least

  const int writes = s.writes();
  json added = s.run_json({"psa", "catalog", "add", "PHISH-USER", "Phishing simulation", "--price",
                           "1.5", "--set", "subcategory={\"id\": 6}", "--set", "type={\"id\": 4}"});
  CHECK(added["identifier"] == "PHISH-USER");
  auto dup = s.run({"psa", "catalog", "add", "PHISH-USER", "Again", "--price", "1", "--set",
                    "subcategory={\"id\": 6}", "--set", "type={\"id\": 4}"});
  CHECK(dup.exit_code == 2);
  CHECK(dup.err.find("already exists") != std::string::npos);
  json edited = s.run_json(
      {"psa", "catalog", "edit", std::to_string(added["id"].get<int>()), "--price", "1.75"});
  CHECK(edited["price"] == 1.75);
  CHECK(s.writes() == writes + 3);  // the refused POST was sent once and answered 400
  bool seen = false;
  const json state = s.emulator_get("/_emulator/state");
  for (const auto& item : state["catalog"]) {
    if (item["identifier"] == "PHISH-USER") seen = item["price"] == 1.75;
  }
  CHECK(seen);
}

TEST_CASE("a second sync on the same store is refused while one runs") {
  CwSetup s("cw-lock");
  s.usage("2026-10-31,t-1,Acme Manufacturing,EP,Endpoint,seats,12\n");
  REQUIRE(s.run({"discover"}).exit_code == 0);
  REQUIRE(s.run({"map", "customer", "drop", "t-1", "250"}).exit_code == 0);
  REQUIRE(s.run({"map", "product", "drop", "EP", "EDR-SEAT"}).exit_code == 0);

  // Hold the lock as a running sync would.
  const auto lock_file = s.dir / "data" / "billing.sqlite3.lock";
  int fd = open(lock_file.c_str(), O_RDWR | O_CREAT, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(flock(fd, LOCK_EX) == 0);
  const std::string note = "pid 4242 (meterbridge sync)\n";
  REQUIRE(write(fd, note.data(), note.size()) == static_cast<ssize_t>(note.size()));
  auto busy = s.run({"send-now", "--period", "2026-10"});
  CHECK(busy.exit_code == 1);
  CHECK(busy.err.find("being synced by pid 4242 (meterbridge sync)") != std::string::npos);
  CHECK(s.writes() == 0);
  CHECK(s.run({"sync", "--period", "2026-10", "--dry-run"}).exit_code == 0);  // reads only

  close(fd);  // the "other sync" ends
  CHECK(s.run({"sync", "--period", "2026-10"}).exit_code == 0);
  CHECK(s.writes() == 1);
}
