// The SDK's fail-closed barrier: every exception from plugin code becomes a status and message.
#include <catch2/catch.hpp>

#include <meterbridge/testing.hpp>

using meterbridge::json;

namespace {

class Raiser : public meterbridge::Plugin {
 public:
  Raiser(meterbridge::Host host, const json& settings) : host_(host) {
    if (settings.value("fail", false))
      throw meterbridge::config_error("setting 'region' is required");
  }
  json check() override {
    host_.info("checking");
    return {{"fine", true}};
  }
  json invoke(const std::string& op, const json& request) override {
    if (op == "status")
      throw meterbridge::Error(request.at("code").get<int32_t>(),
                               "status " + request.at("code").dump());
    if (op == "std") throw std::out_of_range("index 9 out of range");
    if (op == "alloc") throw std::bad_alloc();
    if (op == "int") throw 17;
    if (op == "ok-status") throw meterbridge::Error(MB_OK, "an Error must never report success");
    if (op == "http") {
      meterbridge::HttpRequest request_out;
      request_out.url = "https://api.example.test/x";
      return {{"status", host_.http(request_out).status}};
    }
    return meterbridge::Plugin::invoke(op, request);
  }

 private:
  meterbridge::Host host_;
};

}  // namespace

MB_DECLARE_PLUGIN(Raiser, MB_KIND_SINK, "sdk-raiser", "0.0.1", "raises", "{}")

using meterbridge::testing::FakeHost;
using meterbridge::testing::PluginHarness;

TEST_CASE("each Error status crosses the boundary unchanged") {
  FakeHost host;
  PluginHarness p(meterbridge_plugin_entry, host);
  REQUIRE(p.create(json::object()).ok());
  for (mb_status s :
       {MB_E_INVALID_ARGUMENT, MB_E_CONFIG, MB_E_AUTH, MB_E_TRANSIENT, MB_E_RATE_LIMITED,
        MB_E_NOT_FOUND, MB_E_UNSUPPORTED, MB_E_INTERNAL, MB_E_CANCELLED}) {
    auto o = p.invoke("status", {{"code", s}});
    CHECK(o.status == s);
    CHECK(o.message == "status " + std::to_string(s));
  }
  CHECK(p.invoke("ok-status").status == MB_E_INTERNAL);
}

TEST_CASE("std, allocation and non-std exceptions become MB_E_INTERNAL with a message") {
  FakeHost host;
  PluginHarness p(meterbridge_plugin_entry, host);
  REQUIRE(p.create(json::object()).ok());
  auto s = p.invoke("std");
  CHECK(s.status == MB_E_INTERNAL);
  CHECK(s.message == "unexpected error inside plugin: index 9 out of range");
  CHECK(p.invoke("alloc").message == "out of memory inside plugin");
  auto i = p.invoke("int");
  CHECK(i.status == MB_E_INTERNAL);
  CHECK(i.message == "unexpected non-standard exception inside plugin");
  // A JSON error inside a hook (here: request.at on a missing key) is contained too.
  CHECK(p.invoke("status", json::object()).status == MB_E_INTERNAL);
}

TEST_CASE("a failing create reports its class and leaves no instance") {
  FakeHost host;
  PluginHarness p(meterbridge_plugin_entry, host);
  auto o = p.create({{"fail", true}});
  CHECK(o.status == MB_E_CONFIG);
  CHECK(o.message == "setting 'region' is required");
  CHECK_THROWS_AS(p.check(), std::logic_error);
}

TEST_CASE("host services through the fakes: logs, scripted http and its failure") {
  FakeHost host;
  PluginHarness p(meterbridge_plugin_entry, host);
  REQUIRE(p.create(json::object()).ok());
  REQUIRE(p.check().ok());
  REQUIRE(host.logs.size() == 1);
  CHECK(host.logs[0].level == MB_LOG_INFO);
  CHECK(host.logs[0].message == "checking");

  auto no_handler = p.invoke("http");
  CHECK(no_handler.status == MB_E_TRANSIENT);
  host.http_handler = [](const meterbridge::HttpRequest& r) {
    meterbridge::HttpResponse resp;
    resp.status = r.url == "https://api.example.test/x" ? 204 : 404;
    return resp;
  };
  auto answered = p.invoke("http");
  REQUIRE(answered.ok());
  CHECK(answered.answer["status"] == 204);
  CHECK(host.requests.size() == 2);
}
