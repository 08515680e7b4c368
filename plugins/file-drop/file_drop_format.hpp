// file-drop: the file formats (CSV and JSON usage exports) and their row validation.
//
// The scanners read a whole file held in memory and report every row to a Sink, either as a
// valid Row or as a Rejection (line + reason + whatever keys could be parsed). Views handed to
// the sink are valid only during the call. Nothing here touches the file system.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace file_drop {

// The one accepted CSV header.
inline constexpr std::string_view kCsvHeader =
    "date,customer_id,customer_name,sku,product_name,metric,quantity";

// The short CSV header accepted with the `module` setting: the module's billing types give the
// product name and metric, so the export names only the type (its "sku").
inline constexpr std::string_view kModuleCsvHeader = "date,customer_id,customer_name,type,quantity";

// A calendar date packed as YYYYMMDD (e.g. 20260131); 0 means "no date".
using Date = uint32_t;

// Strict ISO "YYYY-MM-DD" that names a real calendar day (year 0001-9999); 0 otherwise.
Date parse_date(std::string_view text) noexcept;
std::string format_date(Date date);

// A non-negative finite decimal number ("12", "0.5", "1.25e3"); on failure returns false and
// sets problem to a reason that quotes the text.
bool parse_quantity(std::string_view text, double& out, std::string& problem);

// Lower-case letters, digits, '_' and '-', at least one character.
bool valid_metric(std::string_view metric) noexcept;

// Spaces and tabs around a value are not part of it.
std::string_view trim(std::string_view s) noexcept;

struct Row {
  uint32_t line = 0;  // CSV: line on which the record starts; JSON: 1-based record index
  Date date = 0;
  std::string_view customer_id, customer_name, sku, product_name, metric;
  double quantity = 0;
};

struct Rejection {
  uint32_t line = 0;  // as Row::line; file-level rejections use the line the problem is on
  std::string reason;
  Date date = 0;                              // 0 when it could not be parsed
  std::string_view customer_id, sku, metric;  // empty when not parseable
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void row(const Row& row) = 0;
  virtual void reject(const Rejection& rejection) = 0;
};

// CSV with the header kCsvHeader: UTF-8 BOM, CRLF and RFC 4180 quoting accepted; blank lines
// skipped. A wrong header rejects the whole file (line 1) and nothing else is reported.
// module_layout (the `module` setting is set): kModuleCsvHeader is accepted too, and a row may
// leave product_name and metric empty (the module's type completes them; see ModuleRows).
void scan_csv(std::string_view text, Sink& sink, bool module_layout = false);

// JSON: an array of record objects or {"records": [...]}. Invalid JSON rejects the whole file at
// the parser's line. Rejections use the 1-based record index as line and say "record N".
// module_layout: "type" may stand for "sku", and product_name and metric may be left out.
void scan_json(std::string_view text, Sink& sink, bool module_layout = false);

}  // namespace file_drop
