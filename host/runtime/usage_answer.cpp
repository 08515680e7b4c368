#include "runtime/usage_answer.hpp"

#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace meterbridge::host {
namespace {

using nlohmann::json;

// One flat object of the answer (a record or a rejection): field values as text or number.
struct FlatObject {
  struct Field {
    bool present = false;
    bool is_string = false;
    bool is_number = false;
    std::string text;
    double number = 0;
  };
  Field customer_id, customer_name, sku, product_name, metric, quantity;  // records
  Field file, line, reason;                                               // rejections
  void clear() { *this = FlatObject{}; }
  Field* find(const std::string& key) {
    if (key == "customer_id") return &customer_id;
    if (key == "customer_name") return &customer_name;
    if (key == "sku") return &sku;
    if (key == "product_name") return &product_name;
    if (key == "metric") return &metric;
    if (key == "quantity") return &quantity;
    if (key == "file") return &file;
    if (key == "line") return &line;
    if (key == "reason") return &reason;
    return nullptr;  // other keys are allowed and ignored (P1.4: optional fields may appear)
  }
};

class UsageSax : public json::json_sax_t {
 public:
  explicit UsageSax(UsageAnswer& out) : out_(out) {}

  bool null() override {
    return scalar_field([](FlatObject::Field&) {});
  }
  bool boolean(bool) override {
    return scalar_field([](FlatObject::Field&) {});
  }
  bool number_integer(number_integer_t v) override { return number(static_cast<double>(v)); }
  bool number_unsigned(number_unsigned_t v) override { return number(static_cast<double>(v)); }
  bool number_float(number_float_t v, const string_t&) override { return number(v); }
  bool string(string_t& v) override {
    if (depth_ == 1) {
      if (top_key_ == "schema") schema_ = v;
      if (top_key_ == "date") out_.date = v;
      return true;
    }
    return scalar_field([&](FlatObject::Field& f) {
      f.is_string = true;
      f.text = std::move(v);
    });
  }
  bool binary(binary_t&) override { return true; }

  bool start_object(std::size_t) override {
    ++depth_;
    if (depth_ == 3 && (section_ == Section::records || section_ == Section::rejected)) {
      object_.clear();
      in_object_ = true;
    } else if (depth_ >= 4 && in_object_) {
      field_ = nullptr;  // a nested value in a record: the record check below refuses it
      nested_ = true;
    } else if (depth_ == 2 && (section_ == Section::records || section_ == Section::rejected)) {
      fail("'" + top_key_ + "' must be an array");
    }
    return true;
  }
  bool end_object() override {
    if (depth_ == 3 && in_object_) {
      in_object_ = false;
      finish_object();
      ++index_;
    }
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (depth_ == 2) {
      section_ = top_key_ == "records"    ? Section::records
                 : top_key_ == "rejected" ? Section::rejected
                                          : Section::other;
      index_ = 0;
      if (section_ == Section::records) records_seen_ = true;
    } else if (in_object_) {
      nested_ = true;
      field_ = nullptr;
    } else if (depth_ == 3 && section_ == Section::records) {
      fail("record " + std::to_string(index_) + " is not an object");
    }
    return true;
  }
  bool end_array() override {
    if (depth_ == 2) section_ = Section::none;
    --depth_;
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 1) {
      top_key_ = k;
    } else if (depth_ == 3 && in_object_) {
      field_ = object_.find(k);
      field_name_ = k;
    }
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const json::exception& e) override {
    throw std::runtime_error("answer is not valid JSON at byte " + std::to_string(position) + ": " +
                             e.what());
  }

  void check_document() const {
    if (schema_ != "usage.v1") {
      throw std::runtime_error("answer is not a usage.v1 document (schema '" + schema_ + "')");
    }
    if (!records_seen_) throw std::runtime_error("answer has no 'records' array");
  }

 private:
  enum class Section { none, records, rejected, other };

  [[noreturn]] void fail(const std::string& m) const { throw std::runtime_error(m); }

  template <class Set>
  bool scalar_field(Set&& set) {
    if (depth_ == 2 && section_ == Section::records) {
      fail("record " + std::to_string(index_) + " is not an object");
    }
    if (depth_ == 3 && in_object_ && field_ != nullptr && !nested_) {
      field_->present = true;
      set(*field_);
    }
    return true;
  }
  bool number(double v) {
    return scalar_field([&](FlatObject::Field& f) {
      f.is_number = true;
      f.number = v;
    });
  }

  std::string required(FlatObject::Field& f, const char* name) const {
    if (!f.present || !f.is_string || f.text.empty()) {
      fail("record " + std::to_string(index_) + ": '" + name + "' must be a non-empty string");
    }
    return std::move(f.text);
  }

  void finish_object() {
    if (nested_) {
      nested_ = false;
      if (section_ == Section::records) {
        fail("record " + std::to_string(index_) + " has a field that is not a plain value");
      }
    }
    FlatObject& o = object_;
    if (section_ == Section::records) {
      store::UsageRecord r;
      r.customer_id = required(o.customer_id, "customer_id");
      r.sku = required(o.sku, "sku");
      r.metric = required(o.metric, "metric");
      if (o.customer_name.is_string) r.customer_name = std::move(o.customer_name.text);
      if (o.product_name.is_string) r.product_name = std::move(o.product_name.text);
      if (!o.quantity.is_number || !std::isfinite(o.quantity.number) || o.quantity.number < 0) {
        fail("record " + std::to_string(index_) + " (customer " + r.customer_id + ", sku " + r.sku +
             "): 'quantity' must be a non-negative number");
      }
      r.quantity = o.quantity.number;
      out_.records.push_back(std::move(r));
    } else if (section_ == Section::rejected) {
      Rejection x{o.file.is_string ? o.file.text : "",
                  o.line.is_number ? static_cast<int64_t>(o.line.number) : 0,
                  o.reason.is_string ? o.reason.text : ""};
      out_.rejected.push_back(std::move(x));
      if (o.customer_id.is_string && o.sku.is_string && o.metric.is_string) {
        out_.keep.push_back({o.customer_id.text, o.sku.text, o.metric.text});
      }
    }
  }

  UsageAnswer& out_;
  int depth_ = 0;
  std::string top_key_;
  std::string schema_;
  Section section_ = Section::none;
  bool records_seen_ = false;
  bool in_object_ = false;
  bool nested_ = false;
  FlatObject object_;
  FlatObject::Field* field_ = nullptr;
  std::string field_name_;
  size_t index_ = 0;
};

}  // namespace

UsageAnswer read_usage_answer(std::string_view text) {
  UsageAnswer answer;
  UsageSax sax(answer);
  json::sax_parse(text.begin(), text.end(), &sax);
  sax.check_document();
  return answer;
}

}  // namespace meterbridge::host
