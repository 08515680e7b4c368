// `meterbridge serve` as an operator runs it: real processes, the file-drop source and the
// ledger PSA fixture, a test clock (testing.allow_test_clock) that runs a month in seconds,
// signals, and the health and metrics endpoint scraped over loopback and checked by promtool.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "billing_scenario.hpp"
#include "service_process.hpp"
#include "store/sqlite_db.hpp"

using meterbridge::host::store::Database;
using meterbridge::host::store::Statement;
using nlohmann::json;

namespace {

// The scenario's config with the service's sections added (and the sink's extra settings).
void configure(BillingScenario& s, const json& extra, const std::string& sink_extra = "") {
  s.write_config(sink_extra);
  json c = json::parse(read_text(s.config));
  c.update(extra);
  write_file(s.config, c.dump(2));
}

// Usage of three customers for every day from..to (file-drop answers any past day).
void drop_days(BillingScenario& s, const std::string& from, const std::string& to) {
  std::vector<std::string> rows;
  std::tm tm{};
  strptime(from.c_str(), "%Y-%m-%d", &tm);
  time_t t = timegm(&tm);
  for (;; t += 86400) {
    char day[16];
    std::strftime(day, sizeof day, "%Y-%m-%d", gmtime_r(&t, &tm));
    rows.push_back(std::string(day) +
                   ",t-1,\"Acme Dental Group, Inc.\",EP-ADV,Intercept X,seats,10");
    rows.push_back(std::string(day) + ",t-2,Brightwater Logistics,EP-ADV,Intercept X,seats,5");
    rows.push_back(std::string(day) + ",t-3,Citta di Lugo Srl,MAIL-STD,Email Standard,users,7");
    if (day == to) break;
  }
  s.drop_csv("usage.csv", rows);
}

void map_everything(BillingScenario& s) {
  REQUIRE(s.run({"collect", "--date", "2026-10-25"}).exit_code == 0);
  REQUIRE(s.run({"discover"}).exit_code == 0);
  REQUIRE(s.run({"map", "auto"}).exit_code == 0);
  REQUIRE(s.run({"map", "customer", "drop", "t-2", "C2"}).exit_code == 0);
  REQUIRE(s.run({"map", "product", "drop", "EP-ADV", "EDR"}).exit_code == 0);
  REQUIRE(s.run({"map", "product", "drop", "MAIL-STD", "MAIL", "--method", "last"}).exit_code == 0);
}

std::vector<std::string> column(const std::filesystem::path& store, const std::string& sql) {
  Database db(store);
  Statement q = db.prepare(sql);
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

}  // namespace

TEST_CASE("a month of schedule in seconds: billing day 31, a company's own day, DST, catch-up") {
  BillingScenario s("serve-month");
  drop_days(s, "2026-10-25", "2026-12-05");
  map_everything(s);
  REQUIRE(s.run({"billing", "set", "--day", "31"}).exit_code == 0);
  REQUIRE(s.run({"billing", "company", "C2", "--day", "15"}).exit_code == 0);
  // New York falls back on 2026-11-01: 01:30 happens twice there. Beside the drop, a source
  // that only knows today's counts (as Datto RMM).
  json plugins = json::parse(read_text(s.config))["plugins"];
  plugins["current"] = {
      {"enabled", true},
      {"plugin", "demo-source"},
      {"settings",
       {{"current_counts_only", true},
        {"customers", json::array({{{"id", "d-1"}, {"name", "Current Only"}, {"seats", 4}}})}}}};
  configure(s,
            {{"timezone", "America/New_York"},
             {"plugins", plugins},
             {"schedule",
              {{"collect", {{"at", "00:30"}, {"jitter_minutes", 0}}}, {"sync", {{"at", "01:30"}}}}},
             {"summaries", {{"executive", {{"every", "month"}, {"day", 1}, {"at", "03:00"}}}}},
             {"service", {{"listen", ""}}},
             {"testing", {{"allow_test_clock", true}}}});
  const auto store = s.dir / "data" / "billing.sqlite3";

  // First start at 01:00 EDT on 11-01: that day's 00:30 collect is due at once, its sync at the
  // first of the two 01:30s.
  ProcessResult first =
      s.run({"serve", "--test-clock", "2026-11-01T05:00:00Z,jump,until=2026-11-20T12:00:00Z"});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  // Down from 11-20 to 11-25: the restart catches up each missed slot once, in one run.
  ProcessResult second =
      s.run({"serve", "--test-clock", "2026-11-25T12:00:00Z,jump,until=2026-12-01T12:00:00Z"});
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(second.err.find("collect: slot 2026-11-21, 2026-11-22, 2026-11-23, 2026-11-24, "
                        "2026-11-25 starts") != std::string::npos);
  // A third run over the same month finds nothing left to do.
  ProcessResult third =
      s.run({"serve", "--test-clock", "2026-11-28T12:00:00Z,jump,until=2026-12-01T12:00:00Z"});
  REQUIRE(third.exit_code == 0);
  CHECK(third.err.find("starts") == std::string::npos);

  for (const std::string job : {"collect", "sync"}) {
    auto slots = column(store,
                        "SELECT slot || ' ' || result || ' ' || attempts FROM "
                        "service_slots WHERE job = '" +
                            job + "' ORDER BY slot");
    REQUIRE(slots.size() == 31);  // 2026-11-01 (the first start's local day) to 2026-12-01
    CHECK(slots.front() == "2026-11-01 ok 1");
    CHECK(slots.back() == "2026-12-01 ok 1");
    for (const auto& slot : slots) CHECK(slot.substr(10) == " ok 1");
  }
  // The catch-up asked every source for the missed days 11-20..11-25: the drop answered them,
  // the current-counts source only today (11-25), so its missed days stay missing.
  const std::string day_text = "date(day * 86400, 'unixepoch')";
  CHECK(column(store, "SELECT COUNT(*) FROM collections WHERE source = 'drop'")[0] ==
        "33");  // 10-25 by hand, then 10-31 .. 12-01 by the schedule (each slot: its day and the
                // one before)
  auto current = column(
      store, "SELECT " + day_text + " FROM collections WHERE source = 'current' ORDER BY day");
  REQUIRE(current.size() == 27);  // 11-01 .. 12-01 but 11-21 .. 11-24
  CHECK(current[19] == "2026-11-20");
  CHECK(current[20] == "2026-11-25");
  CHECK(column(store,
               "SELECT detail FROM service_slots WHERE job = 'collect' AND slot = "
               "'2026-11-21'")[0]
            .find("the source only answers today") != std::string::npos);
  // The repeated 01:30 ran once, at its first occurrence (EDT).
  CHECK(column(store,
               "SELECT due_at FROM service_slots WHERE job = 'sync' AND "
               "slot = '2026-11-01'") == std::vector<std::string>{"2026-11-01T05:30:00Z"});
  // C2 synced on its own day 15; the others on day 31, clamped to November 30.
  CHECK(column(store, "SELECT command FROM runs WHERE command LIKE 'serve sync%' ORDER BY id") ==
        std::vector<std::string>{"serve sync 2026-10 (billing day 15)",
                                 "serve sync 2026-10 (billing day 31)"});
  CHECK(column(store,
               "SELECT started_at FROM runs WHERE command LIKE 'serve sync%' ORDER BY "
               "id") == std::vector<std::string>{"2026-11-15T06:30:00Z", "2026-11-30T06:30:00Z"});
  json ledger = s.ledger();
  CHECK(ledger["lines"]["C1/EDR"]["quantity"] == 10);
  CHECK(ledger["lines"]["C2/EDR"]["quantity"] == 5);
  CHECK(ledger["lines"]["C3/MAIL"]["quantity"] == 7);
  CHECK(ledger["writes"] == 3);
  // The summaries job ran every day and sent each company's executive summary of November on
  // December 1st, once, whatever the restarts.
  auto summary_slots = column(store,
                              "SELECT result || ' ' || attempts FROM service_slots WHERE job = "
                              "'summaries'");
  CHECK(summary_slots.size() == 31);
  for (const auto& slot : summary_slots) CHECK(slot == "ok 1");
  std::map<std::string, int> sent;
  for (const auto& x : ledger["summaries"]) {
    sent[x["company"].get<std::string>() + " " + x["kind"].get<std::string>() + " " +
         x["period"].get<std::string>()] += 1;
  }
  for (const char* company : {"C1", "C2", "C3"}) {
    CHECK(sent[std::string(company) + " executive 2026-11"] == 1);
  }
  for (const auto& [key, n] : sent) CHECK(n == 1);
}

TEST_CASE("a test clock is refused unless the config allows one") {
  BillingScenario s("serve-no-test-clock");
  ProcessResult r = s.run({"serve", "--test-clock", "2026-11-01T00:00:00Z,jump"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("testing/allow_test_clock") != std::string::npos);
  r = run_meterbridge({"--config", s.config.string(), "plan"},
                      {"METERBRIDGE_TEST_CLOCK=2026-11-01T00:00:00Z"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("METERBRIDGE_TEST_CLOCK is set, but a test clock is for tests only") !=
        std::string::npos);
}

TEST_CASE("SIGTERM in the middle of a scheduled sync: exit 0 soon, nothing half-written") {
  BillingScenario s("serve-sigterm");
  drop_days(s, "2026-10-25", "2026-12-05");
  map_everything(s);
  // One line per write call, two seconds each: the stop lands inside the first call.
  configure(s,
            {{"timezone", "UTC"},
             {"sync", {{"stop_after_failures", 1}}},
             {"schedule",
              {{"collect", {{"at", "00:30"}, {"jitter_minutes", 0}}}, {"sync", {{"at", "02:00"}}}}},
             {"service", {{"listen", ""}}},
             {"testing", {{"allow_test_clock", true}}}},
            R"({"write_delay_ms": 2000})");
  const auto out = s.dir / "serve.out", err = s.dir / "serve.err";
  pid_t pid = start_meterbridge(
      {"--config", s.config.string(), "serve", "--test-clock", "2026-12-01T01:59:57Z"}, {}, out,
      err);
  REQUIRE(wait_for(err, "sync: slot 2026-12-01 starts"));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  const auto stop = std::chrono::steady_clock::now();
  kill(pid, SIGTERM);
  const int code = wait_exit(pid);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stop).count();
  INFO(read_text(err));
  CHECK(code == 0);
  CHECK(seconds < 10);
  WARN("SIGTERM to exit during a sync: " << seconds << " s");
  json ledger = s.ledger();
  CHECK(ledger["writes"] == 1);  // the write in progress completed and was journaled
  const auto store = s.dir / "data" / "billing.sqlite3";
  CHECK(column(store, "SELECT result FROM service_slots WHERE job = 'sync'") ==
        std::vector<std::string>{"cancelled"});
  // The next start runs the cancelled slot again and completes it, without a second write of
  // the line already there.
  ProcessResult next =
      s.run({"serve", "--test-clock", "2026-12-01T03:00:00Z,jump,until=2026-12-01T04:00:00Z"});
  INFO(next.err);
  REQUIRE(next.exit_code == 0);
  ledger = s.ledger();
  CHECK(ledger["writes"] == 3);
  CHECK(ledger["lines"].size() == 3);
  CHECK(column(store, "SELECT result || ' ' || attempts FROM service_slots WHERE job = 'sync'") ==
        std::vector<std::string>{"ok 2"});
}

TEST_CASE("health, readiness, metrics (promtool), SIGHUP reloads, status asks the service") {
  BillingScenario s("serve-health");
  drop_days(s, "2026-11-01", "2026-11-12");
  map_everything(s);
  const int port = free_port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  const json sections = {{"timezone", "UTC"},
                         {"schedule", {{"sync", {{"at", "02:00"}}}}},
                         {"service", {{"listen", listen}}},
                         {"testing", {{"allow_test_clock", true}}}};
  configure(s, sections, R"({"check_error": "the PSA refused the API keys"})");
  const auto out = s.dir / "serve.out", err = s.dir / "serve.err";
  pid_t pid = start_meterbridge(
      {"--config", s.config.string(), "serve", "--test-clock", "2026-11-10T12:00:00Z"}, {}, out,
      err);
  REQUIRE(wait_for(err, "health and metrics on http://127.0.0.1:" + std::to_string(port)));
  httplib::Client http("127.0.0.1", port);
  REQUIRE(wait_for(err, "collect: slot 2026-11-10 ok"));

  CHECK(http.Get("/healthz")->status == 200);
  auto ready = http.Get("/readyz");
  CHECK(ready->status == 503);
  CHECK(ready->body.find("instance psa: the PSA refused the API keys") != std::string::npos);
  auto metrics = http.Get("/metrics");
  REQUIRE(metrics->status == 200);
  write_file(s.dir / "metrics.txt", metrics->body);
  const std::string promtool = std::string(METERBRIDGE_PROMTOOL) + " check metrics < " +
                               (s.dir / "metrics.txt").string() + " > " +
                               (s.dir / "promtool.txt").string() + " 2>&1";
  CHECK(std::system(promtool.c_str()) == 0);
  CHECK(read_text(s.dir / "promtool.txt").empty());
  CHECK(metrics->body.find("meterbridge_ready 0") != std::string::npos);
  CHECK(metrics->body.find("meterbridge_job_last_success{job=\"collect\"} 1") != std::string::npos);
  CHECK(metrics->body.find("meterbridge_source_records_collected{instance=\"drop\"} 6") !=
        std::string::npos);
  CHECK(metrics->body.find("meterbridge_job_next_run_timestamp_seconds{job=\"sync\"} 1794362400") !=
        std::string::npos);  // 2026-11-11T02:00:00Z

  // SIGHUP with a valid config: the sink's credentials are right now, sync moves to 03:00.
  json changed = sections;
  changed["schedule"]["sync"]["at"] = "03:00";
  configure(s, changed);
  kill(pid, SIGHUP);
  REQUIRE(wait_for(err, "config reloaded"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(http.Get("/readyz")->status == 200);
  json status = json::parse(http.Get("/status")->body);
  CHECK(status["jobs"][1]["next_run"] == "2026-11-11T03:00:00Z");

  // SIGHUP with a broken config: logged, the running one stays.
  write_file(s.config, "{\"config_version\": 1, \"timezone\": \"Mars/Base\"}");
  kill(pid, SIGHUP);
  REQUIRE(wait_for(err, "the config stays as it was"));
  CHECK(read_text(err).find("/timezone") != std::string::npos);
  CHECK(http.Get("/healthz")->status == 200);
  status = json::parse(http.Get("/status")->body);
  CHECK(status["jobs"][1]["next_run"] == "2026-11-11T03:00:00Z");

  // `meterbridge status` asks the running service.
  configure(s, changed);
  ProcessResult st = s.run({"status", "--format", "json"});
  INFO(st.out << st.err);
  CHECK(st.exit_code == 0);
  json st_json = json::parse(st.out);
  CHECK(st_json["service"]["running"] == true);
  CHECK(st_json["service"]["status"]["jobs"][0]["last_run"]["result"] == "ok");

  kill(pid, SIGTERM);
  CHECK(wait_exit(pid) == 0);
  st = s.run({"status"});
  CHECK(st.exit_code == 1);
  CHECK(st.out.find("Service: not running (nothing answers on " + listen + ")") !=
        std::string::npos);
  CHECK(st.out.find("collect  2026-11-10  ok") != std::string::npos);
}

TEST_CASE("a CLI sync and a scheduled job never write at once: the job waits, nothing is lost") {
  BillingScenario s("serve-lock");
  drop_days(s, "2026-10-25", "2026-12-05");
  map_everything(s);
  configure(s,
            {{"timezone", "UTC"},
             {"sync", {{"stop_after_failures", 1}}},
             {"schedule",
              {{"collect", {{"at", "00:30"}, {"jitter_minutes", 0}}},
               {"sync", {{"at", "02:00"}}},
               {"lock_wait_seconds", 60}}},
             {"service", {{"listen", ""}}},
             {"testing", {{"allow_test_clock", true}}}},
            R"({"write_delay_ms": 1500})");
  // The operator's sync of November holds the writer lock for about 3 s (two slow writes).
  const auto cli_out = s.dir / "cli.out", cli_err = s.dir / "cli.err";
  pid_t cli = start_meterbridge({"--config", s.config.string(), "sync", "--period", "2026-11"}, {},
                                cli_out, cli_err);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ProcessResult serve =
      s.run({"serve", "--test-clock", "2026-12-01T01:59:00Z,jump,until=2026-12-01T03:00:00Z"});
  INFO(serve.err);
  CHECK(serve.exit_code == 0);
  CHECK(wait_exit(cli) == 0);
  CHECK(serve.err.find("waiting: the billing store") != std::string::npos);
  CHECK(serve.err.find("(meterbridge sync)") != std::string::npos);
  // Both ran: the CLI wrote the three lines, the billing-day sync found them in place.
  CHECK(s.ledger()["writes"] == 3);
  const auto store = s.dir / "data" / "billing.sqlite3";
  CHECK(column(store, "SELECT job || ' ' || result FROM service_slots ORDER BY job") ==
        std::vector<std::string>{"collect ok", "sync ok"});
  // And a CLI sync started while a job writes fails at once, naming the job, unless --wait.
  configure(s,
            {{"timezone", "UTC"},
             {"schedule", {{"sync", {{"at", "02:00"}, {"daily", true}}}}},
             {"service", {{"listen", ""}}},
             {"testing", {{"allow_test_clock", true}}}},
            R"({"write_delay_ms": 1500})");
  // The PSA lost the lines: the daily sync writes them again, slowly, holding the lock.
  std::filesystem::remove(s.ledger_file);
  const auto out = s.dir / "serve.out", err = s.dir / "serve.err";
  pid_t pid = start_meterbridge(
      {"--config", s.config.string(), "serve", "--test-clock", "2026-12-02T01:59:58Z"}, {}, out,
      err);
  REQUIRE(wait_for(err, "sync: slot 2026-12-02 starts"));
  ProcessResult refused = s.run({"sync", "--period", "2026-11"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("(meterbridge serve: sync)") != std::string::npos);
  kill(pid, SIGTERM);
  CHECK(wait_exit(pid) == 0);
}

TEST_CASE(
    "a billing day missed longer ago than catch_up_days is named with the command that bills it") {
  BillingScenario s("serve-beyond");
  drop_days(s, "2026-10-25", "2026-12-05");
  map_everything(s);
  configure(s, {{"timezone", "UTC"},
                {"schedule", {{"collect", {{"jitter_minutes", 0}, {"catch_up_days", 3}}}}},
                {"service", {{"listen", ""}}},
                {"testing", {{"allow_test_clock", true}}}});
  REQUIRE(s.run({"serve", "--test-clock", "2026-11-20T00:00:00Z,jump,until=2026-11-21T00:00:00Z"})
              .exit_code == 0);
  // Down from 11-21 to 12-05: the 12-01 billing day is 4 days back, one more than caught up.
  ProcessResult r =
      s.run({"serve", "--test-clock", "2026-12-05T03:00:00Z,jump,until=2026-12-05T04:00:00Z"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("the billing-day sync of period 2026-11 (billing day 1) was missed more than "
                   "catch_up_days ago and does not run by itself: run `meterbridge sync "
                   "--period 2026-11`") != std::string::npos);
  CHECK(s.ledger()["writes"] == 0);  // nothing was billed behind the operator's back either
}

TEST_CASE("a failing source is retried within the day, alone, with growing pauses") {
  BillingScenario s("serve-retry");
  drop_days(s, "2026-10-25", "2026-12-05");
  json plugins = json::parse(read_text(s.config))["plugins"];
  plugins["demo"] = {
      {"enabled", true},
      {"plugin", "demo-source"},
      {"settings",
       {{"customers", json::array({{{"id", "d-1"}, {"name", "Demo Customer"}, {"seats", 4}}})}}}};
  configure(s,
            {{"timezone", "UTC"},
             {"plugins", plugins},
             {"schedule", {{"collect", {{"jitter_minutes", 0}}}, {"sync", {{"enabled", false}}}}},
             {"service", {{"listen", ""}}},
             {"testing", {{"allow_test_clock", true}}}});
  // The drop folder is gone (an unmounted share): the drop fails, the demo source does not.
  std::filesystem::rename(s.drop, s.dir / "drop-away");
  ProcessResult r =
      s.run({"serve", "--test-clock", "2026-12-01T00:00:00Z,jump,until=2026-12-01T02:00:00Z"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto store = s.dir / "data" / "billing.sqlite3";
  // 00:30, then 5, 10, 20 and 40 minutes after each failure: 00:35, 00:45, 01:05, 01:45.
  // (The first attempt was partial; each retry ran the drop alone, so the last one failed.)
  CHECK(column(store, "SELECT result || ' ' || attempts FROM service_slots") ==
        std::vector<std::string>{"failed 5"});
  CHECK(r.err.find("collect: slot 2026-12-01 starts (retrying 1 source(s))") != std::string::npos);
  CHECK(column(store, "SELECT COUNT(*) FROM collections WHERE source = 'demo'")[0] == "2");
  // The share is back: the 02:45 retry (60 minutes later) collects it and the slot is done.
  std::filesystem::rename(s.dir / "drop-away", s.drop);
  r = s.run({"serve", "--test-clock", "2026-12-01T02:00:00Z,jump,until=2026-12-01T04:00:00Z"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(column(store, "SELECT result || ' ' || attempts FROM service_slots") ==
        std::vector<std::string>{"ok 6"});
  CHECK(column(store, "SELECT COUNT(*) FROM collections WHERE source = 'drop'")[0] == "2");
}

TEST_CASE("billing day 31 in February syncs on the 28th, the period that ran to the 27th") {
  BillingScenario s("serve-february");
  drop_days(s, "2027-01-20", "2027-03-05");
  map_everything(s);
  REQUIRE(s.run({"billing", "set", "--day", "31"}).exit_code == 0);
  configure(s, {{"timezone", "Europe/Rome"},
                {"schedule", {{"collect", {{"jitter_minutes", 0}}}}},
                {"service", {{"listen", ""}}},
                {"testing", {{"allow_test_clock", true}}}});
  ProcessResult r =
      s.run({"serve", "--test-clock", "2027-02-20T00:00:00Z,jump,until=2027-03-03T00:00:00Z"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto store = s.dir / "data" / "billing.sqlite3";
  CHECK(column(store,
               "SELECT command || ' at ' || started_at FROM runs WHERE command LIKE "
               "'serve sync%'") ==
        std::vector<std::string>{"serve sync 2027-01 (billing day 31) at 2027-02-28T01:00:00Z"});
  CHECK(s.ledger()["writes"] == 3);
}
