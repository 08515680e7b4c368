// No secret in any message (README "Secrets"): the real meterbridge with fixture plugins that
// put their resolved secret in every answer, error and log line they can. Nothing the host
// prints (stdout, stderr, tables, JSON, logs) or stores (the billing store, the plugin state)
// may hold it; "***" stands where it was. Also: plain http:// to a remote host is refused.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../../unit/services/loopback_server.hpp"
#include "../cli/run_process.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The source's secret has what JSON must escape (a quote, a backslash), a slash, a space and a
// non-ASCII letter; the sink's is a plain token.
const std::string kSourceKey = "Zq7Xk-\"quoted\\back/slash \xC3\xA9-Wv3Ty";
const std::string kSinkKey = "psaPr9Gm4Ld8";
// Pieces of the secrets that survive every encoding (raw, JSON-escaped, percent-encoded): no
// output may hold any of them, so a secret cut short or encoded some other way is caught too.
const std::vector<std::string> kFragments = {"Zq7Xk", "Wv3Ty", "Pr9Gm4Ld8"};

struct LeakyScenario {
  LeakyScenario(const std::string& name, const json& instances, const json& http = nullptr)
      : dir(fresh_dir(name)), config(dir / "config.json"), data(dir / "data") {
    write_file(dir / "source.key", kSourceKey + "\n");
    write_file(dir / "sink.key", kSinkKey + "\n");
    json c = {{"config_version", 1},
              {"timezone", "Europe/Rome"},
              {"data_dir", data.string()},
              {"plugin_dirs", {METERBRIDGE_FIXTURE_DIR}},
              {"plugins", instances}};
    if (!http.is_null()) c["http"] = http;
    write_file(config, c.dump(2));
  }

  ProcessResult run(std::vector<std::string> args, const std::vector<std::string>& env = {}) const {
    args.insert(args.begin(), {"--config", config.string()});
    return run_meterbridge(args, env);
  }

  // Every byte of every file meterbridge keeps in its data directory (the billing store with
  // its WAL, the plugins' state database).
  std::string stored_bytes() const {
    std::string all;
    for (const auto& entry : fs::recursive_directory_iterator(data)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream s;
      s << in.rdbuf();
      all += s.str();
    }
    return all;
  }

  fs::path dir, config, data;
};

json source(const json& extra = json::object()) {
  json settings = {{"api_key", "${file:source.key}"}};
  settings.update(extra);
  return {{"enabled", true}, {"plugin", "leaky-source"}, {"settings", settings}};
}

json sink() {
  return {
      {"enabled", true}, {"plugin", "leaky-sink"}, {"settings", {{"api_key", "${file:sink.key}"}}}};
}

void check_no_secret(const std::string& what, const std::string& text) {
  for (const auto& fragment : kFragments) {
    INFO(what << " holds a piece of a secret (" << fragment << "):\n" << text);
    CHECK(text.find(fragment) == std::string::npos);
  }
}

// Runs a command and checks that neither stream holds a secret.
ProcessResult run_clean(const LeakyScenario& s, const std::vector<std::string>& args) {
  ProcessResult r = s.run(args);
  std::string command;
  for (const auto& a : args) command += a + " ";
  check_no_secret("stdout of `" + command + "`", r.out);
  check_no_secret("stderr of `" + command + "`", r.err);
  return r;
}

json parse_stdout(const ProcessResult& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  json j = json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

json result_of(const json& results, const std::string& instance) {
  for (const auto& r : results) {
    if (r["instance"] == instance) return r;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("plugins check and plugins call show *** where a plugin put its secret") {
  LeakyScenario s("secrets-check", {{"leaky", source()},
                                    {"leaky-check", source({{"fail_check", true}})},
                                    {"leaky-create", source({{"fail_create", true}})}});

  auto check = run_clean(s, {"--log-level", "debug", "plugins", "check", "--format", "json"});
  CHECK(check.exit_code == 2);  // leaky-create: MB_E_CONFIG
  json results = parse_stdout(check);
  json ok = result_of(results, "leaky");
  CHECK(ok["result"] == "ok");
  CHECK(ok["details"]["api_key"] == "***");
  CHECK(ok["details"]["account"] == "account of ***");
  json failed = result_of(results, "leaky-check");
  CHECK(failed["result"] == "failed");
  CHECK(failed["message"] == "the vendor refused api key ***");
  json create = result_of(results, "leaky-create");
  CHECK(create["result"] == "config-error");
  CHECK_THAT(create["message"].get<std::string>(),
             Catch::Contains("create failed: api key *** is not valid for this tenant"));
  // The plugins' own log lines.
  CHECK_THAT(check.err, Catch::Contains("connecting with api key ***"));
  CHECK_THAT(check.err, Catch::Contains("checking api key ***"));

  auto table = run_clean(s, {"--log-format", "json", "plugins", "check"});
  CHECK_THAT(table.out, Catch::Contains("the vendor refused api key ***"));
  CHECK_THAT(table.out, Catch::Contains(R"("api_key":"***")"));
  for (std::istringstream lines(table.err); !lines.eof();) {
    std::string line;
    std::getline(lines, line);
    if (!line.empty()) CHECK_FALSE(json::parse(line, nullptr, false).is_discarded());
  }

  auto echo = run_clean(s, {"plugins", "call", "leaky", "echo"});
  CHECK(echo.exit_code == 0);
  json answer = parse_stdout(echo);
  CHECK(answer["echo"] == "***");
  CHECK(answer["nested"]["list"] == json({"***", "plain"}));

  auto fail = run_clean(s, {"plugins", "call", "leaky", "fail"});
  CHECK(fail.exit_code == 1);
  CHECK_THAT(fail.err, Catch::Contains("the vendor timed out for key ***"));

  auto collect = run_clean(
      s, {"plugins", "call", "leaky", "collect", "--request", R"({"date": "2026-11-10"})"});
  CHECK(collect.exit_code == 0);
  json usage = parse_stdout(collect);
  CHECK(usage["records"][0]["customer_name"] == "Acme ***");
  CHECK(usage["rejected"][0]["reason"] == "row signed with *** is malformed");

  auto discover = run_clean(s, {"plugins", "call", "leaky", "discover"});
  CHECK(parse_stdout(discover)["products"][0]["name"] == "Seats ***");

  auto started = run_clean(s, {"collect", "--date", "2026-11-10", "--source", "leaky-create"});
  CHECK_THAT(started.out + started.err, Catch::Contains("api key *** is not valid"));
  check_no_secret("the store", s.stored_bytes());
}

TEST_CASE("discover, collect, plan, sync, journal and reports never show or store a secret") {
  LeakyScenario s("secrets-billing", {{"leaky", source()}, {"psa", sink()}});

  auto discovered = run_clean(s, {"--log-level", "debug", "discover"});
  REQUIRE(discovered.exit_code == 0);
  REQUIRE(run_clean(s, {"map", "customer", "leaky", "c1", "C1"}).exit_code == 0);
  REQUIRE(run_clean(s, {"map", "customer", "leaky", "c2", "C2"}).exit_code == 0);
  REQUIRE(run_clean(s, {"map", "product", "leaky", "SKU1", "EDR"}).exit_code == 0);
  auto names = run_clean(s, {"map", "list"});
  CHECK_THAT(names.out, Catch::Contains("Acme ***"));
  auto psa = run_clean(s, {"psa", "list"});
  CHECK_THAT(psa.out, Catch::Contains("ACME Dental ***"));

  auto collected = run_clean(s, {"--log-level", "debug", "collect", "--date", "2026-11-10"});
  CHECK_THAT(collected.out, Catch::Contains("row signed with *** is malformed"));
  CHECK_THAT(collected.err, Catch::Contains("collecting 2026-11-10 with ***"));
  json collected_json =
      parse_stdout(run_clean(s, {"collect", "--date", "2026-11-10", "--format", "json"}));
  CHECK(collected_json["days"][0]["rejected"][0]["file"] == "export-***.csv");

  json plan = parse_stdout(run_clean(s, {"plan", "--period", "2026-11", "--format", "json"}));
  CHECK_FALSE(plan["lines"].empty());
  run_clean(s, {"plan", "--period", "2026-11"});

  auto synced =
      run_clean(s, {"--log-level", "debug", "sync", "--period", "2026-11", "--format", "json"});
  json report = parse_stdout(synced);
  bool written = false, refused = false;
  for (const auto& sink_report : report["sinks"]) {
    for (const auto& l : sink_report["lines"]) {
      if (l["company"] == "C1") {
        written = true;
        CHECK(l["action"] == "create");
        CHECK(l["message"] == "written with api key ***");
      }
      if (l["company"] == "C2") {
        refused = true;
        CHECK(l["action"] == "error");
        CHECK(l["message"] == "company C2 lookup refused for api key ***");
      }
    }
  }
  CHECK(written);
  CHECK(refused);
  CHECK_THAT(synced.err, Catch::Contains("sink connecting with api key ***"));
  // Again, as a table: the sink now reads back what it wrote (its ref holds the secret).
  auto again = run_clean(s, {"sync", "--period", "2026-11"});
  CHECK_THAT(again.out, Catch::Contains("company C2 lookup refused for api key ***"));

  auto journal = run_clean(s, {"journal", "--period", "2026-11"});
  CHECK(journal.exit_code == 0);
  json journal_json =
      parse_stdout(run_clean(s, {"journal", "--period", "2026-11", "--format", "json"}));
  CHECK_THAT(journal_json.dump(), Catch::Contains("written with api key ***"));
  CHECK_THAT(journal_json.dump(), Catch::Contains("ref-***"));

  for (const std::string format : {"table", "csv", "json"}) {
    auto reconcile =
        run_clean(s, {"report", "reconcile", "--period", "2026-11", "--format", format});
    CHECK(reconcile.exit_code == 0);
    if (format == "json") parse_stdout(reconcile);
  }

  const std::string stored = s.stored_bytes();
  check_no_secret("the store", stored);
  CHECK_THAT(stored, Catch::Contains("Acme ***"));
  CHECK_THAT(stored, Catch::Contains("written with api key ***"));
}

TEST_CASE("plain http to a remote host is refused, naming the instance, with no secret shown") {
  // A short connect timeout: were the request sent, the test would still end quickly.
  LeakyScenario s("secrets-http", {{"leaky", source()}}, {{"connect_timeout_ms", 500}});
  auto fetch = run_clean(s, {"plugins", "call", "leaky", "fetch"});
  CHECK(fetch.exit_code == 2);  // MB_E_CONFIG: the operator fixes the config
  CHECK_THAT(fetch.err, Catch::Contains("instance 'leaky': refusing plain "
                                        "http://198.51.100.7/v1/***/usage (credentials would cross "
                                        "the network unencrypted); use https:// or set "
                                        "http.allow_insecure: true"));
}

TEST_CASE("http.allow_insecure: true lets plain http reach a remote host") {
  // The "remote host" is reached through a proxy on loopback that answers for it.
  std::string seen;
  LoopbackServer<> proxy;
  proxy.server().Get(R"(.*)", [&](const httplib::Request& req, httplib::Response& res) {
    seen = req.target;
    res.set_content("{}", "application/json");
  });
  proxy.start();
  LeakyScenario s("secrets-http-allowed",
                  {{"leaky", source({{"base_url", "http://vendor.invalid"}})}},
                  {{"allow_insecure", true}});
  auto fetch = s.run({"plugins", "call", "leaky", "fetch"},
                     {"http_proxy=" + proxy.url(), "no_proxy=", "NO_PROXY="});
  INFO("stderr: " << fetch.err);
  CHECK(fetch.exit_code == 0);
  CHECK(parse_stdout(fetch)["status"] == 200);
  CHECK(seen.rfind("http://vendor.invalid/v1/", 0) == 0);
}
