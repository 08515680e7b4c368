// Any edit of abi.h must come with a deliberate version decision. The header's hash is
// recorded per ABI version; when it no longer matches, this test says what to do.
#include <catch2/catch.hpp>

#include <cctype>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>

#include <meterbridge/abi.h>

namespace {

uint64_t fnv1a64(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The header without comments and with whitespace collapsed: documentation may improve freely,
// declarations may not change silently.
std::string declarations_only(const std::string& text) {
  std::string out;
  bool space = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "/*") == 0) {
      size_t end = text.find("*/", i + 2);
      i = (end == std::string::npos ? text.size() : end + 2) - 1;
      space = true;
      continue;
    }
    if (text.compare(i, 2, "//") == 0) {
      size_t end = text.find('\n', i);
      i = (end == std::string::npos ? text.size() : end) - 1;
      space = true;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += text[i];
  }
  return out;
}

// One line per released header. Add a line; never edit one.
const std::map<std::string, uint64_t> kRecorded = {
    {"1.1", 0x51bf8b1f7e8bebd0ull},
};

}  // namespace

TEST_CASE("abi.h matches the hash recorded for its version") {
  std::ifstream in(ABI_HEADER, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const uint64_t actual = fnv1a64(declarations_only(text.str()));
  const std::string version = std::to_string(MB_ABI_MAJOR) + "." + std::to_string(MB_ABI_MINOR);
  auto it = kRecorded.find(version);
  std::ostringstream hex;
  hex << "0x" << std::hex << actual << "ull";
  INFO(
      "The declarations in sdk/include/meterbridge/abi.h changed (hash "
      << hex.str()
      << ") without a version decision.\n"
         "Decide: an append-only change (new field or optional hook at the end of a struct) bumps\n"
         "MB_ABI_MINOR; anything else bumps MB_ABI_MAJOR. Then add {\"MAJOR.MINOR\", "
      << hex.str()
      << "}\n"
         "to kRecorded in tests/abi/abi_version_lock_tests.cpp. Never edit an existing line.");
  REQUIRE(it != kRecorded.end());
  CHECK(it->second == actual);
}
