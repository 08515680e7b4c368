// HealthServer over real loopback HTTP: the four routes, refusals, a throwing handler, binding.
#include <httplib.h>
#include <catch2/catch.hpp>

#include <mutex>
#include <stdexcept>

#include "health_test_support.hpp"
#include "service/health_server.hpp"

using health_test::promtool_check;
using health_test::sample_status;
using meterbridge::host::service::HealthServer;
using nlohmann::json;

namespace {

// The status the server's handler returns; the test changes it between requests.
class StatusSource {
 public:
  json get() {
    std::lock_guard lock(mutex_);
    if (!failure_.empty()) throw std::runtime_error(failure_);
    return status_;
  }
  void set(json status) {
    std::lock_guard lock(mutex_);
    status_ = std::move(status);
  }
  void fail_with(std::string message) {
    std::lock_guard lock(mutex_);
    failure_ = std::move(message);
  }
  HealthServer::Handlers handlers() {
    return {[this] { return get(); }};
  }

 private:
  std::mutex mutex_;
  json status_ = sample_status();
  std::string failure_;
};

}  // namespace

TEST_CASE("health server: healthz, readyz, metrics and status over loopback") {
  StatusSource source;
  HealthServer server("127.0.0.1:0", source.handlers());
  server.start();
  REQUIRE(server.port() > 0);
  httplib::Client client("127.0.0.1", server.port());

  auto res = client.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "ok\n");

  res = client.Get("/readyz");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "ready\n");

  json not_ready = sample_status();
  not_ready["ready"] = {{"ok", false}, {"reasons", {"store not open", "no plugins loaded"}}};
  source.set(not_ready);
  res = client.Get("/readyz");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->body == "store not open\nno plugins loaded\n");
  source.set(sample_status());

  res = client.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(
      health_test::has_line(res->body, R"(meterbridge_sink_lines{instance="cw",result="held"} 2)"));
  const auto verdict = promtool_check(res->body);
  INFO(res->body << "promtool said:\n" << verdict.output);
  CHECK(verdict.exit_code == 0);
  CHECK(verdict.output.empty());

  res = client.Get("/status");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(json::parse(res->body) == sample_status());
}

TEST_CASE("health server: other methods get 405, unknown paths 404") {
  StatusSource source;
  HealthServer server("127.0.0.1:0", source.handlers());
  server.start();
  httplib::Client client("127.0.0.1", server.port());

  auto res = client.Post("/metrics", "", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 405);
  CHECK(res->get_header_value("Allow") == "GET, HEAD");
  CHECK_FALSE(res->body.empty());

  res = client.Delete("/status");
  REQUIRE(res);
  CHECK(res->status == 405);

  res = client.Get("/nope");
  REQUIRE(res);
  CHECK(res->status == 404);
  CHECK_FALSE(res->body.empty());

  res = client.Post("/nope", "x", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 404);

  res = client.Head("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("health server: a throwing handler answers 500 and the server keeps serving") {
  StatusSource source;
  HealthServer server("127.0.0.1:0", source.handlers());
  server.start();
  httplib::Client client("127.0.0.1", server.port());

  source.fail_with("store is locked");
  for (const char* path : {"/readyz", "/metrics", "/status"}) {
    INFO(path);
    auto res = client.Get(path);
    REQUIRE(res);
    CHECK(res->status == 500);
    CHECK(res->body.find("store is locked") != std::string::npos);
  }
  auto res = client.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);

  source.fail_with("");
  res = client.Get("/status");
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("health server: a status document without ready is not ready") {
  StatusSource source;
  source.set(json::object());
  HealthServer server("127.0.0.1:0", source.handlers());
  server.start();
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/readyz");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->body == "the status document has no ready.ok\n");
}

TEST_CASE("health server: a port in use is refused with the address in the message") {
  StatusSource source;
  HealthServer first("127.0.0.1:0", source.handlers());
  first.start();
  const std::string address = "127.0.0.1:" + std::to_string(first.port());
  HealthServer second(address, source.handlers());
  try {
    second.start();
    FAIL("the second server bound a port in use");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    INFO(message);
    CHECK(message.find("cannot listen on " + address + ": ") != std::string::npos);
    CHECK(message.find("in use") != std::string::npos);
  }
  CHECK(second.port() == 0);
  // The first one still serves.
  httplib::Client client("127.0.0.1", first.port());
  auto res = client.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("health server: stop is idempotent, start again after stop serves again") {
  StatusSource source;
  HealthServer server("127.0.0.1:0", source.handlers());
  server.start();
  CHECK_THROWS_AS(server.start(), std::logic_error);
  server.stop();
  server.stop();
  CHECK(server.port() == 0);
  server.start();
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("health server: a bad listen address or no handler is refused at construction") {
  StatusSource source;
  CHECK_THROWS_AS(HealthServer("localhost", source.handlers()), std::invalid_argument);
  CHECK_THROWS_AS(HealthServer("127.0.0.1:0", HealthServer::Handlers{}), std::invalid_argument);
}
