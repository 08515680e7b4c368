// The SDK's request builder and API client (http.hpp): URLs, call names, headers, error
// classes, and the resend after a renewed token. The FakeHost stands in for the host.
#include <catch2/catch.hpp>

#include <meterbridge/http.hpp>
#include <meterbridge/testing.hpp>

using meterbridge::ApiClient;
using meterbridge::Error;
using meterbridge::HttpRequest;
using meterbridge::HttpResponse;
using meterbridge::json;
using meterbridge::testing::FakeHost;

namespace {

HttpResponse answer(int32_t status, std::string body = "{}",
                    std::map<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// The status and message of what `send` throws; status MB_OK when it did not throw.
template <class Send>
std::pair<mb_status, std::string> failure_of(Send&& send) {
  try {
    send();
  } catch (const Error& e) {
    return {e.status(), e.what()};
  }
  return {MB_OK, ""};
}

struct Bed {
  FakeHost fake;
  ApiClient acme{meterbridge::Host(fake.table()), "Acme", "https://api.acme.test/base/"};
  Bed() {
    acme.headers["X-Api-Key"] = "k-123";
    acme.auth_hint = "check api_key";
    acme.config_hint = "check api_url";
  }
  void reply(HttpResponse r) {
    fake.http_handler = [r](const HttpRequest&) { return r; };
  }
};

}  // namespace

TEST_CASE("api client: segments and query values are percent-encoded one by one") {
  Bed b;
  auto req = b.acme.get("v1", "clients", "a/b c?", 42).query("name", "Müller & Co").query("n", 7);
  CHECK(req.url() ==
        "https://api.acme.test/base/v1/clients/a%2Fb%20c%3F/42?name=M%C3%BCller%20%26%20Co&n=7");
  CHECK(req.what() == "GET /base/v1/clients/a%2Fb%20c%3F/42?name=M%C3%BCller%20%26%20Co&n=7");
  auto keyed = b.acme.get("v1").secret_query("key", "s3cret").query("page", 2);
  CHECK(keyed.url() == "https://api.acme.test/base/v1?key=s3cret&page=2");
  CHECK(keyed.what() == "GET /base/v1?key=***&page=2");
  CHECK_FALSE(req.is_write());
  CHECK(b.acme.patch("v1").is_write());
}

TEST_CASE("api client: default headers, request headers and bodies reach the host") {
  Bed b;
  b.reply(answer(200, R"({"ok": true})"));
  auto r = b.acme.post("v1", "items")
               .header("X-Api-Key", "override")
               .json_body({{"n", 1}})
               .max_attempts(1)
               .timeout_ms(1500)
               .send();
  REQUIRE(b.fake.requests.size() == 1);
  const HttpRequest& sent = b.fake.requests[0];
  CHECK(sent.method == "POST");
  CHECK(sent.url == "https://api.acme.test/base/v1/items");
  CHECK(sent.headers.at("X-Api-Key") == "override");
  CHECK(sent.headers.at("Accept") == "application/json");
  CHECK(sent.headers.at("Content-Type") == "application/json");
  CHECK(json::parse(sent.body) == json{{"n", 1}});
  CHECK(r.json()["ok"] == true);
  CHECK(r.call == "POST /base/v1/items");

  b.acme.post("token").form_body({{"grant_type", "password"}, {"user", "a b&c"}}).send();
  CHECK(b.fake.requests[1].body == "grant_type=password&user=a%20b%26c");
  CHECK(b.fake.requests[1].headers.at("Content-Type") == "application/x-www-form-urlencoded");
}

TEST_CASE("api client: every non-2xx status gets its class and names the call") {
  Bed b;
  b.reply(answer(401, R"({"error": "invalid api key"})"));
  auto [status, message] = failure_of([&] { b.acme.get("v1", "clients").query("page", 2).send(); });
  CHECK(status == MB_E_AUTH);
  CHECK(message ==
        "Acme refused the credentials for GET /base/v1/clients?page=2 (HTTP 401, invalid api key); "
        "check api_key");

  b.reply(answer(429, "", {{"retry-after", "7"}}));
  std::tie(status, message) = failure_of([&] { b.acme.get("v1").send(); });
  CHECK(status == MB_E_RATE_LIMITED);
  CHECK(message.find("Retry-After 7") != std::string::npos);

  b.reply(answer(503, R"({"errors": [{"message": "down"}, "later"]})"));
  std::tie(status, message) = failure_of([&] { b.acme.get("v1").send(); });
  CHECK(status == MB_E_TRANSIENT);
  CHECK(message.find("(HTTP 503, down; later)") != std::string::npos);

  b.reply(answer(404));
  std::tie(status, message) = failure_of([&] { b.acme.get("v1", "x").send(); });
  CHECK(status == MB_E_CONFIG);  // a read: the settings point at something wrong
  CHECK(message.find("check api_url") != std::string::npos);
  std::tie(status, message) = failure_of([&] { b.acme.post("v1", "x").send(); });
  CHECK(status == MB_E_INVALID_ARGUMENT);                  // a write: this one request was refused
  CHECK(b.acme.get("v1", "x").send({404}).status == 404);  // handled by the caller
}

TEST_CASE("api client: json() names the call when the body is not JSON") {
  Bed b;
  b.reply(answer(200, "<html>maintenance</html>"));
  auto [status, message] = failure_of([&] { b.acme.get("v1", "clients").send().json(); });
  CHECK(status == MB_E_TRANSIENT);
  CHECK(message.find("Acme answered GET /base/v1/clients with a body that is not JSON (HTTP 200") ==
        0);
}

TEST_CASE("api client: a 401 renews credentials once through on_unauthorized") {
  Bed b;
  int token = 1, renewals = 0;
  b.acme.authorize = [&](HttpRequest& r) {
    r.headers["Authorization"] = "Bearer t" + std::to_string(token);
  };
  b.acme.on_unauthorized = [&] {
    ++renewals;
    ++token;
    return true;
  };
  b.fake.http_handler = [](const HttpRequest& r) {
    return answer(r.headers.at("Authorization") == "Bearer t2" ? 200 : 401);
  };
  CHECK(b.acme.get("v1").send().status == 200);
  CHECK(renewals == 1);
  CHECK(b.fake.requests.size() == 2);

  b.fake.http_handler = [](const HttpRequest&) { return answer(401); };
  CHECK(failure_of([&] { b.acme.get("v1").send(); }).first == MB_E_AUTH);
  CHECK(renewals == 2);  // one resend per request, never a loop
}

TEST_CASE("api client: no answer and cancellation") {
  Bed b;
  b.fake.http_handler = [](const HttpRequest&) -> HttpResponse {
    throw meterbridge::transient_error("connection refused");
  };
  try {
    b.acme.post("v1", "orders").send();
    FAIL("no exception");
  } catch (const meterbridge::NoResponseError& e) {
    CHECK(std::string(e.what()).find("Acme did not answer POST /base/v1/orders") == 0);
  }
  b.fake.requests.clear();
  b.fake.cancelled = true;
  CHECK(failure_of([&] { b.acme.get("v1").send(); }).first == MB_E_CANCELLED);
  CHECK(b.fake.requests.empty());
}

TEST_CASE("api client: error details from the common body shapes") {
  using meterbridge::default_error_detail;
  CHECK(default_error_detail(answer(400, R"({"message": "bad page"})")) == "bad page");
  CHECK(default_error_detail(answer(400, R"({"error": {"message": "nested"}})")) == "nested");
  CHECK(default_error_detail(answer(
            400, R"({"error": "invalid_grant", "error_description": "expired"})")) == "expired");
  CHECK(default_error_detail(answer(400, R"({"errors": ["a", {"message": "b"}]})")) == "a; b");
  CHECK(default_error_detail(answer(400, "not json")).empty());
  CHECK(meterbridge::url_origin("HTTPS://Api.Acme.test:8443/v1?x") == "https://api.acme.test:8443");
  CHECK(meterbridge::url_target("https://api.acme.test") == "/");
}

TEST_CASE("api client: base64 and Basic credentials follow RFC 4648 and RFC 7617") {
  using meterbridge::base64_encode;
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
  CHECK(meterbridge::basic_auth("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST_CASE("api client: a read-only POST, a vendor classifier and the status in HttpError") {
  Bed b;
  b.reply(answer(404));
  // A query endpoint answering 4xx points at wrong settings, like a GET.
  CHECK(failure_of([&] { b.acme.post("v1", "query").as_read().send(); }).first == MB_E_CONFIG);
  try {
    b.acme.post("v1", "orders").send();
    FAIL("no exception");
  } catch (const meterbridge::HttpError& e) {
    CHECK(e.http_status() == 404);
    CHECK(e.status() == MB_E_INVALID_ARGUMENT);
  }
  b.acme.classify = [](const meterbridge::ApiResponse& r,
                       const meterbridge::ApiRequest&) -> std::optional<Error> {
    if (r.status == 500 && r.body.find("validation") != std::string::npos)
      return Error(MB_E_INVALID_ARGUMENT, "Acme refused " + r.call + " as invalid");
    return std::nullopt;
  };
  b.reply(answer(500, R"({"errors": ["validation failed"]})"));
  auto [status, message] = failure_of([&] { b.acme.post("v1", "orders").send(); });
  CHECK(status == MB_E_INVALID_ARGUMENT);
  CHECK(message == "Acme refused POST /base/v1/orders as invalid");
  b.reply(answer(500, R"({"errors": ["database down"]})"));
  CHECK(failure_of([&] { b.acme.post("v1", "orders").send(); }).first == MB_E_TRANSIENT);
  // A next-page link is used exactly as the service wrote it.
  CHECK(b.acme.at("GET", "https://api.acme.test/v1/sites/").url() ==
        "https://api.acme.test/v1/sites/");
}

TEST_CASE("api client: a query added to a link that has one already is appended with '&'") {
  Bed b;
  CHECK(b.acme.at("GET", "https://api.acme.test/v1/sites?page=2").query("max", 50).url() ==
        "https://api.acme.test/v1/sites?page=2&max=50");
  CHECK(b.acme.get("v1", "sites").query("max", 50).query("page", 1).url() ==
        "https://api.acme.test/base/v1/sites?max=50&page=1");
}

TEST_CASE("api client: name_calls_by_path leaves the query out of every message") {
  Bed b;
  b.acme.name_calls_by_path = true;
  auto req = b.acme.get("v1", "usage").query("ids", "a,b,c").query("page", 2);
  CHECK(req.what_path() == "GET /base/v1/usage");
  b.reply(answer(200, "{}"));
  CHECK(req.send().call == "GET /base/v1/usage");
  b.reply(answer(500, R"({"message": "boom"})"));
  auto [status, message] = failure_of([&] { req.send(); });
  CHECK(status == MB_E_TRANSIENT);
  CHECK(message.find("GET /base/v1/usage (HTTP 500") != std::string::npos);
  CHECK(message.find("ids=") == std::string::npos);
  // A query written into the path (raw_path) is left out as well.
  CHECK(b.acme.get("v1").raw_path("usage?cids=a,b").what_path() == "GET /base/v1/usage");
  b.reply(answer(200, "not json"));
  auto [json_status, json_message] = failure_of([&] { req.send().json(); });
  CHECK(json_status == MB_E_TRANSIENT);
  CHECK(json_message.find("answered GET /base/v1/usage with a body that is not JSON") !=
        std::string::npos);
}
