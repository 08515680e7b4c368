// trendmicro-rm: Trend Micro products and the usage mapping. See tm_products.hpp.
#include "tm_products.hpp"

namespace trendmicro_rm {

const std::vector<Product>& known_products() {
  static const std::vector<Product> kProducts = {
      {"WFBSS", "Worry-Free Business Security Services", false},
      {"WFBS-STD", "Worry-Free Business Security Standard", false},
      {"WFBS-ADV", "Worry-Free Business Security Advanced", false},
      {"HES", "Hosted Email Security", true},
      {"TMEMS-STD", "Trend Micro Email Security Standard", true},
      {"TMEMS-ADV", "Trend Micro Email Security Advanced", true},
  };
  return kProducts;
}

const Product* find_product(const std::string& sku) {
  for (const Product& p : known_products()) {
    if (sku == p.sku) return &p;
  }
  return nullptr;
}

std::string product_name(const std::string& sku) {
  const Product* p = find_product(sku);
  return p ? p->name : sku;
}

bool is_email_product(const std::string& sku) {
  const Product* p = find_product(sku);
  return p && p->email;
}

void UsageMapper::add_customer(const Customer& customer, const std::vector<License>& licenses) {
  names_[customer.id] = customer.name;
  for (const License& l : licenses) {
    ac_products_[{customer.id, l.ac_code}] = l.product_id;
    // Licensed and enabled: the product is the customer's, so no seats in use is a known 0.
    if (l.enabled) seats_.try_emplace({customer.id, l.product_id}, 0.0);
  }
}

void UsageMapper::add_usage(const CustomerUsage& usage) {
  for (const SeatUsage& s : usage.seats) {
    ++line_;
    auto it = ac_products_.find({usage.customer_id, s.activation_code});
    if (it == ac_products_.end()) {
      // Seats under a code no subscription names cannot be billed as any product; the rest of
      // the customer's products are still right, so only this line is refused.
      rejections_.push_back({line_,
                             "activation code is in none of the customer's LMPI subscriptions, "
                             "so its product is unknown",
                             usage.customer_id});
      continue;
    }
    seats_[{usage.customer_id, it->second}] += s.used;
  }
}

std::vector<UsageRecord> UsageMapper::records() const {
  std::vector<UsageRecord> out;
  for (const auto& [key, quantity] : seats_) {
    auto name = names_.find(key.first);
    out.push_back({key.first, name == names_.end() ? key.first : name->second, key.second,
                   product_name(key.second), quantity});
  }
  return out;
}

}  // namespace trendmicro_rm
