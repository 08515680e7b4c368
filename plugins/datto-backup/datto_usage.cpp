#include "datto_usage.hpp"

#include <cmath>
#include <stdexcept>

namespace datto {

namespace {

// An id as the API gives it, number or string; "" when absent, null or empty.
std::string id_text(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return {};
}

std::string text(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The first non-empty of the names, else the fallback.
std::string first_name(std::initializer_list<std::string> names, const std::string& fallback) {
  for (const std::string& n : names) {
    if (!n.empty()) return n;
  }
  return fallback;
}

bool flag(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

std::optional<Customer> device_customer(const json& device) {
  const std::string org = id_text(device, "organizationId");
  const std::string org_name = text(device, "organizationName");
  const std::string client = text(device, "clientCompanyName");
  if (!org.empty()) return Customer{"org:" + org, first_name({org_name, client}, org)};
  if (!client.empty()) return Customer{"client:" + client, client};
  return std::nullopt;
}

std::optional<Customer> domain_customer(const json& domain) {
  const std::string org = id_text(domain, "organizationId");
  const std::string org_name = text(domain, "organizationName");
  const std::string saas_name = text(domain, "saasCustomerName");
  if (!org.empty()) return Customer{"org:" + org, first_name({org_name, saas_name}, org)};
  const std::string saas = id_text(domain, "saasCustomerId");
  if (!saas.empty()) return Customer{"saas:" + saas, first_name({saas_name, org_name}, saas)};
  return std::nullopt;
}

bool device_hidden(const json& device) {
  return flag(device, "hidden");
}

bool agent_protected(const json& agent) {
  return !flag(agent, "isArchived") && !flag(agent, "isPaused");
}

double offsite_gb(const json& device) {
  auto it = device.find("offsiteStorageUsed");
  if (it == device.end() || it->is_null()) return 0;
  if (!it->is_object() || !(*it)["size"].is_number() || !(*it)["units"].is_string())
    throw std::invalid_argument("offsiteStorageUsed is not {size, units}");
  const double size = (*it)["size"].get<double>();
  if (size < 0 || !std::isfinite(size))
    throw std::invalid_argument("offsiteStorageUsed.size is negative");
  std::string units = (*it)["units"].get<std::string>();
  for (char& c : units) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  // Binary steps, as the appliance's storage reports them: a GB is 1024 MB.
  static const std::map<std::string, double> kPerGb = {{"B", 1024.0 * 1024 * 1024},
                                                       {"BYTES", 1024.0 * 1024 * 1024},
                                                       {"KB", 1024.0 * 1024},
                                                       {"MB", 1024.0},
                                                       {"GB", 1.0},
                                                       {"TB", 1.0 / 1024},
                                                       {"PB", 1.0 / (1024 * 1024)}};
  auto unit = kPerGb.find(units);
  if (unit == kPerGb.end())
    throw std::invalid_argument("offsiteStorageUsed.units '" + units + "' is not a known unit");
  return size / unit->second;
}

const Sku* saas_sku(const std::string& product_type) {
  if (product_type == "Office365") return &kM365;
  if (product_type.rfind("Google", 0) == 0) return &kGoogle;
  return nullptr;
}

void Tally::know(const Customer& customer) {
  Entry& entry = customers_[customer.id];
  if (entry.name.empty()) entry.name = customer.name;  // the first name seen (BCDR is read first)
}

void Tally::add(const Customer& customer, const Sku& sku, double quantity) {
  know(customer);
  Entry& entry = customers_[customer.id];
  auto& slot = entry.quantities[sku.sku];
  slot.first = &sku;
  slot.second += quantity;
}

json Tally::customers() const {
  json out = json::array();
  for (const auto& [id, entry] : customers_) out.push_back({{"id", id}, {"name", entry.name}});
  return out;
}

json Tally::records() const {
  json out = json::array();
  for (const auto& [id, entry] : customers_) {
    for (const auto& [sku, slot] : entry.quantities) {
      double quantity = slot.second;
      // Sums of converted sizes carry float noise (0.30000000000000004); a megabyte is enough.
      if (std::string(slot.first->metric) == "gb") quantity = std::round(quantity * 1000) / 1000;
      out.push_back({{"customer_id", id},
                     {"customer_name", entry.name},
                     {"sku", sku},
                     {"product_name", slot.first->product},
                     {"metric", slot.first->metric},
                     {"quantity", quantity}});
    }
  }
  return out;
}

}  // namespace datto
