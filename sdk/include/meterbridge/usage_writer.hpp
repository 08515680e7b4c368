// UsageWriter: a usage.v1 answer written as JSON text record by record (PROTOCOL.md P6.0).
#pragma once

#include <meterbridge/errors.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace meterbridge {

// Writes a usage.v1 answer record by record as JSON text, without a JSON tree: for sources that
// report hundreds of thousands of records a day. Strings are UTF-8; quantities are finite and
// non-negative (the host refuses the day otherwise).
class UsageWriter {
 public:
  void add(std::string_view customer_id, std::string_view customer_name, std::string_view sku,
           std::string_view product_name, std::string_view metric, double quantity) {
    text_ += count_ == 0 ? "\n" : ",\n";
    text_ += "{\"customer_id\":";
    append_string(customer_id);
    text_ += ",\"customer_name\":";
    append_string(customer_name);
    text_ += ",\"sku\":";
    append_string(sku);
    text_ += ",\"product_name\":";
    append_string(product_name);
    text_ += ",\"metric\":";
    append_string(metric);
    text_ += ",\"quantity\":";
    append_number(quantity);
    text_ += '}';
    ++count_;
  }
  // A rejection object ({"file", "line", "reason", ...}; sdk/PROTOCOL.md).
  void reject(nlohmann::json rejection) { rejected_.push_back(std::move(rejection)); }
  size_t records() const { return count_; }
  size_t rejections() const { return rejected_.size(); }

  // The whole usage.v1 document for `date`.
  std::string finish(const std::string& date) {
    std::string out;
    out.reserve(text_.size() + 128);
    out += "{\"schema\":\"usage.v1\",\"date\":";
    out += nlohmann::json(date).dump();
    out += ",\"records\":[";
    out += text_;
    out += "],\"rejected\":";
    out += rejected_.dump();
    out += '}';
    text_.clear();
    count_ = 0;
    rejected_ = nlohmann::json::array();
    return out;
  }

 private:
  void append_string(std::string_view v) {
    text_ += '"';
    size_t plain = 0;  // start of the run of characters that need no escape
    for (size_t i = 0; i < v.size(); ++i) {
      const auto c = static_cast<unsigned char>(v[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      text_.append(v.data() + plain, i - plain);
      if (c == '"') {
        text_ += "\\\"";
      } else if (c == '\\') {
        text_ += "\\\\";
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        text_ += buf;
      }
      plain = i + 1;
    }
    text_.append(v.data() + plain, v.size() - plain);
    text_ += '"';
  }
  void append_number(double q) {
    if (!std::isfinite(q)) throw internal_error("usage quantity is not a finite number");
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, q);  // shortest form that reads back exactly
    text_.append(buf, r.ptr);
  }

  std::string text_;
  size_t count_ = 0;
  nlohmann::json rejected_ = nlohmann::json::array();
};

}  // namespace meterbridge
