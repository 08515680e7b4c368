// What Datto's BCDR and SaaS Protection answers mean for billing, without any HTTP: which
// customer a device or a SaaS domain belongs to, which agents count, how offsite storage becomes
// GB, and the tally of one day per (customer, SKU). The rules are documented in README.md.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace datto {

using nlohmann::json;

struct Sku {
  const char* sku;
  const char* product;
  const char* metric;
};

inline constexpr Sku kAppliance{"BCDR-APPLIANCE", "Datto BCDR appliances", "devices"};
inline constexpr Sku kAgent{"BCDR-AGENT", "Datto BCDR protected agents", "agents"};
inline constexpr Sku kOffsite{"BCDR-OFFSITE-GB", "Datto BCDR offsite storage (GB)", "gb"};
inline constexpr Sku kM365{"SAAS-M365-SEATS", "Datto SaaS Protection for Microsoft 365", "seats"};
inline constexpr Sku kGoogle{"SAAS-GOOGLE-SEATS", "Datto SaaS Protection for Google Workspace",
                             "seats"};

struct Customer {
  std::string id;
  std::string name;
};

// The customer of a BCDR device: "org:<organizationId>", else "client:<clientCompanyName>".
// nullopt when the device names neither.
std::optional<Customer> device_customer(const json& device);
// The customer of a SaaS domain: "org:<organizationId>" (so a customer with BCDR devices too is
// one customer), else "saas:<saasCustomerId>". nullopt when it names neither.
std::optional<Customer> domain_customer(const json& domain);

// A device the partner hid in the portal ("hidden": true); such a device is not billed.
bool device_hidden(const json& device);
// An agent that is protected: neither archived nor paused (isArchived / isPaused).
bool agent_protected(const json& agent);
// offsiteStorageUsed {size, units} in GB (1 GB = 1024 MB); 0 when the device has none.
// Throws std::invalid_argument naming what it cannot read.
double offsite_gb(const json& device);
// The SKU of a SaaS domain's productType ("Office365", "Google..."); nullptr when unknown.
const Sku* saas_sku(const std::string& product_type);

// The day's quantities per (customer, SKU), each customer under one name.
class Tally {
 public:
  void add(const Customer& customer, const Sku& sku, double quantity);
  // Registers a customer without usage (discover).
  void know(const Customer& customer);
  // {"customers":[{"id","name"}]} in id order.
  json customers() const;
  // usage.v1 records, one per (customer, SKU), in (id, SKU) order; gb rounded to 0.001.
  json records() const;

 private:
  struct Entry {
    std::string name;
    std::map<std::string, std::pair<const Sku*, double>> quantities;  // by SKU
  };
  std::map<std::string, Entry> customers_;
};

}  // namespace datto
