// The SDK's one classification of non-2xx HTTP answers, which every plugin uses.
#include <catch2/catch.hpp>

#include <meterbridge/http_failure.hpp>

using meterbridge::classify_http_failure;
using meterbridge::HttpCall;
using meterbridge::HttpResponse;

namespace {
HttpResponse answer(int32_t status, std::map<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  return r;
}
HttpCall call(bool write = false) {
  HttpCall c;
  c.service = "Acme";
  c.what = "GET /v1/devices?page=2";
  c.write = write;
  c.detail = "E42: quota";
  c.auth_hint = "check api_key";
  c.forbidden_hint = "grant the role Devices";
  c.config_hint = "check api_url";
  return c;
}
}  // namespace

TEST_CASE("HTTP answers map to the error class that tells the operator what to do") {
  auto f = classify_http_failure(answer(401), call());
  CHECK(f.status == MB_E_AUTH);
  CHECK(f.message ==
        "Acme refused the credentials for GET /v1/devices?page=2 (HTTP 401, E42: quota); check "
        "api_key");
  f = classify_http_failure(answer(403), call());
  CHECK(f.status == MB_E_AUTH);
  CHECK(f.message.find("grant the role Devices") != std::string::npos);
  HttpCall no_forbidden_hint = call();
  no_forbidden_hint.forbidden_hint.clear();
  CHECK(classify_http_failure(answer(403), no_forbidden_hint).message.find("check api_key") !=
        std::string::npos);

  f = classify_http_failure(answer(429, {{"retry-after", "30"}}), call());
  CHECK(f.status == MB_E_RATE_LIMITED);
  CHECK(f.message.find("Retry-After 30") != std::string::npos);
  CHECK(classify_http_failure(answer(429), call()).message.find("Retry-After") ==
        std::string::npos);

  for (int32_t s : {500, 502, 503, 599, 100}) {
    f = classify_http_failure(answer(s), call());
    CHECK(f.status == MB_E_TRANSIENT);
    CHECK(f.message.find("HTTP " + std::to_string(s)) != std::string::npos);
    CHECK(f.message.find("a later run will try again") != std::string::npos);
  }
  f = classify_http_failure(answer(302), call());
  CHECK(f.status == MB_E_CONFIG);
  CHECK(f.message.find("redirect") != std::string::npos);
  CHECK(f.message.find("check api_url") != std::string::npos);
}

TEST_CASE("404 and other 4xx: a config error on a read, one refused request on a write") {
  for (int32_t s : {400, 404, 409, 422}) {
    auto read = classify_http_failure(answer(s), call(false));
    CHECK(read.status == MB_E_CONFIG);
    CHECK(read.message.find("check api_url") != std::string::npos);
    auto write = classify_http_failure(answer(s), call(true));
    CHECK(write.status == MB_E_INVALID_ARGUMENT);
    CHECK(write.message.find("E42: quota") != std::string::npos);
    CHECK(write.message.find("check api_url") == std::string::npos);
  }
  meterbridge::Error e = meterbridge::http_failure(answer(404), call());
  CHECK(e.status() == MB_E_CONFIG);
  CHECK(std::string(e.what()).find("GET /v1/devices?page=2") != std::string::npos);
}
