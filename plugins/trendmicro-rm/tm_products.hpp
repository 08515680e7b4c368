// trendmicro-rm: Trend Micro products and how seat usage maps to usage records (pure, no I/O).
//
// SMPI's customers/usage tells seats in use per activation code; which product an activation
// code is comes from the customer's LMPI subscriptions (licenses[].ac_code -> product_id). The
// SKU of a record is that product_id, so a product this table does not know still bills under
// its own id (README "Products").
#pragma once

#include "tm_client.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace trendmicro_rm {

// The unit of every usage record: Trend Micro licenses its services per seat.
inline constexpr const char* kMetric = "seats";

struct Product {
  const char* sku;  // the LMPI product_id (our assumption of the ids, README "Products")
  const char* name;
  bool email;  // an email-security product: answered by `detections`
};

// The products the plugin names. Unknown ids are billed under their id, named by it.
const std::vector<Product>& known_products();
const Product* find_product(const std::string& sku);
// The product's name, or the SKU itself for a product the table does not know.
std::string product_name(const std::string& sku);
bool is_email_product(const std::string& sku);

struct UsageRecord {
  std::string customer_id, customer_name, sku, product_name;
  double quantity = 0;
};

struct UsageRejection {
  int64_t line = 0;  // 1-based position of the seat usage in the collect's usage answers
  std::string reason, customer_id;
};

// Builds the records of one collect: seats per (customer, product), summed over the product's
// activation codes; a product the customer is licensed for without seats in use is a known 0.
class UsageMapper {
 public:
  void add_customer(const Customer& customer, const std::vector<License>& licenses);
  void add_usage(const CustomerUsage& usage);

  // One record per (customer, sku), ordered by customer id then sku.
  std::vector<UsageRecord> records() const;
  const std::vector<UsageRejection>& rejections() const { return rejections_; }

 private:
  std::map<std::string, std::string> names_;                                // customer -> name
  std::map<std::pair<std::string, std::string>, std::string> ac_products_;  // (customer, ac)
  std::map<std::pair<std::string, std::string>, double> seats_;             // (customer, sku)
  std::vector<UsageRejection> rejections_;
  int64_t line_ = 0;
};

}  // namespace trendmicro_rm
