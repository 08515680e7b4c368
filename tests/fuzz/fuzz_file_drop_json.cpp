// Fuzzes file-drop's JSON reader (plugins/file-drop/file_drop_format.cpp, scan_json): any bytes
// as a dropped export. Each row and rejection is checked against what the reader promises.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "file_drop_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Every reason is UTF-8, whatever the bytes: the parsed strings are, and so is the parser's
  // message once its quote of the last bytes read is made UTF-8.
  fuzz::CheckingSink sink(true);
  file_drop::scan_json(text, sink);
  return 0;
}
