// The mb_host_api table, called the way a C plugin calls it.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <sstream>

#include <meterbridge/plugin.hpp>

#include "loopback_server.hpp"
#include "services/instance_services.hpp"
#include "services/logging.hpp"

using namespace meterbridge::host;

namespace {
std::string take(mb_buffer& b) {
  return meterbridge::detail::take_buffer(b);
}
mb_str S(const std::string& s) {
  return mb_str{s.data(), s.size()};
}
}  // namespace

TEST_CASE("the services table: state, secrets, clock, cancellation, log and http") {
  auto dir = std::filesystem::temp_directory_path() / ("mb-services-" + std::to_string(getpid()));
  StateStore state(dir / "state.sqlite");
  HttpClient http(HttpSettings{}, [](std::chrono::milliseconds) {});
  std::atomic<bool> cancelled{false};
  SharedServices shared{&http, &state, [] { return int64_t{1764000000000}; }, &cancelled};
  setenv("MB_TEST_CLIENT_SECRET", "cs-1234567890", 1);
  InstanceServices services(
      "sophos-eu", shared,
      {{"client_secret", "${env:MB_TEST_CLIENT_SECRET}"}, {"api_key", "${env:MB_TEST_UNSET_X}"}},
      dir);
  unsetenv("MB_TEST_UNSET_X");
  const mb_host_api* t = services.table();
  REQUIRE(t->struct_size == sizeof(mb_host_api));
  CHECK(t->abi_minor == MB_ABI_MINOR);

  mb_buffer b{};
  CHECK(t->state_get(t->host, S("cursor"), &b) == MB_E_NOT_FOUND);
  CHECK(take(b).empty());
  CHECK(t->state_put(t->host, S("cursor"), S("42")) == MB_OK);
  CHECK(t->state_get(t->host, S("cursor"), &b) == MB_OK);
  CHECK(take(b) == "42");

  CHECK(t->secret_get(t->host, S("client_secret"), &b) == MB_OK);
  CHECK(take(b) == "cs-1234567890");
  CHECK(t->secret_get(t->host, S("nope"), &b) == MB_E_NOT_FOUND);
  CHECK_THAT(take(b), Catch::Contains("no secret setting named 'nope'"));
  CHECK(t->secret_get(t->host, S("api_key"), &b) == MB_E_CONFIG);
  CHECK(take(b) ==
        "instance 'sophos-eu': setting 'api_key': environment variable MB_TEST_UNSET_X is not set");

  CHECK(t->now_unix_ms(t->host) == 1764000000000);
  CHECK(t->is_cancelled(t->host) == 0);
  cancelled = true;
  CHECK(t->is_cancelled(t->host) == 1);
  cancelled = false;

  std::ostringstream logs;
  configure_logging_to_stream(spdlog::level::trace, LogFormat::text, logs);
  t->log(t->host, MB_LOG_INFO, S("token is cs-1234567890"));
  t->log(t->host, 99, S("odd level"));
  CHECK_THAT(logs.str(), Catch::Contains("[sophos-eu] token is ***") &&
                             Catch::Contains("warning [sophos-eu] odd level"));
  configure_logging(spdlog::level::info, LogFormat::text);

  LoopbackServer<> s;
  s.server().Get("/whoami", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"id\":\"p\"}", "application/json");
  });
  s.start();
  const std::string req = nlohmann::json{{"method", "GET"}, {"url", s.url() + "/whoami"}}.dump();
  CHECK(t->http(t->host, S(req), &b) == MB_OK);
  auto answer = nlohmann::json::parse(take(b));
  CHECK(answer["status"] == 200);
  CHECK(answer["body"] == "{\"id\":\"p\"}");
  CHECK(t->http(t->host, S("{broken"), &b) == MB_E_INVALID_ARGUMENT);
  CHECK_THAT(take(b), Catch::Contains("not valid JSON"));
}
