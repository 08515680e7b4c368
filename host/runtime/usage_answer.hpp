// Reads a source's usage.v1 answer into usage records. A day can hold hundreds of thousands of
// records, so it is parsed with simdjson rather than into a general JSON tree. Any breach of the
// schema refuses the whole day.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/usage_store.hpp"

namespace meterbridge::host {

struct Rejection {
  std::string file;
  int64_t line = 0;
  std::string reason;
};

struct UsageAnswer {
  std::string date;
  // Views into `storage` (the parser's string buffer), valid as long as this answer.
  std::vector<store::UsageRecordView> records;
  std::shared_ptr<const void> storage;
  std::vector<Rejection> rejected;
  // Series named by a rejection: their stored value for the day is kept.
  std::vector<store::SeriesKey> keep;
};

// Throws std::runtime_error naming the record (its index) and the field that is wrong.
UsageAnswer read_usage_answer(std::string_view text);

}  // namespace meterbridge::host
