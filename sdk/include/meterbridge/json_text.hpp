// Reading JSON text that others wrote (exports, config files, API answers): two helpers the
// host and plugins share, so that a parse error becomes a clear message with its place.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace meterbridge {

// text with every byte that is not part of valid UTF-8 replaced by U+FFFD. nlohmann's messages
// quote the last bytes they read, which may end inside a character or be no UTF-8 at all; such
// a message must become valid UTF-8 before it goes into a JSON answer or a log line.
inline std::string as_utf8(const std::string& text) {
  using nlohmann::json;
  return json::parse(json(text).dump(-1, ' ', false, json::error_handler_t::replace))
      .get<std::string>();
}

// Where parsing `text` as JSON stops, as nlohmann counts it (the 1-based offset of the byte that
// failed; 0 when the text parses), also for the errors nlohmann reports without a place (a
// number out of range such as 1e400): a validating-only pass finds it.
inline size_t json_error_offset(std::string_view text) {
  struct Position : nlohmann::json_sax<nlohmann::json> {
    using json = nlohmann::json;
    size_t position = 0;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(json::number_integer_t) override { return true; }
    bool number_unsigned(json::number_unsigned_t) override { return true; }
    bool number_float(json::number_float_t, const json::string_t&) override { return true; }
    bool string(json::string_t&) override { return true; }
    bool binary(json::binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(json::string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t pos, const std::string&, const json::exception&) override {
      position = pos;
      return false;
    }
  } where;
  nlohmann::json::sax_parse(text.begin(), text.end(), &where);
  return where.position;
}

}  // namespace meterbridge
