#include "runtime/usage_answer.hpp"

#include <cmath>
#include <optional>
#include <stdexcept>

#include <simdjson.h>

namespace meterbridge::host {
namespace {

namespace dom = simdjson::dom;

[[noreturn]] void fail(const std::string& m) {
  throw std::runtime_error(m);
}

std::string record_label(size_t index) {
  return "record " + std::to_string(index);
}

// A string field of a flat object, or nullopt when absent or not a string.
std::optional<std::string_view> string_field(dom::object o, std::string_view name) {
  std::string_view v;
  if (o[name].get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

std::string_view required(dom::object o, const char* name, size_t index) {
  auto v = string_field(o, name);
  if (!v || v->empty()) {
    fail(record_label(index) + ": '" + name + "' must be a non-empty string");
  }
  return *v;
}

}  // namespace

UsageAnswer read_usage_answer(std::string_view text) {
  // simdjson (Debian's libsimdjson-dev) parses a day of several hundred thousand records in a
  // few tens of milliseconds; the records are then copied out of its tape.
  auto parser = std::make_shared<dom::parser>();
  dom::element doc;
  if (auto error = parser->parse(text.data(), text.size(), true).get(doc); error) {
    fail(std::string("answer is not valid JSON: ") + simdjson::error_message(error));
  }
  dom::object root;
  if (doc.get(root) != simdjson::SUCCESS) fail("answer is not a JSON object");
  std::string_view schema;
  if (root["schema"].get(schema) != simdjson::SUCCESS || schema != "usage.v1") {
    fail("answer is not a usage.v1 document (schema '" + std::string(schema) + "')");
  }
  UsageAnswer answer;
  answer.storage = parser;  // the records' strings live in the parser's buffer
  if (auto date = string_field(root, "date")) answer.date = std::string(*date);
  dom::array records;
  if (root["records"].get(records) != simdjson::SUCCESS) fail("answer has no 'records' array");
  answer.records.reserve(records.size());
  size_t index = 0;
  for (dom::element element : records) {
    dom::object o;
    if (element.get(o) != simdjson::SUCCESS) fail(record_label(index) + " is not an object");
    store::UsageRecordView r;
    r.customer_id = required(o, "customer_id", index);
    r.sku = required(o, "sku", index);
    r.metric = required(o, "metric", index);
    r.customer_name = string_field(o, "customer_name").value_or("");
    r.product_name = string_field(o, "product_name").value_or("");
    double q = 0;
    if (o["quantity"].get(q) != simdjson::SUCCESS || !std::isfinite(q) || q < 0) {
      fail(record_label(index) + " (customer " + std::string(r.customer_id) + ", sku " +
           std::string(r.sku) + "): 'quantity' must be a non-negative number");
    }
    r.quantity = q;
    answer.records.push_back(r);
    ++index;
  }
  dom::array rejected;
  if (root["rejected"].get(rejected) == simdjson::SUCCESS) {
    for (dom::element element : rejected) {
      dom::object o;
      if (element.get(o) != simdjson::SUCCESS) continue;
      Rejection x;
      x.file = std::string(string_field(o, "file").value_or(""));
      int64_t line = 0;
      if (o["line"].get(line) == simdjson::SUCCESS) x.line = line;
      x.reason = std::string(string_field(o, "reason").value_or(""));
      answer.rejected.push_back(std::move(x));
      auto customer = string_field(o, "customer_id");
      auto sku = string_field(o, "sku");
      auto metric = string_field(o, "metric");
      if (customer && sku && metric) {
        answer.keep.push_back({std::string(*customer), std::string(*sku), std::string(*metric)});
      }
    }
  }
  return answer;
}

}  // namespace meterbridge::host
