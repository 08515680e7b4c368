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
  std::map<std::string, bool> is_default;
  for (const auto& a : acme["agreements"]) is_default[a["id"]] = a["default"];
  CHECK(is_default ==
        std::map<std::string, bool>{{"500", true}, {"501", false}});  // 501: Block Time
  CHECK(acme["from"] == "psa");
  CHECK(s.run_json({"psa", "agreements", "250"})["from"] == "store");
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

TEST_CASE("usage gone is held until approved, then cancelled with a date, never set to zero") {
  CwSetup s("cw-cancel");
  s.map_three_customers();
  // Billed by month, as a vendor's monthly usage is: one collection covers the month.
  REQUIRE(s.run({"map", "product", "drop", "EP", "EDR-SEAT", "--tracking", "monthly", "--method",
                 "last"})
              .exit_code == 0);
  REQUIRE(s.run({"sync", "--period", "2026-10", "--no-collect"}).exit_code == 0);
  const json created = s.addition_of("EDR-SEAT", 500);
  REQUIRE(created["quantity"] == 12);

  // Acme's seats disappear from the month's usage (the vendor lists only what is used): the line
  // is planned at 0, and a drop to zero waits for a person.
  s.usage(
      "2026-10-31,t-2,Blue River Dental Group,EP,Endpoint,seats,7\n"
      "2026-10-31,t-4,Delta Dental,EP,Endpoint,seats,5\n");
  REQUIRE(s.run({"collect", "--date", "2026-10-31"}).exit_code == 0);
  const int writes = s.writes();
  json held = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  std::map<std::string, json> line;
  for (const auto& l : sync_lines(held)) line[l["company"]] = l;
  CHECK(line["250"]["action"] == "held");
  CHECK(line["250"]["before"] == 12);
  CHECK(line["251"]["action"] == "none");
  CHECK(s.writes() == writes);
  json plan = s.run_json({"plan", "--period", "2026-10"});
  bool planned_zero = false;
  for (const auto& l : plan["lines"]) {
    if (l["company"] == "250") planned_zero = l["quantity"] == 0 && l["no_usage"] == true;
  }
  CHECK(planned_zero);

  REQUIRE(s.run({"approve", "--period", "2026-10", "--company", "250", "--line", "EDR-SEAT"})
              .exit_code == 0);
  json approved = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  line.clear();
  for (const auto& l : sync_lines(approved)) line[l["company"]] = l;
  CHECK(line["250"]["action"] == "cancel");
  CHECK(line["250"]["after"] == 0);
  CHECK(s.writes() == writes + 1);
  // The addition keeps its quantity and gets a date-only cancellation at midnight.
  json addition;
  const json state = s.control.state();
  for (const auto& a : state["additions"]) {
    if (a["id"] == created["id"]) addition = a;
  }
  CHECK(addition["quantity"] == 12);
  REQUIRE(addition["cancelledDate"].is_string());
  CHECK(addition["cancelledDate"].get<std::string>().substr(10) == "T00:00:00Z");
  json patch;
  for (const auto& r : s.control.requests()) {
    if (r["method"] == "PATCH") patch = r;
  }
  CHECK(patch["path"] == "/v4_6_release/apis/3.0/finance/agreements/500/additions/" +
                             std::to_string(created["id"].get<int>()));

  // Cancelled stays cancelled: nothing more to write.
  json again = s.run_json({"sync", "--period", "2026-10", "--no-collect"});
  CHECK(again["writes"] == 0);
  CHECK(s.writes() == writes + 1);
}
