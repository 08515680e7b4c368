// The host HTTP client over real loopback HTTP: retries, Retry-After, methods, timeouts,
// cancellation, proxies from the environment.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "loopback_server.hpp"
#include "services/http_client.hpp"
#include "services/redactor.hpp"

using meterbridge::host::HttpClient;
using meterbridge::host::HttpSettings;
using nlohmann::json;

namespace {

struct Recorder {
  std::vector<long long> waits_ms;
  HttpClient::Sleeper sleeper() {
    return [this](std::chrono::milliseconds d) { waits_ms.push_back(d.count()); };
  }
  long long total() const {
    long long t = 0;
    for (auto w : waits_ms) t += w;
    return t;
  }
};

json get(const std::string& url) {
  return {{"method", "GET"}, {"url", url}};
}
const std::function<bool()> kNeverCancelled = [] { return false; };

}  // namespace

TEST_CASE("a 200 answer comes back with status, lower-case headers and body") {
  LoopbackServer<> s;
  s.server().Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Trace", "abc");
    res.set_content("{\"hello\":\"" + req.get_header_value("X-Partner") + "\"}",
                    "application/json");
  });
  s.start();
  HttpClient client(HttpSettings{});
  json req = get(s.url() + "/hello");
  req["headers"] = {{"X-Partner", "p-1"}};
  auto out = client.perform(req, kNeverCancelled);
  REQUIRE(out.status == MB_OK);
  CHECK(out.response["status"] == 200);
  CHECK(out.response["headers"]["x-trace"] == "abc");
  CHECK(out.response["body"] == "{\"hello\":\"p-1\"}");
  CHECK(out.response["attempts"] == 1);
}

TEST_CASE("429 with Retry-After in seconds is retried after that many seconds") {
  std::atomic<int> calls{0};
  LoopbackServer<> s;
  s.server().Get("/limited", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      res.status = 429;
      res.set_header("Retry-After", "3");
      return;
    }
    res.set_content("ok", "text/plain");
  });
  s.start();
  Recorder rec;
  HttpClient client(HttpSettings{}, rec.sleeper());
  auto out = client.perform(get(s.url() + "/limited"), kNeverCancelled);
  REQUIRE(out.status == MB_OK);
  CHECK(out.response["status"] == 200);
  CHECK(out.response["attempts"] == 2);
  CHECK(rec.total() == 3000);
}

TEST_CASE("Retry-After as an HTTP-date is honoured") {
  auto now = std::chrono::system_clock::from_time_t(1700000000);  // Tue, 14 Nov 2023 22:13:20 GMT
  CHECK(HttpClient::parse_retry_after_ms("Tue, 14 Nov 2023 22:13:50 GMT", now) == 30000);
  CHECK(HttpClient::parse_retry_after_ms("120", now) == 120000);
  CHECK(HttpClient::parse_retry_after_ms("soon", now) == -1);
  CHECK(HttpClient::parse_retry_after_ms("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0);
}

TEST_CASE("a Retry-After beyond the allowed maximum is not waited for") {
  LoopbackServer<> s;
  s.server().Get("/slow-down", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "86400");
  });
  s.start();
  Recorder rec;
  HttpClient client(HttpSettings{}, rec.sleeper());
  auto out = client.perform(get(s.url() + "/slow-down"), kNeverCancelled);
  REQUIRE(out.status == MB_OK);
  CHECK(out.response["status"] == 429);
  CHECK(rec.waits_ms.empty());
}

TEST_CASE("503 then 200 is retried for GET with growing backoff, attempts are bounded") {
  std::atomic<int> calls{0};
  LoopbackServer<> s;
  s.server().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    res.status = ++calls < 3 ? 503 : 200;
  });
  s.server().Get("/down",
                 [&](const httplib::Request&, httplib::Response& res) { res.status = 500; });
  s.start();
  Recorder rec;
  HttpSettings settings;
  settings.max_attempts = 4;
  HttpClient client(settings, rec.sleeper());
  auto out = client.perform(get(s.url() + "/flaky"), kNeverCancelled);
  REQUIRE(out.status == MB_OK);
  CHECK(out.response["status"] == 200);
  CHECK(out.response["attempts"] == 3);

  calls = 0;
  auto down = client.perform(get(s.url() + "/down"), kNeverCancelled);
  REQUIRE(down.status == MB_OK);  // a response arrived: the plugin classifies the 500
  CHECK(down.response["status"] == 500);
  CHECK(down.response["attempts"] == 4);
}

TEST_CASE("POST is not retried on 5xx (it may have been applied) but is retried on 429") {
  std::atomic<int> posts{0};
  LoopbackServer<> s;
  s.server().Post("/create", [&](const httplib::Request&, httplib::Response& res) {
    ++posts;
    res.status = 502;
  });
  std::atomic<int> limited{0};
  s.server().Post("/limited", [&](const httplib::Request& req, httplib::Response& res) {
    if (++limited == 1) {
      res.status = 429;
      res.set_header("Retry-After", "1");
      return;
    }
    res.status = 201;
    res.set_content(req.body, "application/json");
  });
  s.start();
  Recorder rec;
  HttpClient client(HttpSettings{}, rec.sleeper());
  auto out = client.perform({{"method", "POST"}, {"url", s.url() + "/create"}, {"body", "{}"}},
                            kNeverCancelled);
  REQUIRE(out.status == MB_OK);
  CHECK(out.response["status"] == 502);
  CHECK(posts == 1);

  auto ok = client.perform(
      {{"method", "POST"}, {"url", s.url() + "/limited"}, {"body", "{\"q\":3}"}}, kNeverCancelled);
  REQUIRE(ok.status == MB_OK);
  CHECK(ok.response["status"] == 201);
  CHECK(ok.response["body"] == "{\"q\":3}");
  CHECK(limited == 2);

  posts = 0;
  auto unsafe = client.perform({{"method", "POST"},
                                {"url", s.url() + "/create"},
                                {"retry_unsafe", true},
                                {"max_attempts", 2}},
                               kNeverCancelled);
  CHECK(posts == 2);
  CHECK(unsafe.response["attempts"] == 2);
}

TEST_CASE("no server: a transient error after the bounded retries, naming the URL without query") {
  int port;
  {
    LoopbackServer<> s;
    s.start();
    port = s.port();
  }  // closed: nothing listens there now
  Recorder rec;
  HttpSettings settings;
  settings.max_attempts = 3;
  HttpClient client(settings, rec.sleeper());
  auto out = client.perform(get("http://127.0.0.1:" + std::to_string(port) + "/x?token=abc"),
                            kNeverCancelled);
  CHECK(out.status == MB_E_TRANSIENT);
  CHECK_THAT(out.error, Catch::Contains("GET http://127.0.0.1:" + std::to_string(port) + "/x") &&
                            Catch::Contains("after 3 attempts"));
  CHECK(out.error.find("token=abc") == std::string::npos);
  CHECK_FALSE(rec.waits_ms.empty());
}

TEST_CASE("a slow answer hits the total timeout") {
  LoopbackServer<> s;
  s.server().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.status = 200;
  });
  s.start();
  HttpSettings settings;
  settings.max_attempts = 1;
  HttpClient client(settings, [](std::chrono::milliseconds) {});
  json req = get(s.url() + "/slow");
  req["timeout_ms"] = 300;
  auto out = client.perform(req, kNeverCancelled);
  CHECK(out.status == MB_E_TRANSIENT);
  CHECK_THAT(out.error, Catch::Contains("imeout"));
}

TEST_CASE("cancellation stops the wait for a retry") {
  LoopbackServer<> s;
  s.server().Get("/busy", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "60");
  });
  s.start();
  std::atomic<bool> cancelled{false};
  HttpClient client(HttpSettings{}, [&](std::chrono::milliseconds) { cancelled = true; });
  auto out = client.perform(get(s.url() + "/busy"), [&] { return cancelled.load(); });
  CHECK(out.status == MB_E_CANCELLED);
}

TEST_CASE("malformed requests are refused before any network use") {
  HttpClient client(HttpSettings{});
  CHECK(client.perform({{"method", "FETCH"}, {"url", "http://x"}}, kNeverCancelled).status ==
        MB_E_INVALID_ARGUMENT);
  CHECK(client.perform({{"method", "GET"}, {"url", "ftp://x"}}, kNeverCancelled).status ==
        MB_E_INVALID_ARGUMENT);
  auto bad_header = client.perform(
      {{"method", "GET"}, {"url", "http://x"}, {"headers", {{"A", 1}}}}, kNeverCancelled);
  CHECK(bad_header.status == MB_E_INVALID_ARGUMENT);
  CHECK_THAT(bad_header.error, Catch::Contains("request.headers.A must be a string"));
  auto injected =
      client.perform({{"method", "GET"}, {"url", "http://x"}, {"headers", {{"A", "b\r\nEvil: 1"}}}},
                     kNeverCancelled);
  CHECK(injected.status == MB_E_INVALID_ARGUMENT);
}

TEST_CASE("http_proxy from the environment is used") {
  LoopbackServer<> proxy;
  std::string seen_target;
  proxy.server().Get(R"(.*)", [&](const httplib::Request& req, httplib::Response& res) {
    seen_target = req.target;
    res.set_content("via proxy", "text/plain");
  });
  proxy.start();
  setenv("http_proxy", proxy.url().c_str(), 1);
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  HttpSettings insecure;
  insecure.allow_insecure = true;  // plain http to a remote host: only when the config says so
  HttpClient client(insecure);
  auto out = client.perform(get("http://vendor.invalid/api/usage"), kNeverCancelled);
  unsetenv("http_proxy");
  REQUIRE(out.status == MB_OK);
  CHECK(out.response["body"] == "via proxy");
  CHECK(seen_target == "http://vendor.invalid/api/usage");
}

TEST_CASE("plain http to a remote host is refused before any connection, naming who and where") {
  // Were a connection made, it would go through this proxy and be counted.
  std::atomic<int> proxied{0};
  LoopbackServer<> proxy;
  proxy.server().Get(R"(.*)", [&](const httplib::Request&, httplib::Response& res) {
    ++proxied;
    res.set_content("via proxy", "text/plain");
  });
  proxy.start();
  setenv("http_proxy", proxy.url().c_str(), 1);
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  meterbridge::host::Redactor::global().add("key-4f9c2e71");
  HttpClient client(HttpSettings{});
  json req = get("http://vendor.invalid/v1/key-4f9c2e71/usage?api_key=key-4f9c2e71");
  req["headers"] = {{"Authorization", "Basic dXNlcjpwYXNz"}};
  auto out = client.perform(req, kNeverCancelled, "instance 'sophos-eu'");
  CHECK(out.status == MB_E_CONFIG);
  CHECK(out.error ==
        "instance 'sophos-eu': refusing plain http://vendor.invalid/v1/***/usage (credentials "
        "would cross the network unencrypted); use https:// or set http.allow_insecure: true");
  // Every method, and whatever the host's name looks like.
  for (const std::string url :
       {"http://10.0.0.8/x", "http://127.0.0.1.nip.io/x", "http://127.0.0.1@vendor.invalid/x",
        "http://localhost.vendor.invalid/"}) {
    INFO(url);
    json post = {{"method", "POST"}, {"url", url}, {"body", "{}"}};
    CHECK(client.perform(post, kNeverCancelled).status == MB_E_CONFIG);
  }
  CHECK(proxied == 0);

  HttpSettings insecure;
  insecure.allow_insecure = true;
  auto allowed = HttpClient(insecure).perform(get("http://vendor.invalid/x"), kNeverCancelled);
  unsetenv("http_proxy");
  CHECK(allowed.status == MB_OK);
  CHECK(proxied == 1);
}

TEST_CASE("loopback is 127.0.0.0/8, ::1 and the name localhost, as libcurl reads the URL") {
  for (const std::string url :
       {"http://127.0.0.1:8080/x", "http://127.9.8.7/", "http://localhost/", "http://LocalHost:1/",
        "http://localhost./x", "http://[::1]:8443/x", "http://[::ffff:127.0.0.1]/",
        "http://user:pw@127.0.0.1/x", "http://127.1/"}) {
    INFO(url);
    CHECK(HttpClient::is_loopback_url(url));
  }
  for (const std::string url :
       {"http://128.0.0.1/", "http://10.0.0.1/", "http://0.0.0.0/", "http://[::2]/",
        "http://[::ffff:10.0.0.1]/", "http://127.0.0.1.nip.io/", "http://127.0.0.1@vendor.invalid/",
        "http://vendor.invalid/?host=127.0.0.1", "http://api.localhost/", "http://localhostx/",
        "not a url"}) {
    INFO(url);
    CHECK_FALSE(HttpClient::is_loopback_url(url));
  }
}

TEST_CASE("plain http to loopback is served directly, by name too, never through a proxy") {
  std::atomic<int> proxied{0};
  LoopbackServer<> proxy;
  proxy.server().Get(R"(.*)", [&](const httplib::Request&, httplib::Response& res) {
    ++proxied;
    res.set_content("via proxy", "text/plain");
  });
  proxy.start();
  LoopbackServer<> s;
  s.server().Get("/local", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("direct", "text/plain");
  });
  s.start();
  setenv("http_proxy", proxy.url().c_str(), 1);
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  HttpClient client(HttpSettings{});
  auto by_address = client.perform(get(s.url() + "/local"), kNeverCancelled);
  auto by_name = client.perform(get("http://localhost:" + std::to_string(s.port()) + "/local"),
                                kNeverCancelled);
  unsetenv("http_proxy");
  REQUIRE(by_address.status == MB_OK);
  CHECK(by_address.response["body"] == "direct");
  REQUIRE(by_name.status == MB_OK);
  CHECK(by_name.response["body"] == "direct");
  CHECK(proxied == 0);
}

TEST_CASE("a redirect is answered to the plugin, never followed") {
  std::atomic<int> reached{0};
  LoopbackServer<> target;
  target.server().Get("/target", [&](const httplib::Request&, httplib::Response& res) {
    ++reached;
    res.set_content("followed", "text/plain");
  });
  target.start();
  LoopbackServer<> s;
  s.server().Get("/moved", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 302;
    res.set_header("Location", target.url() + "/target");
  });
  s.start();
  HttpClient client(HttpSettings{});
  auto out = client.perform(get(s.url() + "/moved"), kNeverCancelled);
  REQUIRE(out.status == MB_OK);
  CHECK(out.response["status"] == 302);
  CHECK(out.response["headers"]["location"] == target.url() + "/target");
  CHECK(reached == 0);
}

TEST_CASE("a cancelled read in flight is abandoned, a write in flight finishes with its answer") {
  LoopbackServer<> s;
  s.server().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    res.set_content("late", "text/plain");
  });
  std::atomic<int> posts{0};
  s.server().Post("/slow", [&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    ++posts;
    res.status = 201;
    res.set_content("{\"id\": 7}", "application/json");
  });
  s.start();
  HttpClient client(HttpSettings{}, [](std::chrono::milliseconds) {});
  // The host starts shutting down 200 ms into each request.
  auto cancel_soon = [] {
    auto at = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    return [at] { return std::chrono::steady_clock::now() >= at; };
  };
  auto start = std::chrono::steady_clock::now();
  auto read = client.perform(get(s.url() + "/slow"), cancel_soon());
  CHECK(read.status == MB_E_CANCELLED);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(700));
  json write = {{"method", "POST"}, {"url", s.url() + "/slow"}, {"body", "{}"}};
  auto written = client.perform(write, cancel_soon());
  REQUIRE(written.status == MB_OK);  // its outcome is known: the journal records a create
  CHECK(written.response["status"] == 201);
  CHECK(posts == 1);
}
