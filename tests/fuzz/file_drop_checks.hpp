// The file-drop fuzz targets' sink: checks what scan_csv and scan_json promise of each row and
// rejection (file_drop_format.hpp) and reads every view it is handed, so that ASan sees a view
// into freed or foreign memory.
#pragma once

#include <cmath>

#include "file_drop_format.hpp"
#include "fuzz_support.hpp"

namespace fuzz {

class CheckingSink : public file_drop::Sink {
 public:
  // utf8_input: the scanned text is valid UTF-8, so every reason must be too (a reason goes into
  // the plugin's JSON answer).
  explicit CheckingSink(bool utf8_input) : utf8_input_(utf8_input) {}

  void row(const file_drop::Row& r) override {
    require(r.line >= 1, "a row has a line");
    require(r.date != 0 && file_drop::parse_date(file_drop::format_date(r.date)) == r.date,
            "a row's date is a real calendar day");
    require(!r.customer_id.empty() && !r.sku.empty(), "a row has a customer and a sku");
    require(file_drop::valid_metric(r.metric), "a row's metric is valid");
    require(file_drop::trim(r.customer_id) == r.customer_id && file_drop::trim(r.sku) == r.sku,
            "a row's keys are trimmed");
    require(std::isfinite(r.quantity) && r.quantity >= 0, "a row's quantity is finite and >= 0");
    for (auto v : {r.customer_id, r.customer_name, r.sku, r.product_name, r.metric}) touch(v);
    ++rows;
  }
  void reject(const file_drop::Rejection& r) override {
    require(r.line >= 1, "a rejection has a line");
    require(!r.reason.empty(), "a rejection has a reason");
    require(r.reason.size() < 4096, "a rejection's reason stays short");
    require(!utf8_input_ || valid_utf8(r.reason), "a reason about UTF-8 text is UTF-8");
    require(r.date == 0 || file_drop::parse_date(file_drop::format_date(r.date)) == r.date,
            "a rejection's date is a real calendar day or none");
    require(r.metric.empty() || file_drop::valid_metric(r.metric), "a rejection's metric is valid");
    for (auto v : {r.customer_id, r.sku, r.metric}) touch(v);
    ++rejections;
  }
  size_t rows = 0;
  size_t rejections = 0;

 private:
  bool utf8_input_;
};

}  // namespace fuzz
