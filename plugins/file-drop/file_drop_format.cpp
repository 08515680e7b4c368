#include "file_drop_format.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

#include <meterbridge/json_text.hpp>
#include <nlohmann/json.hpp>

namespace file_drop {
namespace {

constexpr std::array<std::string_view, 7> kColumns = {
    "date", "customer_id", "customer_name", "sku", "product_name", "metric", "quantity"};
constexpr size_t kDate = 0, kCustomerId = 1, kCustomerName = 2, kSku = 3, kProductName = 4,
                 kMetric = 5, kQuantity = 6;

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// A value quoted for a message, cut short so that a garbage file cannot make huge reasons.
std::string quoted(std::string_view v) {
  constexpr size_t kMax = 60;
  std::string out = "'";
  if (v.size() > kMax) {
    // Cut before a UTF-8 character, never inside one: the reason goes into the JSON answer.
    size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
    out.append(v.substr(0, cut));
    out += "...";
  } else {
    out.append(v);
  }
  out += "'";
  return out;
}

void add_problem(std::string& reason, std::string_view problem) {
  if (!reason.empty()) reason += "; ";
  reason.append(problem);
}

uint32_t count_newlines(const char* begin, const char* end) noexcept {
  return static_cast<uint32_t>(std::count(begin, end, '\n'));
}

// The fields of one candidate row, before validation. problem[k] holds a problem already found
// for field k (missing, wrong JSON type, bad quantity); such a field is not checked again.
struct RawRow {
  std::array<std::string_view, 6> text;  // date .. metric
  std::array<std::string, 7> problem;
  double quantity = 0;
};

// Validates the row and reports it as a Row or a Rejection whose reason starts with prefix.
// module_layout: an empty metric is left for the module's type to fill.
void finish_row(Sink& sink, uint32_t line, std::string_view prefix, RawRow& raw,
                bool module_layout) {
  for (auto& t : raw.text) t = trim(t);
  std::string reason;
  Date date = 0;
  if (!raw.problem[kDate].empty()) {
    add_problem(reason, raw.problem[kDate]);
  } else if (raw.text[kDate].empty()) {
    add_problem(reason, "date is empty");
  } else if ((date = parse_date(raw.text[kDate])) == 0) {
    add_problem(reason, "date " + quoted(raw.text[kDate]) +
                            " is not a valid calendar date in the form YYYY-MM-DD");
  }
  for (size_t k : {kCustomerId, kCustomerName, kSku, kProductName, kMetric}) {
    if (!raw.problem[k].empty()) {
      add_problem(reason, raw.problem[k]);
    } else if (k == kMetric && module_layout && raw.text[k].empty()) {
      continue;
    } else if (k != kCustomerName && k != kProductName && raw.text[k].empty()) {
      add_problem(reason, std::string(kColumns[k]) + " is empty");
    } else if (k == kMetric && !valid_metric(raw.text[k])) {
      add_problem(reason, "metric " + quoted(raw.text[k]) +
                              " must be lower-case letters, digits, '_' or '-'");
    }
  }
  if (!raw.problem[kQuantity].empty()) add_problem(reason, raw.problem[kQuantity]);

  if (reason.empty()) {
    Row row;
    row.line = line;
    row.date = date;
    row.customer_id = raw.text[kCustomerId];
    row.customer_name = raw.text[kCustomerName];
    row.sku = raw.text[kSku];
    row.product_name = raw.text[kProductName];
    row.metric = raw.text[kMetric];
    row.quantity = raw.quantity;
    sink.row(row);
    return;
  }
  Rejection r;
  r.line = line;
  r.reason.reserve(prefix.size() + reason.size());
  r.reason.append(prefix);
  r.reason.append(reason);
  r.date = date;
  if (raw.problem[kCustomerId].empty()) r.customer_id = raw.text[kCustomerId];
  if (raw.problem[kSku].empty()) r.sku = raw.text[kSku];
  if (raw.problem[kMetric].empty() && valid_metric(raw.text[kMetric])) r.metric = raw.text[kMetric];
  sink.reject(r);
}

// RFC 4180 records over a memory buffer. Lines are counted so that each record knows the line
// it starts on, also when quoted fields span lines.
class CsvReader {
 public:
  static constexpr size_t kMaxFields = 8;  // more are counted, not kept

  struct Record {
    uint32_t line = 0;
    size_t count = 0;
    std::array<std::string_view, kMaxFields> field;
    std::string_view raw;  // the record's text, for messages
    bool blank = false;
    const char* error = nullptr;  // a quoting problem; the record is then unusable
  };

  explicit CsvReader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool next(Record& r) {
    if (p_ >= end_) return false;
    r.line = line_;
    r.count = 0;
    r.error = nullptr;
    r.blank = false;
    const char* start = p_;
    bool any_quoted = false;
    for (;;) {
      std::string_view value;
      const char* q = p_;
      while (q < end_ && (*q == ' ' || *q == '\t')) ++q;
      if (q < end_ && *q == '"') {
        any_quoted = true;
        std::string* unescaped = nullptr;
        const char* s = q + 1;
        for (;;) {
          const char* close = static_cast<const char*>(std::memchr(s, '"', end_ - s));
          if (close == nullptr) {
            line_ += count_newlines(s, end_);
            p_ = end_;
            r.raw = std::string_view(start, end_ - start);
            r.error = "unterminated quoted field";
            return true;
          }
          line_ += count_newlines(s, close);
          if (close + 1 < end_ && close[1] == '"') {  // a doubled quote stands for one
            if (unescaped == nullptr) {
              unescaped = &scratch_[std::min(r.count, kMaxFields)];
              unescaped->clear();
            }
            unescaped->append(s, close + 1);
            s = close + 2;
            continue;
          }
          if (unescaped != nullptr) {
            unescaped->append(s, close);
            value = *unescaped;
          } else {
            value = std::string_view(s, close - s);
          }
          p_ = close + 1;
          break;
        }
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r')) ++p_;
        if (p_ < end_ && *p_ != ',' && *p_ != '\n') {
          const char* nl = static_cast<const char*>(std::memchr(p_, '\n', end_ - p_));
          p_ = nl == nullptr ? end_ : nl + 1;
          if (nl != nullptr) ++line_;
          r.raw = std::string_view(start, p_ - start);
          r.error = "unexpected character after a closing quote";
          return true;
        }
      } else {
        const char* s = p_;
        while (p_ < end_ && *p_ != ',' && *p_ != '\n') ++p_;
        const char* e = p_;
        if (e > s && e[-1] == '\r') --e;  // CRLF, or a stray CR before a comma
        value = std::string_view(s, e - s);
      }
      if (r.count < kMaxFields) r.field[r.count] = value;
      ++r.count;
      if (p_ >= end_) break;
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      ++p_;  // '\n'
      ++line_;
      break;
    }
    r.raw = std::string_view(start, p_ - start);
    while (!r.raw.empty() && (r.raw.back() == '\n' || r.raw.back() == '\r')) r.raw.remove_suffix(1);
    r.blank = r.count == 1 && !any_quoted && trim(r.field[0]).empty();
    return true;
  }

 private:
  const char* p_;
  const char* end_;
  uint32_t line_ = 1;
  std::array<std::string, kMaxFields + 1> scratch_;  // unescaped quoted fields; last = overflow
};

bool header_ok(const CsvReader::Record& r) {
  if (r.error != nullptr || r.count != kColumns.size()) return false;
  for (size_t i = 0; i < kColumns.size(); ++i) {
    if (trim(r.field[i]) != kColumns[i]) return false;
  }
  return true;
}

constexpr std::array<std::string_view, 5> kModuleColumns = {"date", "customer_id", "customer_name",
                                                            "type", "quantity"};

bool module_header_ok(const CsvReader::Record& r) {
  if (r.error != nullptr || r.count != kModuleColumns.size()) return false;
  for (size_t i = 0; i < kModuleColumns.size(); ++i) {
    if (trim(r.field[i]) != kModuleColumns[i]) return false;
  }
  return true;
}

// A rejection of a record whose fields cannot be trusted: only the date (first column) is kept.
void reject_record(Sink& sink, const CsvReader::Record& r, std::string reason) {
  Rejection rej;
  rej.line = r.line;
  rej.reason = std::move(reason);
  if (r.count >= 1) rej.date = parse_date(trim(r.field[0]));
  sink.reject(rej);
}

}  // namespace

Date parse_date(std::string_view s) noexcept {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return 0;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!is_digit(s[i])) return 0;
  }
  auto num = [&](size_t from, size_t n) {
    uint32_t v = 0;
    for (size_t i = from; i < from + n; ++i) v = v * 10 + static_cast<uint32_t>(s[i] - '0');
    return v;
  };
  uint32_t y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (y == 0 || m < 1 || m > 12 || d < 1) return 0;
  static constexpr uint32_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  uint32_t max = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  if (d > max) return 0;
  return y * 10000 + m * 100 + d;
}

std::string format_date(Date date) {
  char buf[11];
  uint32_t y = date / 10000, m = date / 100 % 100, d = date % 100;
  buf[0] = static_cast<char>('0' + y / 1000 % 10);
  buf[1] = static_cast<char>('0' + y / 100 % 10);
  buf[2] = static_cast<char>('0' + y / 10 % 10);
  buf[3] = static_cast<char>('0' + y % 10);
  buf[4] = '-';
  buf[5] = static_cast<char>('0' + m / 10);
  buf[6] = static_cast<char>('0' + m % 10);
  buf[7] = '-';
  buf[8] = static_cast<char>('0' + d / 10);
  buf[9] = static_cast<char>('0' + d % 10);
  buf[10] = '\0';
  return std::string(buf, 10);
}

bool parse_quantity(std::string_view text, double& out, std::string& problem) {
  text = trim(text);
  if (text.empty()) {
    problem = "quantity is empty";
    return false;
  }
  if (text.front() == '-') {
    problem = "quantity " + quoted(text) + " is negative";
    return false;
  }
  // from_chars also takes "nan", "inf" and hex-less forms; demand a leading digit.
  if (!is_digit(text.front())) {
    problem = "quantity " + quoted(text) + " is not a non-negative decimal number";
    return false;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) {
    problem = "quantity " + quoted(text) + " is out of range";
    return false;
  }
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    problem = "quantity " + quoted(text) + " is not a non-negative decimal number";
    return false;
  }
  if (!std::isfinite(v) || v < 0) {
    problem = "quantity " + quoted(text) + " is not a finite non-negative number";
    return false;
  }
  out = v;
  return true;
}

bool valid_metric(std::string_view metric) noexcept {
  if (metric.empty()) return false;
  for (char c : metric) {
    if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void scan_csv(std::string_view text, Sink& sink, bool module_layout) {
  if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) text.remove_prefix(3);
  CsvReader reader(text);
  CsvReader::Record rec;
  const std::string expected =
      "expected the header '" + std::string(kCsvHeader) + "'" +
      (module_layout ? " or '" + std::string(kModuleCsvHeader) + "'" : std::string());
  if (!reader.next(rec)) {
    Rejection r;
    r.line = 1;
    r.reason = "file is empty; " + expected;
    sink.reject(r);
    return;
  }
  const bool short_rows = module_layout && module_header_ok(rec);
  if (!short_rows && !header_ok(rec)) {
    Rejection r;
    r.line = 1;
    r.reason = "wrong header: " + expected + ", found " + quoted(rec.raw);
    sink.reject(r);
    return;
  }
  const size_t columns = short_rows ? kModuleColumns.size() : kColumns.size();
  RawRow raw;
  while (reader.next(rec)) {
    if (rec.blank) continue;
    if (rec.error != nullptr) {
      reject_record(sink, rec, rec.error);
      continue;
    }
    if (rec.count != columns) {
      reject_record(
          sink, rec,
          "expected " + std::to_string(columns) + " fields, found " + std::to_string(rec.count));
      continue;
    }
    if (short_rows) {  // date, customer_id, customer_name, type -> sku; no product or metric
      for (size_t k = 0; k < 4; ++k) raw.text[k] = rec.field[k];
      raw.text[kProductName] = raw.text[kMetric] = {};
    } else {
      for (size_t k = 0; k < 6; ++k) raw.text[k] = rec.field[k];
    }
    for (auto& p : raw.problem) p.clear();
    raw.quantity = 0;
    parse_quantity(rec.field[columns - 1], raw.quantity, raw.problem[kQuantity]);
    finish_row(sink, rec.line, {}, raw, module_layout);
  }
}

void scan_json(std::string_view text, Sink& sink, bool module_layout) {
  using nlohmann::json;
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    // parse_error knows its byte, out_of_range (a number too large) does not: a second,
    // validating-only pass finds where the parser stopped.
    const size_t at = meterbridge::json_error_offset(text);
    size_t upto = std::min<size_t>(at == 0 ? 0 : at - 1, text.size());
    Rejection r;
    r.line = 1 + count_newlines(text.data(), text.data() + upto);
    r.reason = "not valid JSON: " + meterbridge::as_utf8(e.what());
    sink.reject(r);
    return;
  }
  const json* records = nullptr;
  if (doc.is_array()) {
    records = &doc;
  } else if (doc.is_object()) {
    auto it = doc.find("records");
    if (it != doc.end() && it->is_array()) records = &*it;
  }
  if (records == nullptr) {
    Rejection r;
    r.line = 1;
    r.reason = "expected an array of records or an object with a \"records\" array";
    sink.reject(r);
    return;
  }
  RawRow raw;
  uint32_t index = 0;
  for (const json& rec : *records) {
    ++index;
    const std::string prefix = "record " + std::to_string(index) + ": ";
    if (!rec.is_object()) {
      Rejection r;
      r.line = index;
      r.reason = prefix + "not an object";
      sink.reject(r);
      continue;
    }
    for (auto& p : raw.problem) p.clear();
    for (size_t k = 0; k < 6; ++k) {
      raw.text[k] = {};
      auto it = rec.find(kColumns[k]);
      if (module_layout && k == kSku && it == rec.end()) it = rec.find("type");
      if (module_layout && (k == kProductName || k == kMetric) && it == rec.end()) continue;
      if (it == rec.end()) {
        raw.problem[k] = "missing field '" + std::string(kColumns[k]) + "'";
      } else if (!it->is_string()) {
        raw.problem[k] = "field '" + std::string(kColumns[k]) + "' must be a string";
      } else {
        raw.text[k] = it->get_ref<const std::string&>();
      }
    }
    raw.quantity = 0;
    auto q = rec.find("quantity");
    std::string& qp = raw.problem[kQuantity];
    if (q == rec.end()) {
      qp = "missing field 'quantity'";
    } else if (q->is_number_unsigned()) {
      raw.quantity = static_cast<double>(q->get<uint64_t>());
    } else if (q->is_number_integer()) {
      int64_t v = q->get<int64_t>();
      if (v < 0) {
        qp = "quantity " + std::to_string(v) + " is negative";
      } else {
        raw.quantity = static_cast<double>(v);
      }
    } else if (q->is_number_float()) {
      double v = q->get<double>();
      if (!std::isfinite(v)) {
        qp = "quantity is not a finite number";
      } else if (v < 0) {
        qp = "quantity " + q->dump() + " is negative";
      } else {
        raw.quantity = v;
      }
    } else {
      qp = "quantity must be a JSON number, found " + std::string(q->type_name());
    }
    finish_row(sink, index, prefix, raw, module_layout);
  }
}

}  // namespace file_drop
