// service.listen: what parse_listen_address accepts and how it refuses the rest.
#include <catch2/catch.hpp>

#include "service/listen_address.hpp"

using meterbridge::host::service::parse_listen_address;

TEST_CASE("listen addresses: IPv4 and bracketed IPv6 with a port are accepted") {
  const auto loopback = parse_listen_address("127.0.0.1:0");
  CHECK(loopback.host == "127.0.0.1");
  CHECK(loopback.port == 0);
  CHECK(loopback.to_string() == "127.0.0.1:0");

  const auto v6 = parse_listen_address("[::1]:9477");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 9477);
  CHECK(v6.to_string() == "[::1]:9477");

  CHECK(parse_listen_address("0.0.0.0:65535").port == 65535);
  CHECK(parse_listen_address("[::]:80").host == "::");
}

TEST_CASE("listen addresses: host names, missing parts and bad ports are refused by name") {
  for (const char* bad :
       {"localhost", "localhost:9477", "1.2.3.4:", ":80", "1.2.3.4:70000", "1.2.3.4:-1",
        "1.2.3.4:+80", "1.2.3.4:80x", "::1:9477", "[::1]", "[::1]9477", "[::1:9477",
        "[127.0.0.1]:80", "1.2.3.256:80", "", "1.2.3.4:0000000080"}) {
    INFO(bad);
    try {
      parse_listen_address(bad);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      CHECK(message.find(std::string("\"") + bad + "\"") != std::string::npos);
      CHECK(message.find("HOST:PORT") != std::string::npos);
    }
  }
}
