// The SDK's testing kit itself: PluginHarness refuses settings as the host does, FakeHost resolves
// secret references, records requests, answers scripts and routes, emulates the host's retries
// and cancels after N requests. Driven through a small plugin declared here.
#include <catch2/catch.hpp>

#include <meterbridge/http_failure.hpp>
#include <meterbridge/testing.hpp>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using meterbridge::HttpRequest;
using meterbridge::HttpResponse;
using meterbridge::json;
using meterbridge::testing::FakeHost;
using meterbridge::testing::no_answer;
using meterbridge::testing::Outcome;
using meterbridge::testing::PluginHarness;
using meterbridge::testing::reply;
using meterbridge::testing::reply_json;

namespace {

int g_instances = 0;  // how many times the plugin's constructor ran

const std::string kApi = "https://acme.test";

// A source over a paged REST API, with a settings schema that uses most of the subset.
class AcmeSource : public meterbridge::SourcePlugin {
 public:
  AcmeSource(meterbridge::Host host, const json& settings)
      : host_(host), api_url_(settings.at("api_url").get<std::string>()) {
    ++g_instances;
  }

  static void validate_settings(const json& settings) {
    const std::string url = settings.value("api_url", "");
    if (!url.empty() && url.back() == '/')
      throw meterbridge::config_error("setting 'api_url' must not end with '/'");
  }

  json check() override {
    HttpResponse r = host_.http(request("GET", "/v1/ping"));
    if (r.status != 200) {
      meterbridge::HttpCall call;
      call.service = "Acme";
      call.what = "GET /v1/ping";
      throw meterbridge::http_failure(r, call);
    }
    return {{"attempts", r.attempts}};
  }

  json discover() override {
    json customers = json::array();
    for (int page = 1;; ++page) {
      host_.throw_if_cancelled();
      HttpResponse r = host_.http(request("GET", "/v1/clients?page=" + std::to_string(page)));
      json body = r.json_body();
      for (const auto& c : body.at("clients")) customers.push_back(c);
      if (!body.value("next", false)) break;
    }
    return {{"customers", customers}, {"products", json::array()}};
  }

  json collect(const std::string& date) override {
    HttpRequest q = request("POST", "/v1/usage");
    q.headers["content-type"] = "application/json";
    q.body = json{{"date", date}}.dump();
    q.timeout_ms = 5000;
    q.max_attempts = 2;
    q.retry_unsafe = true;
    host_.http(q);
    return {{"records", json::array()}};
  }

  // "call": one request as asked, answering what came back.
  json invoke(const std::string& op, const json& req) override {
    if (op != "call") return SourcePlugin::invoke(op, req);
    HttpRequest q = request(req.value("method", "GET"), req.value("path", "/v1/ping"));
    q.retry_unsafe = req.value("retry_unsafe", false);
    q.max_attempts = req.value("max_attempts", 0);
    HttpResponse r = host_.http(q);
    return {{"status", r.status}, {"attempts", r.attempts}, {"body", r.body}};
  }

 private:
  HttpRequest request(const std::string& method, const std::string& path) const {
    HttpRequest q;
    q.method = method;
    q.url = api_url_ + path;
    q.headers["authorization"] = "Bearer " + host_.secret("api_key");
    return q;
  }

  meterbridge::Host host_;
  std::string api_url_;
};

}  // namespace

MB_DECLARE_PLUGIN(AcmeSource, MB_KIND_SOURCE, "acme-kit", "0.0.1", "testing-kit fixture", R"({
  "type": "object",
  "additionalProperties": false,
  "required": ["api_url", "region", "api_key"],
  "properties": {
    "api_url": {"type": "string", "pattern": "^https://"},
    "region": {"type": "string", "enum": ["eu", "us"]},
    "api_key": {"type": "string", "minLength": 1, "x-secret": true},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 100}
  }
})")

namespace {

json settings(json extra = json::object()) {
  json s = {{"api_url", kApi}, {"region", "eu"}, {"api_key", "${env:ACME_KIT_KEY}"}};
  for (const auto& [k, v] : extra.items()) s[k] = v;
  return s;
}

// A harness whose secret comes from the FakeHost's map, as most plugin tests do it.
struct Kit {
  FakeHost host;
  PluginHarness plugin{host};
  Kit() {
    host.secrets["api_key"] = "k-map";
    REQUIRE(plugin.create(settings()).ok());
  }
  Outcome call(json request = json::object()) { return plugin.invoke("call", request); }
};

}  // namespace

TEST_CASE("kit: settings without a required key are refused before create, with the path") {
  FakeHost host;
  PluginHarness plugin(host);  // no entry point to pass: testing.hpp declares it
  const int before = g_instances;
  json s = settings();
  s.erase("api_key");
  Outcome o = plugin.create(s);
  CHECK(o.status == MB_E_CONFIG);
  CHECK(o.message ==
        "instance 'test': settings refused:\n"
        "  /plugins/test/settings: missing required setting 'api_key'");
  CHECK(g_instances == before);
  CHECK_THROWS_AS(plugin.check(), std::logic_error);
}

TEST_CASE("kit: a pattern mismatch names the setting path, and every problem is listed") {
  FakeHost host;
  PluginHarness plugin(host);
  plugin.instance_name = "acme-eu";
  Outcome o = plugin.create(
      settings({{"api_url", "http://acme.test"}, {"region", "apac"}, {"colour", "blue"}}));
  CHECK(o.status == MB_E_CONFIG);
  CHECK_THAT(o.message,
             Catch::StartsWith("instance 'acme-eu': settings refused:") &&
                 Catch::Contains("\n  /plugins/acme-eu/settings/api_url: expected a string "
                                 "matching \"^https://\", found string \"http://acme.test\"") &&
                 Catch::Contains("\n  /plugins/acme-eu/settings/region: expected one of "
                                 "[\"eu\",\"us\"], found string \"apac\"") &&
                 Catch::Contains("\n  /plugins/acme-eu/settings/colour: unknown setting 'colour'"));
  // The same checks alone, without create.
  CHECK(plugin.validate(settings({{"page_size", 0}})).message ==
        "instance 'acme-eu': settings refused:\n"
        "  /plugins/acme-eu/settings/page_size: expected a number >= 1, found 0");
  CHECK(plugin.validate(settings()).ok());
}

TEST_CASE("kit: a plain-text secret is refused like the host does, and never repeated") {
  FakeHost host;
  PluginHarness plugin(host);
  const int before = g_instances;
  Outcome o = plugin.create(settings({{"api_key", "hunter2-plain"}}));
  CHECK(o.status == MB_E_CONFIG);
  CHECK_THAT(o.message, Catch::Contains("/plugins/test/settings/api_key: a secret must be given "
                                        "as a reference ${env:NAME} or ${file:PATH}"));
  CHECK(o.message.find("hunter2") == std::string::npos);
  CHECK(g_instances == before);
  CHECK(plugin.validate(settings({{"api_key", "${file:keys/acme.key}"}})).ok());
}

TEST_CASE("kit: the plugin's validate_settings runs after the schema, as in the host") {
  FakeHost host;
  PluginHarness plugin(host);
  Outcome o = plugin.create(settings({{"api_url", "https://acme.test/"}}));
  CHECK(o.status == MB_E_CONFIG);
  CHECK(o.message ==
        "instance 'test': settings refused:\n"
        "  /plugins/test/settings: setting 'api_url' must not end with '/'");
  // The hook alone keeps its own message; create_unchecked skips the host's checks.
  CHECK(plugin.validate_settings(settings({{"api_url", "https://acme.test/"}})).message ==
        "setting 'api_url' must not end with '/'");
  CHECK(plugin.create_unchecked(settings({{"api_key", "plain"}})).ok());
}

TEST_CASE("kit: secret_get resolves the settings' ${env:} and ${file:} references") {
  FakeHost host;
  PluginHarness plugin(host);
  host.script({reply(200), reply(200), reply(200)});

  REQUIRE(setenv("ACME_KIT_KEY", "k-from-env", 1) == 0);
  REQUIRE(plugin.create(settings()).ok());
  REQUIRE(plugin.check().ok());
  CHECK(host.requests.at(0).headers.at("authorization") == "Bearer k-from-env");
  CHECK(host.resolved_secrets.at("api_key") == "k-from-env");

  // A file reference relative to secret_base_dir; its trailing newline is not part of it.
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mb-kit-" + std::to_string(static_cast<long>(getpid())));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "acme.key") << "k-from-file\r\n";
  host.secret_base_dir = dir;
  REQUIRE(plugin.create(settings({{"api_key", "${file:acme.key}"}})).ok());
  REQUIRE(plugin.check().ok());
  CHECK(host.requests.at(1).headers.at("authorization") == "Bearer k-from-file");
  std::filesystem::remove_all(dir);

  // The secrets map wins over the reference.
  host.secrets["api_key"] = "k-map";
  REQUIRE(plugin.create(settings()).ok());
  REQUIRE(plugin.check().ok());
  CHECK(host.requests.at(2).headers.at("authorization") == "Bearer k-map");

  // An unset variable is the host's config error, naming the variable.
  host.secrets.clear();
  REQUIRE(unsetenv("ACME_KIT_KEY") == 0);
  REQUIRE(plugin.create(settings()).ok());
  Outcome unset = plugin.check();
  CHECK(unset.status == MB_E_CONFIG);
  CHECK(unset.message == "setting 'api_key': environment variable ACME_KIT_KEY is not set");
}

TEST_CASE("kit: a scripted 429 then 200 reaches the plugin as is, without retry emulation") {
  Kit k;
  k.host.script({reply(429, "", {{"Retry-After", "1"}}), reply_json(200, {{"ok", true}})});
  Outcome first = k.call();
  REQUIRE(first.ok());
  CHECK(first.answer["status"] == 429);
  CHECK(first.answer["attempts"] == 1);
  Outcome second = k.call();
  REQUIRE(second.ok());
  CHECK(second.answer["status"] == 200);
  CHECK(json::parse(second.answer["body"].get<std::string>()) == json{{"ok", true}});
  CHECK(k.host.requests.size() == 2);
  CHECK(k.host.replies_left() == 0);
}

TEST_CASE("kit: with host-retry emulation, 429 then 200 is one request of two attempts") {
  Kit k;
  k.host.emulate_host_retries = true;
  k.host.script({reply(429, "", {{"retry-after", "1"}}), reply(200, "done")});
  Outcome o = k.call({{"method", "POST"}});  // a 429 is retried for every method
  REQUIRE(o.ok());
  CHECK(o.answer["status"] == 200);
  CHECK(o.answer["attempts"] == 2);
  CHECK(k.host.requests.size() == 1);
  CHECK(k.host.attempts == std::vector<int32_t>{2});
}

TEST_CASE("kit: host-retry emulation follows PROTOCOL.md section 7") {
  Kit k;
  k.host.emulate_host_retries = true;

  // 5xx: a POST is answered at once, unless retry_unsafe; a GET is retried.
  k.host.script({reply(503), reply(200)});
  CHECK(k.call({{"method", "POST"}}).answer["status"] == 503);
  CHECK(k.call({{"method", "POST"}, {"retry_unsafe", true}}).answer["status"] == 200);
  k.host.script({reply(500), reply(502), reply(200)});
  Outcome get = k.call();
  CHECK(get.answer["status"] == 200);
  CHECK(get.answer["attempts"] == 3);

  // max_attempts bounds the retries; the last answer is returned.
  k.host.script({reply(503), reply(503), reply(200)});
  Outcome bounded = k.call({{"max_attempts", 2}});
  CHECK(bounded.answer["status"] == 503);
  CHECK(bounded.answer["attempts"] == 2);
  CHECK(k.host.replies_left() == 1);
  CHECK(k.call().answer["status"] == 200);  // the reply left over

  // No answer: retried for a GET up to the default 4 attempts, never for a POST.
  k.host.script(
      {no_answer("timeout"), no_answer("timeout"), no_answer("timeout"), no_answer("timeout")});
  Outcome lost = k.call({{"path", "/v1/ping?x=1"}});
  CHECK(lost.status == MB_E_TRANSIENT);
  CHECK(lost.message == "GET https://acme.test/v1/ping: no response after 4 attempts: timeout");
  k.host.script({no_answer("reset")});
  Outcome post = k.call({{"method", "POST"}});
  CHECK(post.status == MB_E_TRANSIENT);
  CHECK(post.message ==
        "POST https://acme.test/v1/ping: reset (not retried: POST is not idempotent)");

  // A Retry-After beyond the host's cap ends the retries.
  k.host.script({reply(429, "", {{"retry-after", "3600"}}), reply(200)});
  CHECK(k.call().answer["status"] == 429);
  CHECK(k.host.replies_left() == 1);
}

TEST_CASE("kit: a two-page listing answered by routes") {
  Kit k;
  k.host.route("GET", kApi + "/v1/clients?page=2",
               {reply_json(200, {{"clients", json::array({{{"id", "c3"}, {"name", "Gamma"}}})}})});
  k.host.route("GET", kApi + "/v1/clients?page=1",
               {reply_json(200, {{"clients", json::array({{{"id", "c1"}, {"name", "Alpha"}},
                                                          {{"id", "c2"}, {"name", "Beta"}}})},
                                 {"next", true}})});
  Outcome o = k.plugin.invoke("discover");
  REQUIRE(o.ok());
  REQUIRE(o.answer["customers"].size() == 3);
  CHECK(o.answer["customers"][2]["id"] == "c3");
  REQUIRE(k.host.requests.size() == 2);
  CHECK(k.host.requests[0].url == kApi + "/v1/clients?page=1");
  CHECK(k.host.requests[1].url == kApi + "/v1/clients?page=2");
  CHECK(k.host.replies_left() == 0);

  // Routes are tried before the script; an unmatched request names itself.
  k.host.script({reply(204)});
  k.host.route("GET", kApi + "/v1/ping", {reply(200)});
  CHECK(k.call().answer["status"] == 200);
  CHECK(k.call().answer["status"] == 204);
  Outcome unmatched = k.call({{"path", "/v1/other"}});
  CHECK(unmatched.status == MB_E_TRANSIENT);
  CHECK(unmatched.message ==
        "FakeHost: nothing answers GET https://acme.test/v1/other: no route matches it, the "
        "script is exhausted after 1 reply and no http_handler is set");
  Outcome used_up = k.call();
  CHECK_THAT(used_up.message, Catch::Contains("GET https://acme.test/v1/ping: its route's "
                                              "replies are used up"));
  CHECK(k.host.unanswered == std::vector<std::string>{"GET https://acme.test/v1/other",
                                                      "GET https://acme.test/v1/ping"});
}

TEST_CASE("kit: every field of a request is recorded") {
  Kit k;
  k.host.script({reply(202)});
  REQUIRE(k.plugin.invoke("collect", {{"date", "2026-03-01"}}).ok());
  REQUIRE(k.host.requests.size() == 1);
  const HttpRequest& r = k.host.requests[0];
  CHECK(r.method == "POST");
  CHECK(r.url == kApi + "/v1/usage");
  CHECK(r.headers == std::map<std::string, std::string>{{"authorization", "Bearer k-map"},
                                                        {"content-type", "application/json"}});
  CHECK(r.body == R"({"date":"2026-03-01"})");
  CHECK(r.timeout_ms == 5000);
  CHECK(r.max_attempts == 2);
  CHECK(r.retry_unsafe);
  CHECK(k.host.attempts == std::vector<int32_t>{1});
}

TEST_CASE("kit: an exhausted script fails the request with a message naming it") {
  Kit k;
  k.host.script({reply(200)});
  REQUIRE(k.call().ok());
  Outcome o = k.call({{"method", "DELETE"}, {"path", "/v1/clients/7"}});
  CHECK(o.status == MB_E_TRANSIENT);
  CHECK(o.message ==
        "FakeHost: nothing answers DELETE https://acme.test/v1/clients/7: no route matches it, "
        "the script is exhausted after 1 reply and no http_handler is set");
  CHECK(k.host.requests.size() == 2);

  // An http_handler answers what the scripts leave, as it always did.
  k.host.http_handler = [](const HttpRequest& r) {
    HttpResponse resp;
    resp.status = r.method == "DELETE" ? 204 : 400;
    return resp;
  };
  CHECK(k.call({{"method", "DELETE"}}).answer["status"] == 204);
}

TEST_CASE("kit: reply helpers lower-case header names and type JSON bodies") {
  auto r = reply(301, "moved", {{"Location", "https://elsewhere.test/"}});
  CHECK(r.response.headers ==
        std::map<std::string, std::string>{{"location", "https://elsewhere.test/"}});
  CHECK(r.response.body == "moved");
  auto j = reply_json(201, {{"id", 5}});
  CHECK(j.response.status == 201);
  CHECK(j.response.headers.at("content-type") == "application/json");
  CHECK(j.response.body == R"({"id":5})");
  CHECK(reply_json(200, json::array(), {{"Content-Type", "application/vnd.acme+json"}})
            .response.headers.at("content-type") == "application/vnd.acme+json");
}

TEST_CASE("kit: cancel_after_requests cancels between pages") {
  Kit k;
  for (int page = 1; page <= 3; ++page) {
    k.host.route("GET", kApi + "/v1/clients?page=" + std::to_string(page),
                 {reply_json(200, {{"clients", json::array()}, {"next", true}})});
  }
  k.host.cancel_after_requests = 2;
  Outcome o = k.plugin.invoke("discover");
  CHECK(o.status == MB_E_CANCELLED);
  CHECK(k.host.requests.size() == 2);
  CHECK(k.host.cancelled.load());
  CHECK(k.host.replies_left() == 1);
}
