// TLS is verified: a server certificate from the configured CA is accepted, one from another CA
// (or no CA configured for a private one) is refused.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "../../test_pki.hpp"
#include "loopback_server.hpp"
#include "services/http_client.hpp"

using meterbridge::host::HttpClient;
using meterbridge::host::HttpSettings;

TEST_CASE("HTTPS: accepted with the right CA, refused without it or with another CA") {
  auto pki = make_test_pki("main");
  auto other = make_test_pki("other");
  LoopbackServer<httplib::SSLServer> s((pki / "server.pem").c_str(), (pki / "server.key").c_str());
  REQUIRE(s.server().is_valid());
  s.server().Get("/secure", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("tls ok", "text/plain");
  });
  s.start();
  nlohmann::json req = {{"method", "GET"}, {"url", s.url("https") + "/secure"}};
  auto never = [] { return false; };

  HttpSettings trusted;
  trusted.ca_file = (pki / "ca.pem").string();
  auto ok = HttpClient(trusted).perform(req, never);
  REQUIRE(ok.status == MB_OK);
  CHECK(ok.response["body"] == "tls ok");

  // An untrusted certificate is the operator's to fix: a config error, never retried.
  HttpSettings system_store;
  system_store.max_attempts = 3;
  auto refused = HttpClient(system_store).perform(req, never);
  CHECK(refused.status == MB_E_CONFIG);
  CHECK_THAT(refused.error, Catch::Contains("certificate") && Catch::Contains("http.ca_file"));

  HttpSettings wrong_ca;
  wrong_ca.max_attempts = 3;
  wrong_ca.ca_file = (other / "ca.pem").string();
  auto wrong = HttpClient(wrong_ca).perform(req, never);
  CHECK(wrong.status == MB_E_CONFIG);
  CHECK_THAT(wrong.error, Catch::Contains("certificate"));

  HttpSettings missing_ca;
  missing_ca.ca_file = (pki / "no-such-ca.pem").string();
  auto missing = HttpClient(missing_ca).perform(req, never);
  CHECK(missing.status == MB_E_CONFIG);
  CHECK_THAT(missing.error, Catch::Contains("http.ca_file"));
}
