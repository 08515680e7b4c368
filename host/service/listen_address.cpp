#include "service/listen_address.hpp"

#include <arpa/inet.h>

#include <stdexcept>

namespace meterbridge::host::service {
namespace {

[[noreturn]] void refuse(const std::string& text, const std::string& why) {
  throw std::invalid_argument("invalid listen address \"" + text + "\": " + why +
                              " (expected HOST:PORT with an IPv4 address such as "
                              "127.0.0.1:9477 or a bracketed IPv6 address such as [::1]:9477, "
                              "port 0-65535)");
}

bool is_ipv4(const std::string& host) {
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& host) {
  in6_addr a{};
  return inet_pton(AF_INET6, host.c_str(), &a) == 1;
}

int parse_port(const std::string& text, const std::string& digits) {
  if (digits.empty()) refuse(text, "the port is missing");
  // Digits only: std::stoi would take "+80", " 80" or "80abc".
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos)
    refuse(text, "the port \"" + digits + "\" is not a number from 0 to 65535");
  const int port = std::stoi(digits);
  if (port > 65535) refuse(text, "the port " + digits + " is above 65535");
  return port;
}

}  // namespace

std::string ListenAddress::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ListenAddress parse_listen_address(const std::string& text) {
  ListenAddress out;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) refuse(text, "the IPv6 address has no closing ']'");
    out.host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':')
      refuse(text, "no ':PORT' after the bracketed address");
    port_text = text.substr(close + 2);
    if (!is_ipv6(out.host)) refuse(text, "\"" + out.host + "\" is not an IPv6 address");
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) refuse(text, "no ':PORT'");
    out.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (out.host.empty()) refuse(text, "the host is missing");
    if (out.host.find(':') != std::string::npos)
      refuse(text, "an IPv6 address must be in brackets");
    if (!is_ipv4(out.host)) refuse(text, "\"" + out.host + "\" is not an IPv4 address");
  }
  out.port = parse_port(text, port_text);
  return out;
}

}  // namespace meterbridge::host::service
