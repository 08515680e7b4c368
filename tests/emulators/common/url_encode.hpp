// Percent-encoding for the URLs the emulators build themselves (next-page links): everything
// but the RFC 3986 unreserved characters.
#pragma once

#include <cctype>
#include <string>

namespace emulator_kit {

inline std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace emulator_kit
