// The input format of the plugin response fuzzers (header-only): one API endpoint's HTTP answer
// as text, and canned JSON answers for the others.
#pragma once

#include <meterbridge/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"

namespace fuzz {

// The input of a plugin response fuzzer: what one API endpoint answers, as text
//
//   <endpoint> <status>\n          e.g. "usage 200"
//   <header>: <value>\n            any number of headers (names are lower-cased, as the host does)
//   \n
//   <body>                         the rest, byte for byte
//
// The target runs the plugin's operations; requests to <endpoint> get this answer, every other
// request a canned valid one. A status that is not a number is 200.
struct CannedAnswer {
  std::string endpoint;
  meterbridge::HttpResponse response;
};

// Text as the host hands it to a plugin: the host encodes an HTTP answer as JSON and replaces
// invalid UTF-8 with U+FFFD (host/services/instance_services.cpp), so a plugin never sees it.
inline std::string as_host_passes(std::string_view text) {
  using meterbridge::json;
  const std::string encoded =
      json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
  return json::parse(encoded).get<std::string>();
}

inline std::optional<CannedAnswer> parse_canned_answer(std::string_view text) {
  auto next_line = [&text]() -> std::optional<std::string_view> {
    if (text.empty()) return std::nullopt;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  std::optional<std::string_view> first = next_line();
  if (!first) return std::nullopt;
  CannedAnswer out;
  size_t space = first->find(' ');
  out.endpoint = std::string(first->substr(0, space));
  out.response.status = 200;
  if (space != std::string_view::npos) {
    int32_t status = 0;
    size_t digits = 0;
    for (char c : first->substr(space + 1)) {
      if (c < '0' || c > '9' || ++digits > 3) break;
      status = status * 10 + (c - '0');
    }
    if (digits > 0) out.response.status = status;
  }
  while (std::optional<std::string_view> line = next_line()) {
    if (line->empty()) break;
    size_t colon = line->find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line->substr(0, colon));
    for (char& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    std::string_view value = line->substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    out.response.headers[as_host_passes(name)] = as_host_passes(value);
  }
  out.response.body = as_host_passes(text);
  out.response.attempts = 1;
  return out;
}

// A JSON body as an HTTP answer.
inline meterbridge::HttpResponse json_answer(int32_t status, const meterbridge::json& body) {
  meterbridge::HttpResponse r;
  r.status = status;
  r.headers = {{"content-type", "application/json"}};
  r.body = body.dump();
  r.attempts = 1;
  return r;
}

}  // namespace fuzz
