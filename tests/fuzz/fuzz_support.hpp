// What the fuzz targets share (header-only): a property check that fails the run, and a read of
// every byte of a view.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace fuzz {

// A property that must hold whatever the input: when it does not, the run aborts, so libFuzzer
// records the input as a crash like an ASan or UBSan report.
inline void require(bool ok, const char* property) {
  if (ok) return;
  std::fprintf(stderr, "fuzz: property violated: %s\n", property);
  std::abort();
}

// True when text is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF):
// what a JSON document may hold.
inline bool valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;  // the character is cut short
    for (size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

// Reads every byte of a view, so that ASan checks that it points at live memory.
inline void touch(std::string_view v) {
  volatile unsigned char sink = 0;
  for (char c : v) sink = sink ^ static_cast<unsigned char>(c);
  (void)sink;
}

}  // namespace fuzz
