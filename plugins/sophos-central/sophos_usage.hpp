// sophos-central: maps Sophos billing usage items to usage records (pure, no I/O).
//
// Sophos reports usage per order line: one tenant can hold several lines of one SKU in a month
// (an add-on order, a renewal, a line per subscription). The host wants one record per
// (customer, sku, metric) and a day, so the lines of one (tenant, sku) are summed. An item whose
// quantity is missing, not a number or negative is rejected; its whole (tenant, sku) series is
// then left out of the records (a partial sum would be a wrong quantity) and the rejection names
// it, so the host keeps what it stored before for that series.
#pragma once

#include <meterbridge/plugin.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sophos_central {

using meterbridge::json;

// The unit of every record: Sophos bills licences (seats, users, devices, servers, per SKU).
inline constexpr const char* kMetric = "licenses";

enum class QuantityField { billable, actual };

// "billableQuantity" or "actualQuantity".
const char* quantity_key(QuantityField field);

// The SKU of an item: "sku", or "productCode" when sku is empty; empty when neither is set.
std::string item_sku(const json& item);

struct UsageRecord {
  std::string customer_id, customer_name, sku, product_name;
  double quantity = 0;
};

struct UsageRejection {
  int64_t line = 0;  // 1-based position of the item in the month's usage listing
  std::string reason, customer_id, sku;
};

class UsageMapper {
 public:
  // tenant_names: tenant id -> name from the tenants listing. source names the listing in
  // rejections ("sophos-central billing usage 2025-11").
  UsageMapper(QuantityField field, std::map<std::string, std::string> tenant_names,
              std::string source);

  void add(const json& item);

  // One record per (tenant, sku) without rejections, ordered by tenant id then sku.
  std::vector<UsageRecord> records() const;
  const std::vector<UsageRejection>& rejections() const { return rejections_; }
  const std::string& source() const { return source_; }
  int64_t items() const { return items_; }

 private:
  void reject(std::string reason, const std::string& customer_id, const std::string& sku);

  QuantityField field_;
  std::map<std::string, std::string> tenant_names_;
  std::string source_;
  int64_t items_ = 0;
  std::map<std::pair<std::string, std::string>, UsageRecord> series_;
  std::set<std::pair<std::string, std::string>> rejected_series_;
  std::vector<UsageRejection> rejections_;
};

}  // namespace sophos_central
