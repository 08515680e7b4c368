// TLS is verified: a server certificate from the configured CA is accepted, one from another CA
// (or no CA configured for a private one) is refused.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "loopback_server.hpp"
#include "services/http_client.hpp"

using meterbridge::host::HttpClient;
using meterbridge::host::HttpSettings;

namespace {

// Makes a CA and a server certificate for 127.0.0.1 signed by it, with the openssl CLI.
std::filesystem::path make_pki(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("mb-tls-" + std::to_string(getpid())) / name;
  std::filesystem::create_directories(dir);
  const std::string d = dir.string();
  const std::string script =
      "cd '" + d +
      "' && "
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "
      "'/CN=test CA " +
      name +
      "' >/dev/null 2>&1 && "
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "
      "'/CN=127.0.0.1' >/dev/null 2>&1 && "
      "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem "
      "-days 2 -extfile ext.cnf >/dev/null 2>&1";
  REQUIRE(std::system(script.c_str()) == 0);
  return dir;
}

}  // namespace

TEST_CASE("HTTPS: accepted with the right CA, refused without it or with another CA") {
  auto pki = make_pki("main");
  auto other = make_pki("other");
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

  HttpSettings system_store;
  system_store.max_attempts = 1;
  auto refused = HttpClient(system_store).perform(req, never);
  CHECK(refused.status == MB_E_TRANSIENT);
  CHECK_THAT(refused.error, Catch::Contains("certificate") || Catch::Contains("SSL"));

  HttpSettings wrong_ca;
  wrong_ca.max_attempts = 1;
  wrong_ca.ca_file = (other / "ca.pem").string();
  auto wrong = HttpClient(wrong_ca).perform(req, never);
  CHECK(wrong.status == MB_E_TRANSIENT);
}
