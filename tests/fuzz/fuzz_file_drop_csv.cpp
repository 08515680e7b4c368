// Fuzzes file-drop's CSV reader (plugins/file-drop/file_drop_format.cpp, scan_csv): any bytes as
// a dropped export. Each row and rejection is checked against what the reader promises.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "file_drop_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::CheckingSink sink(fuzz::valid_utf8(text));
  file_drop::scan_csv(text, sink);
  if (size == 0) fuzz::require(sink.rejections == 1 && sink.rows == 0, "an empty file is rejected");
  return 0;
}
