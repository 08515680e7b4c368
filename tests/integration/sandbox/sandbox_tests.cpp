// `meterbridge sandbox` as the README's first command runs it: the real binary starts both API
// emulators, walks discover, mapping, two syncs and the report, and stops what it started.
#include <catch2/catch.hpp>

#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "../cli/run_process.hpp"

using nlohmann::json;

namespace {

std::vector<std::string> urls_in(const std::string& out) {
  std::vector<std::string> urls;
  std::regex re(R"(emulator-(?:sophos|connectwise) +(http://127\.0\.0\.1:\d+))");
  for (std::sregex_iterator it(out.begin(), out.end(), re), end; it != end; ++it)
    urls.push_back((*it)[1]);
  return urls;
}

// "First sync: 484 API call(s), 80 PSA write(s), ..." -> {484, 80}
std::pair<int, int> calls_of(const std::string& out, const std::string& title) {
  std::smatch m;
  std::regex re(title + R"(: (\d+) API call\(s\), (\d+) PSA write\(s\))");
  REQUIRE(std::regex_search(out, m, re));
  return {std::stoi(m[1]), std::stoi(m[2])};
}

json get_json(const std::string& url, const std::string& path) {
  httplib::Client c(url);
  auto res = c.Get(path.c_str());
  REQUIRE(res);
  return json::parse(res->body);
}

}  // namespace

TEST_CASE("the sandbox syncs Sophos usage into ConnectWise, then a second sync writes nothing") {
  auto dir = fresh_dir("sandbox-run") / "demo";
  auto r = run_meterbridge({"sandbox", "--dir", dir.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);

  auto [first_calls, first_writes] = calls_of(r.out, "First sync");
  auto [second_calls, second_writes] = calls_of(r.out, R"(Second sync \(usage unchanged\))");
  CHECK(first_writes == 80);  // one addition per planned line of the 40 mapped companies
  CHECK(second_writes == 0);
  // It still reads what ConnectWise holds, once per thing: one listing of the 40 companies'
  // agreements, one listing of each agreement's additions; no Sophos call (today is stored).
  CHECK(second_calls == 1 + 40);
  CHECK(first_calls < 1 + 40 + 2 * 80 + 10);
  CHECK(r.out.find("31 linked by exact normalised name") != std::string::npos);
  CHECK(r.out.find("9 customer(s) linked from suggestions") != std::string::npos);

  // The emulators are gone: their ports refuse connections.
  for (const auto& url : urls_in(r.out)) {
    httplib::Client c(url);
    c.set_connection_timeout(1);
    CHECK_FALSE(c.Get("/_emulator/state"));
  }

  // The store stays in --dir: every planned line was billed exactly as planned, and the six
  // tenants without a company and the unmapped SKU are reported as not billed.
  const std::string config = (dir / "config.json").string();
  auto report = run_meterbridge({"--config", config, "report", "reconcile", "--format", "json"});
  REQUIRE(report.exit_code == 0);
  json rep = json::parse(report.out);
  REQUIRE(rep["lines"].size() == 80);
  std::set<std::string> companies;
  for (const auto& l : rep["lines"]) {
    CHECK(l["billed"] == l["planned"]);
    CHECK(l["difference"] == 0);
    companies.insert(l["company"].get<std::string>());
  }
  CHECK(companies.size() == 40);
  std::map<std::string, int> unbilled;
  for (const auto& e : rep["unbilled"]) ++unbilled[e["kind"].get<std::string>()];
  CHECK(unbilled["unmapped-customer"] > 0);
  CHECK(unbilled["unmapped-product"] > 0);

  // No secret is printed.
  CHECK(r.out.find("sandbox-sophos-secret") == std::string::npos);
  CHECK(r.out.find("SandboxPrivate") == std::string::npos);
}

TEST_CASE("sandbox --keep leaves the emulators serving what was synced") {
  auto dir = fresh_dir("sandbox-keep") / "demo";
  auto r = run_meterbridge({"sandbox", "--keep", "--dir", dir.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(pids (\d+), (\d+))")));
  const pid_t pids[] = {std::stoi(m[1]), std::stoi(m[2])};
  auto urls = urls_in(r.out);
  REQUIRE(urls.size() == 2);

  json state = get_json(urls[1], "/_emulator/state");
  std::map<std::pair<int, std::string>, int> active;
  for (const auto& a : state["additions"]) {
    if (a["id"] == 9001) {
      CHECK(a["quantity"] == 2);  // entered by hand: untouched
      continue;
    }
    ++active[{a["agreementId"].get<int>(), a["product"]["identifier"].get<std::string>()}];
  }
  CHECK(active.size() == 80);
  for (const auto& [key, n] : active) CHECK(n == 1);  // never a duplicate

  // The kept config drives the kept emulators.
  auto sync = run_meterbridge({"--config", (dir / "config.json").string(), "sync", "--dry-run"});
  CHECK(sync.exit_code == 0);
  for (pid_t pid : pids) CHECK(kill(pid, SIGTERM) == 0);
}

TEST_CASE("the sandbox says where it looked when an emulator is missing, and refuses a used dir") {
  auto dir = fresh_dir("sandbox-missing");
  auto r = run_meterbridge({"sandbox", "--emulators", dir.string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("emulator-sophos not found in " + dir.string()) != std::string::npos);

  write_file(dir / "used" / "something", "x");
  auto used = run_meterbridge({"sandbox", "--dir", (dir / "used").string()});
  CHECK(used.exit_code == 2);
  CHECK(used.err.find("not empty") != std::string::npos);
}

TEST_CASE("the kaseya-autotask sandbox bills three modules into one contract per customer, once") {
  auto dir = fresh_dir("sandbox-kaseya") / "demo";
  auto r = run_meterbridge({"sandbox", "--scenario", "kaseya-autotask", "--dir", dir.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);

  auto [first_calls, first_writes] = calls_of(r.out, "First sync");
  auto [second_calls, second_writes] = calls_of(r.out, R"(Second sync \(usage unchanged\))");
  CHECK(first_writes == 133);  // one adjustment per planned line, each creating its service
  CHECK(first_calls > first_writes);
  CHECK(second_writes == 0);
  CHECK(second_calls == 3);  // contracts, contract services and units of the 40 companies
  // Sites carrying their Autotask id link by it, one pointing at a deleted company does not.
  CHECK(r.out.find("34 linked by psa hint (psa-id)") != std::string::npos);
  CHECK(r.out.find("hint to autotask company 1900 (Old Mill Antiques Ltd) not followed") !=
        std::string::npos);
  // Müller Maschinenbau: Datto RMM (3001), Datto BCDR (3011..3013), SaaS Protection (3022) and
  // BullPhish ID (3031) in its one contract.
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(\n5007 +Muller Maschinenbau +([^\n]+))")));
  const std::string services = m[1];
  for (const char* s : {"3001 x", "3011 x1", "3012 x3", "3022 x7", "3031 x1"})
    CHECK(services.find(s) != std::string::npos);
  CHECK(std::regex_search(r.out,
                          std::regex(R"(unmapped-customer +rmm/\S+ \(Quantum Leap Robotics\))")));
  // No secret is printed.
  CHECK(r.out.find("sandbox-rmm-secret") == std::string::npos);
  CHECK(r.out.find("sandbox-datto-secret") == std::string::npos);
  CHECK(r.out.find("sandbox-autotask-secret") == std::string::npos);
}

TEST_CASE(
    "sandbox --serve runs the service on the demo: scheduled collect and sync, metrics, "
    "status, SIGTERM") {
  auto dir = fresh_dir("sandbox-serve") / "demo";
  auto r = run_meterbridge({"sandbox", "--serve", "--dir", dir.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, std::regex(R"(sync: slot (\d{4}-\d{2}-\d{2}) ok)")));
  CHECK(r.out.find("meterbridge_job_last_success{job=\"collect\"} 1") != std::string::npos);
  CHECK(r.out.find("meterbridge_job_last_success{job=\"sync\"} 1") != std::string::npos);
  CHECK(r.out.find("meterbridge_ready 1") != std::string::npos);
  // The daily sync after the sandbox's own two syncs has nothing to write.
  CHECK(r.out.find("meterbridge_sink_lines{instance=\"connectwise\",result=\"written\"} 0") !=
        std::string::npos);
  CHECK(r.out.find("Service: running on 127.0.0.1:") != std::string::npos);
  CHECK(std::regex_search(r.out,
                          std::regex(R"(meterbridge serve exited 0 \d+\.\d+ s after SIGTERM)")));
}

TEST_CASE(
    "the trendmicro-connectwise sandbox verifies, assigns agreements per product, bills once and "
    "opens each summary ticket once") {
  auto dir = fresh_dir("sandbox-trendmicro") / "demo";
  auto r =
      run_meterbridge({"sandbox", "--scenario", "trendmicro-connectwise", "--dir", dir.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // Verify refuses an id ConnectWise does not know, and learns the real ones.
  CHECK(r.err.find("company 19999 does not exist in connectwise") != std::string::npos);
  CHECK(r.out.find("verified: company 19021 exists in connectwise (Coastal Home Health)") !=
        std::string::npos);
  // The Default where ConnectWise offers one; by type and name where there are two.
  CHECK(r.out.find("(TMRM management solution, the Default)") != std::string::npos);
  CHECK(r.out.find("line TM-EMS-ADV of connectwise/19021 -> agreement 7506 'Trend Micro Email - "
                   "Coastal Home Health, LLC' (TMRM management solution)") != std::string::npos);
  // Day 31 in a shorter month and a customer's own day 15.
  CHECK(std::regex_search(
      r.out, std::regex(R"(19004 Northwind Traders +TM-WFBS-ADV [^\n]+ \d{4}-\d{2}-15\.\.)")));
  auto [now_calls, now_writes] = calls_of(r.out, "Send now");
  CHECK(now_writes == 1);
  auto [first_calls, first_writes] = calls_of(r.out, "Sync");
  CHECK(first_writes == 5);  // the six billable lines but the one Send now wrote
  auto [second_calls, second_writes] = calls_of(r.out, R"(Second sync \(usage unchanged\))");
  CHECK(second_writes == 0);
  auto [sum_calls, sum_writes] = calls_of(r.out, "Summaries");
  CHECK(sum_writes == 5);  // four detection summaries and one executive summary
  auto [again_calls, again_writes] =
      calls_of(r.out, R"(Summaries again \(sent once: nothing new\))");
  CHECK(again_writes == 0);
  CHECK(std::regex_search(
      r.out,
      std::regex(
          R"(#5  company 19021  board Help Desk  Executive summary \d{4}-\d{2}: Coastal Home Health \[mb #5\])")));
  CHECK(r.out.find("sandbox-trendmicro-secret-key") == std::string::npos);
}

TEST_CASE("sandbox --isolation process runs every plugin in a runner and bills the same") {
  auto dir = fresh_dir("sandbox-isolated") / "demo";
  auto r = run_meterbridge({"sandbox", "--isolation", "process", "--dir", dir.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto [first_calls, first_writes] = calls_of(r.out, "First sync");
  auto [second_calls, second_writes] = calls_of(r.out, R"(Second sync \(usage unchanged\))");
  CHECK(first_writes == 80);
  CHECK(second_writes == 0);
  CHECK(second_calls == 1 + 40);
  std::ifstream in(dir / "config.json");
  const json config = json::parse(in);
  for (const auto& [name, instance] : config["plugins"].items()) {
    CHECK(instance["isolation"] == "process");
  }
  auto bad = run_meterbridge({"sandbox", "--isolation", "container", "--dir", dir.string() + "2"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--isolation: 'container' is not an isolation") != std::string::npos);
}
