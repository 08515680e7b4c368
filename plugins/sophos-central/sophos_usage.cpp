// sophos-central: usage items to records. See sophos_usage.hpp.
#include "sophos_usage.hpp"

#include <cmath>

namespace sophos_central {
namespace {

std::string string_field(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::string describe(const json& value) {
  std::string text = value.dump();
  if (text.size() > 40) {
    // Cut before a UTF-8 character, never inside one: the reason goes into the JSON answer.
    size_t cut = 37;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return text;
}

}  // namespace

const char* quantity_key(QuantityField field) {
  return field == QuantityField::billable ? "billableQuantity" : "actualQuantity";
}

std::string item_sku(const json& item) {
  if (!item.is_object()) return {};
  std::string sku = string_field(item, "sku");
  if (sku.empty()) sku = string_field(item, "productCode");
  return sku;
}

UsageMapper::UsageMapper(QuantityField field, std::map<std::string, std::string> tenant_names,
                         std::string source)
    : field_(field), tenant_names_(std::move(tenant_names)), source_(std::move(source)) {}

void UsageMapper::reject(std::string reason, const std::string& customer_id,
                         const std::string& sku) {
  rejections_.push_back({items_, std::move(reason), customer_id, sku});
  if (!customer_id.empty() && !sku.empty()) rejected_series_.insert({customer_id, sku});
}

void UsageMapper::add(const json& item) {
  ++items_;
  if (!item.is_object()) {
    reject("usage item is not a JSON object", "", "");
    return;
  }
  const std::string customer_id = string_field(item, "accountId");
  const std::string sku = item_sku(item);
  if (customer_id.empty()) {
    reject("usage item has no accountId (tenant id)", "", sku);
    return;
  }
  if (sku.empty()) {
    reject("usage item has neither sku nor productCode", customer_id, "");
    return;
  }
  const char* key = quantity_key(field_);
  auto q = item.find(key);
  if (q == item.end() || q->is_null()) {
    reject(std::string(key) + " is missing", customer_id, sku);
    return;
  }
  if (!q->is_number()) {
    reject(std::string(key) + " is not a number: " + describe(*q), customer_id, sku);
    return;
  }
  const double quantity = q->get<double>();
  if (!std::isfinite(quantity) || quantity < 0) {
    reject(std::string(key) + " is negative: " + describe(*q), customer_id, sku);
    return;
  }

  auto [it, inserted] = series_.try_emplace({customer_id, sku});
  UsageRecord& record = it->second;
  if (inserted) {
    record.customer_id = customer_id;
    record.sku = sku;
    auto name = tenant_names_.find(customer_id);
    if (name != tenant_names_.end() && !name->second.empty()) {
      record.customer_name = name->second;
    } else {
      record.customer_name = string_field(item, "accountName");
      if (record.customer_name.empty()) record.customer_name = customer_id;
    }
  }
  if (record.product_name.empty()) record.product_name = string_field(item, "productDescription");
  record.quantity += quantity;
}

std::vector<UsageRecord> UsageMapper::records() const {
  std::vector<UsageRecord> out;
  out.reserve(series_.size());
  for (const auto& [key, record] : series_) {
    if (rejected_series_.count(key) != 0) continue;
    UsageRecord r = record;
    if (r.product_name.empty()) r.product_name = r.sku;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace sophos_central
