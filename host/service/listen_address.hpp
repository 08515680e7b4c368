// The "HOST:PORT" text of service.listen, parsed once so the config check and the health server
// accept and refuse exactly the same addresses.
#pragma once

#include <string>

namespace meterbridge::host::service {

struct ListenAddress {
  // The address to bind, without brackets: "127.0.0.1", "0.0.0.0", "::1", "::".
  std::string host;
  // 0..65535; 0 lets the kernel pick a free port (tests).
  int port = 0;

  // Back to "HOST:PORT" text, with brackets around an IPv6 host ("[::1]:9477").
  std::string to_string() const;
};

// Parses "HOST:PORT" where HOST is an IPv4 address ("127.0.0.1:9477") or a bracketed IPv6 address
// ("[::1]:9477"). Host names ("localhost") are refused on purpose: what they resolve to depends
// on the machine, and a health endpoint must not silently listen somewhere other than configured.
// Throws std::invalid_argument naming the text and what is expected.
ListenAddress parse_listen_address(const std::string& text);

}  // namespace meterbridge::host::service
