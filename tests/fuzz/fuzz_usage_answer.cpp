// Fuzzes the host's reader of a source's usage.v1 answer (host/runtime/usage_answer.cpp, simdjson):
// any bytes as a plugin's collect answer. std::runtime_error is the documented refusal; an
// accepted answer holds only records with keys and finite non-negative quantities, and its views
// stay readable as long as the answer lives.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "runtime/usage_answer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A copy: the parser must not depend on the caller's buffer outliving the call.
  auto text = std::make_unique<std::string>(reinterpret_cast<const char*>(data), size);
  meterbridge::host::UsageAnswer answer;
  try {
    answer = meterbridge::host::read_usage_answer(*text);
  } catch (const std::runtime_error&) {
    return 0;
  }
  text.reset();
  for (const auto& r : answer.records) {
    fuzz::require(!r.customer_id.empty() && !r.sku.empty() && !r.metric.empty(),
                  "a record has customer, sku and metric");
    fuzz::require(std::isfinite(r.quantity) && r.quantity >= 0,
                  "a record's quantity is finite and non-negative");
    for (auto v : {r.customer_id, r.customer_name, r.sku, r.product_name, r.metric}) fuzz::touch(v);
  }
  return 0;
}
