// "isolation": "process" as an operator uses it: one misbehaving third-party source per way a
// plugin can fail (segfault, abort in create, endless loop, leak, stdout, exit), each in its own
// meterbridge-runner beside the healthy file-drop source (also out of process) and the ledger
// sink. The misbehaving instance's calls fail with an error naming the instance, the plugin file
// and the cause; meterbridge itself and the other instances finish collect and sync.
#include <catch2/catch.hpp>

#include <fstream>

#include <signal.h>

#include "../billing/billing_scenario.hpp"
#include "../billing/service_process.hpp"

using nlohmann::json;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The billing scenario plus instance "bad" of a misbehaving fixture under isolation "process".
struct IsolationBed : BillingScenario {
  IsolationBed(const std::string& name, const std::string& plugin, json runner = nullptr,
               json settings = json::object())
      : BillingScenario(name) {
    std::ifstream in(config);
    json c = json::parse(in);
    c["plugin_dirs"].push_back(ISOLATION_FIXTURE_DIR);
    c["plugins"]["drop"]["isolation"] = "process";
    json bad = {
        {"enabled", true}, {"plugin", plugin}, {"isolation", "process"}, {"settings", settings}};
    if (!runner.is_null()) bad["runner"] = runner;
    c["plugins"]["bad"] = bad;
    write_file(config, c.dump(2));
    drop_csv("usage.csv", {"2026-10-01,t-1,ACME Dental Group,EP-ADV,Intercept X Advanced,seats,10",
                           "2026-10-02,t-1,ACME Dental Group,EP-ADV,Intercept X Advanced,seats,12",
                           "2026-10-03,t-1,ACME Dental Group,EP-ADV,Intercept X Advanced,seats,11",
                           "2026-10-01,t-3,Citta di Lugo,MAIL-STD,Email Standard,users,7"});
  }

  // collect over three days; returns the report's days by source.
  json collect(int expected_exit, std::string* err = nullptr) {
    ProcessResult r =
        run({"collect", "--from", "2026-10-01", "--to", "2026-10-03", "--format", "json"});
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == expected_exit);
    if (err) *err = r.err;
    const json report = json::parse(r.out);
    json by_source = json::object();
    for (const auto& d : report["days"]) by_source[d["source"].get<std::string>()].push_back(d);
    return by_source;
  }

  // The healthy path goes on: discover, map, plan and sync into the ledger.
  void healthy_instances_finish() {
    run({"discover"});  // the misbehaving instance may fail here too; drop must not
    REQUIRE(run({"map", "customer", "drop", "t-1", "C1"}).exit_code == 0);
    REQUIRE(run({"map", "customer", "drop", "t-3", "C3"}).exit_code == 0);
    REQUIRE(run({"map", "product", "drop", "EP-ADV", "EDR"}).exit_code == 0);
    REQUIRE(run({"map", "product", "drop", "MAIL-STD", "MAIL"}).exit_code == 0);
    // sync first collects the period's missing days: the misbehaving instance fails again
    // there (exit 1), and the ledger still gets both lines.
    ProcessResult sync = run({"sync", "--period", "2026-10", "--format", "json"});
    INFO("sync stdout: " << sync.out << "\nstderr: " << sync.err);
    REQUIRE((sync.exit_code == 0 || sync.exit_code == 1));
    const json report = json::parse(sync.out);
    CHECK(report["sinks"][0]["errors"] == 0);
    CHECK(report["sinks"][0]["writes"] == 2);
    const json lines = ledger()["lines"];
    CHECK(lines.size() == 2);
  }
};

void check_drop_ok(const json& days) {
  REQUIRE(days["drop"].size() == 3);
  for (const auto& d : days["drop"]) CHECK(d["ok"] == true);
  CHECK(days["drop"][0]["records"] == 2);
}

// The fixture library built from fixtures/<file>.c.
std::string library_of(const std::string& file) {
  return std::string(ISOLATION_FIXTURE_DIR) + "/libfixture_" + file + ".so";
}

}  // namespace

TEST_CASE("a plugin that segfaults in collect fails its days with the signal, the others finish") {
  IsolationBed bed("iso-segfault", "fixture-segfault");
  json days = bed.collect(1);
  check_drop_ok(days);
  REQUIRE(days["bad"].size() == 3);
  const std::string first = days["bad"][0]["error"];
  CHECK(has(first, "instance 'bad'"));
  CHECK(has(first, library_of("segfault_in_invoke")));
  CHECK(has(first, "killed by signal 11 (SIGSEGV) during invoke collect"));
  // The next call started a fresh runner, which crashed again.
  CHECK(has(days["bad"][1]["error"].get<std::string>(), "(SIGSEGV) during invoke collect"));
  // Two crashes in a row: the third call waits out the backoff instead of starting a runner.
  const std::string third = days["bad"][2]["error"];
  CHECK(has(third, "(transient)"));
  CHECK(has(third, "failed 2 times in a row; it is not started again for another 1 s (backoff"));
  bed.healthy_instances_finish();
}

TEST_CASE("a plugin that aborts in create fails every call with SIGABRT, the others finish") {
  IsolationBed bed("iso-abort", "fixture-abort-create");
  json days = bed.collect(1);
  check_drop_ok(days);
  for (const auto& d : days["bad"]) {
    const std::string e = d["error"];
    CHECK(has(e, "instance 'bad'"));
    CHECK(has(e, library_of("abort_in_create")));
    CHECK(has(e, "killed by signal 6 (SIGABRT) during create"));
  }
  bed.healthy_instances_finish();
}

TEST_CASE("a plugin that never returns is asked to cancel, then killed at its time limit") {
  IsolationBed bed("iso-loop", "fixture-loop",
                   {{"call_timeout_seconds", 1}, {"cancel_grace_seconds", 1}});
  json days = bed.collect(1);
  check_drop_ok(days);
  const std::string e = days["bad"][0]["error"];
  CHECK(has(e, "instance 'bad'"));
  CHECK(has(e, library_of("loop_forever")));
  CHECK(has(e,
            "did not finish invoke collect within 1 s (runner.call_timeout_seconds) nor "
            "stop within 1 s of being asked to cancel"));
  CHECK(has(e, "killed"));
  bed.healthy_instances_finish();
}

TEST_CASE("a plugin that hangs but honours cancellation stops at its time limit") {
  IsolationBed bed("iso-polite", "fixture-loop",
                   {{"call_timeout_seconds", 1}, {"cancel_grace_seconds", 30}},
                   {{"honour_cancel", true}});
  json days = bed.collect(1);
  const std::string e = days["bad"][0]["error"];
  INFO(e);
  CHECK(has(e, "(cancelled)"));
  CHECK(has(e,
            "invoke collect passed its time limit of 1 s (runner.call_timeout_seconds) and "
            "was cancelled: stopped: the host asked to cancel"));
  check_drop_ok(days);
}

TEST_CASE("a plugin that spins past its CPU limit is stopped by RLIMIT_CPU and named") {
  IsolationBed bed("iso-cpu", "fixture-loop", {{"cpu_seconds", 1}, {"call_timeout_seconds", 120}});
  json days = bed.collect(1);
  check_drop_ok(days);
  const std::string e = days["bad"][0]["error"];
  CHECK(has(e, "instance 'bad'"));
  CHECK(has(e, library_of("loop_forever")));
  CHECK(has(e, "(SIGXCPU) during invoke collect (over its CPU limit of 1 s, runner.cpu_seconds)"));
}

TEST_CASE("a plugin that leaks past its memory limit is killed and named") {
  IsolationBed bed("iso-leak", "fixture-leak", {{"memory_mb", 96}});
  json days = bed.collect(1);
  check_drop_ok(days);
  const std::string e = days["bad"][0]["error"];
  CHECK(has(e, "instance 'bad'"));
  CHECK(has(e, library_of("leak_memory")));
  CHECK(has(e, "over its limit of 96 MiB (runner.memory_mb); it was killed"));
  bed.healthy_instances_finish();
}

TEST_CASE("what a plugin prints on stdout is logged, never mixed into meterbridge's output") {
  IsolationBed bed("iso-stdout", "fixture-stdout");
  std::string err;
  json days = bed.collect(0, &err);  // stdout stays one JSON document: collect() parsed it
  check_drop_ok(days);
  for (const auto& d : days["bad"]) CHECK(d["ok"] == true);
  CHECK(has(err, R"(plugin output: {"this is": "not meterbridge output"})"));
  CHECK(has(err, "plugin output: debug line from the plugin on stderr"));
  bed.healthy_instances_finish();
}

TEST_CASE("a plugin that calls exit fails the call with the exit code, the others finish") {
  IsolationBed bed("iso-exit", "fixture-exit");
  json days = bed.collect(1);
  check_drop_ok(days);
  const std::string e = days["bad"][0]["error"];
  CHECK(has(e, "instance 'bad'"));
  CHECK(has(e, library_of("exit_in_invoke")));
  CHECK(has(e, "exited with code 3 during invoke collect"));
  bed.healthy_instances_finish();
}

TEST_CASE("a plugin that writes garbage onto the answer pipe is killed, never believed") {
  IsolationBed bed("iso-garbage", "fixture-garbage");
  json days = bed.collect(1);
  check_drop_ok(days);
  const std::string e = days["bad"][0]["error"];
  CHECK(has(e, "instance 'bad'"));
  CHECK(has(e, library_of("write_garbage")));
  CHECK(has(e,
            "wrote something that is not the runner protocol during invoke collect: not a "
            "frame"));
  CHECK(has(e, "(first bytes \"debug: c\")"));
  bed.healthy_instances_finish();
}

TEST_CASE("a runner of another meterbridge version is refused, naming both versions") {
  IsolationBed bed("iso-version", "fixture-stdout", {{"executable", FAKE_RUNNER_EXE}});
  json days = bed.collect(2);
  check_drop_ok(days);
  const std::string e = days["bad"][0]["error"];
  CHECK(has(e, std::string("the runner ") + FAKE_RUNNER_EXE +
                   " is meterbridge 0.0.1 (runner protocol 1) but this is meterbridge "));
  CHECK(has(e, "use the meterbridge-runner installed with this meterbridge"));
}

TEST_CASE("a secret reaches the runner only through the protocol, and its logs are redacted") {
  IsolationBed bed("iso-secret", "fixture-secret-probe", nullptr,
                   {{"token", "${env:MB_PROBE_TOKEN}"}});
  const std::string token = "probe-secret-4711-value";
  ProcessResult r =
      run_meterbridge({"--config", bed.config.string(), "plugins", "call", "bad", "collect",
                       "--request", R"({"date": "2026-10-01", "today": "2026-10-02"})"},
                      {"MB_PROBE_TOKEN=" + token});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  json answer = json::parse(r.out);
  const json& record = answer["records"][0];
  CHECK(record["sku"] == "env-0-cmdline-0");  // not in the runner's environment or argv
  CHECK(record["quantity"] == token.size());  // but the plugin got it whole
  CHECK(has(r.err, "the token is ***"));
  CHECK(!has(r.err, token));
  CHECK(!has(r.out, token));
}

TEST_CASE("runner settings are checked: a bad isolation or runner key names its place") {
  IsolationBed bed("iso-config", "fixture-stdout", {{"memory_mb", 4}});
  ProcessResult r = bed.run({"plugins", "list"});
  CHECK(r.exit_code == 2);
  CHECK(has(r.err, "/plugins/bad/runner/memory_mb"));
  std::ifstream in(bed.config);
  json c = json::parse(in);
  c["plugins"]["bad"].erase("runner");
  c["plugins"]["bad"]["isolation"] = "container";
  write_file(bed.config, c.dump());
  r = bed.run({"plugins", "list"});
  CHECK(r.exit_code == 2);
  CHECK(has(r.err, "/plugins/bad/isolation: expected \"in-process\" or \"process\""));
}

TEST_CASE("a sink whose runner dies in the middle of its writes never writes a line twice") {
  IsolationBed bed("iso-sink-crash", "fixture-stdout");
  // The ledger sink, in a runner, kills itself (SIGKILL) right after its first write.
  auto sink_crashes = [&](bool crash, const json& sync) {
    std::ifstream in(bed.config);
    json c = json::parse(in);
    c["plugins"]["psa"]["isolation"] = "process";
    if (crash) {
      c["plugins"]["psa"]["settings"]["crash_after_writes"] = 1;
    } else {
      c["plugins"]["psa"]["settings"].erase("crash_after_writes");
    }
    c["sync"] = sync;
    write_file(bed.config, c.dump(2));
  };
  REQUIRE(bed.run({"collect", "--from", "2026-10-01", "--to", "2026-10-03"}).exit_code == 0);
  REQUIRE(bed.run({"discover"}).exit_code == 0);
  REQUIRE(bed.run({"map", "customer", "drop", "t-1", "C1"}).exit_code == 0);
  REQUIRE(bed.run({"map", "customer", "drop", "t-3", "C3"}).exit_code == 0);
  REQUIRE(bed.run({"map", "product", "drop", "EP-ADV", "EDR"}).exit_code == 0);
  REQUIRE(bed.run({"map", "product", "drop", "MAIL-STD", "MAIL"}).exit_code == 0);

  sink_crashes(true, {{"pending_grace_ms", 600000}});
  ProcessResult first = bed.run({"sync", "--period", "2026-10", "--format", "json"});
  INFO("first sync: " << first.out << first.err);
  CHECK(first.exit_code == 1);  // meterbridge itself finished and reported
  CHECK(bed.ledger()["writes"] == 1);
  const json report = json::parse(first.out);
  for (const auto& line : report["sinks"][0]["lines"]) {
    CHECK(line["action"] == "error");
    CHECK(line["message"].get<std::string>().find("(SIGKILL)") != std::string::npos);
    CHECK(line["message"].get<std::string>().find("the write may have landed") !=
          std::string::npos);
  }

  // Within the grace time nothing is written: the line that landed is found in the ledger, the
  // other may still land.
  sink_crashes(false, {{"pending_grace_ms", 600000}});
  ProcessResult second = bed.run({"sync", "--period", "2026-10", "--format", "json"});
  INFO("second sync: " << second.out << second.err);
  CHECK(bed.ledger()["writes"] == 1);

  // After it, each line is written exactly once in all.
  sink_crashes(false, {{"pending_grace_ms", 1}});
  ProcessResult third = bed.run({"sync", "--period", "2026-10", "--format", "json"});
  INFO("third sync: " << third.out << third.err);
  CHECK(third.exit_code == 0);
  const json ledger = bed.ledger();
  CHECK(ledger["writes"] == 2);
  CHECK(ledger["lines"].size() == 2);
}

TEST_CASE("meterbridge serve outlives a crashing plugin and counts its runner restarts") {
  IsolationBed bed("iso-serve", "fixture-segfault");
  const int port = free_port();
  std::ifstream in(bed.config);
  json c = json::parse(in);
  c["service"] = {{"listen", "127.0.0.1:" + std::to_string(port)}};
  c["testing"] = {{"allow_test_clock", true}};
  c["schedule"] = {{"collect", {{"at", "01:00"}, {"jitter_minutes", 0}}}};
  write_file(bed.config, c.dump(2));
  const auto out = bed.dir / "serve.out", err = bed.dir / "serve.err";
  pid_t pid = start_meterbridge(
      {"--config", bed.config.string(), "serve", "--test-clock", "2026-11-10T00:59:58Z"}, {}, out,
      err);
  REQUIRE(wait_for(err, "(SIGSEGV) during invoke collect"));

  // Still serving: `meterbridge status` asks it, and it counts the lost runners.
  json bad, status;
  for (int i = 0; i < 100 && !bad.contains("runner"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ProcessResult st = bed.run({"status", "--format", "json"});
    // Exit 1 is "running but not ready" (the failing instance may say so): still an answer.
    if (st.exit_code != 0 && st.exit_code != 1) continue;
    status = json::parse(st.out)["service"]["status"];
    for (const auto& inst : status["instances"]) {
      if (inst["instance"] == "bad" && inst["runner"]["failures"].contains("crash")) bad = inst;
    }
  }
  INFO(status.dump(2) << read_text(err));
  CHECK(bad["isolation"] == "process");
  CHECK(bad["runner"]["failures"]["crash"].get<int>() >= 1);
  CHECK(bad["runner"]["starts"].get<int>() >= 2);
  CHECK(bad["runner"]["restarts"].get<int>() >= 1);
  // The healthy source collected in the same job.
  CHECK(wait_for(err, "info [drop] collect 2026-11-09"));
  ProcessResult table = bed.run({"status"});
  CHECK(table.out.find("RUNNER RESTARTS") != std::string::npos);

  kill(pid, SIGTERM);
  CHECK(wait_exit(pid) == 0);
}
