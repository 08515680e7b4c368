#include "kaseya_modules.hpp"

#include <algorithm>
#include <cctype>

namespace file_drop {

// From docs/research/modules-and-notifications.md table 1.2 (Autotask's "ICB Billing Types"
// page and the modules' own help pages). Modules with their own plugin (Datto RMM: datto-rmm;
// Datto BCDR, SaaS Protection, Endpoint Backup: datto-backup) are not here.
const std::vector<KaseyaModule>& kaseya_modules() {
  static const std::vector<KaseyaModule> modules = {
      {"bullphish-id",
       "BullPhish ID",
       true,
       {{"bullphish-id/phishing", "Phishing Module Metric Type", "enabled"},
        {"bullphish-id/training", "Training Module Metric Type", "enabled"}}},
      {"compliance-manager",
       "Compliance Manager",
       true,
       {{"compliance-manager/devices", "Devices", "devices"},
        {"compliance-manager/users", "Users", "users"},
        {"compliance-manager/enabled", "Is Enabled", "enabled"}}},
      {"cyber-hawk", "Cyber Hawk", true, {{"cyber-hawk/enabled", "Is Enabled", "enabled"}}},
      {"dark-web-id",
       "Dark Web ID",
       true,
       {{"dark-web-id/live-searches", "Live Searches per Month", "searches"},
        {"dark-web-id/personal-email-monitoring", "Personal Email Monitoring", "emails"},
        {"dark-web-id/ida-setup", "IDA Dark Web Monitoring Setup", "enabled"},
        {"dark-web-id/gov-domain-search", "Live Search for .Gov Domain", "searches"},
        {"dark-web-id/domains", "Number of Domains", "domains"},
        {"dark-web-id/supply-chain", "Supply Chain Monitoring for MSPs", "count"}}},
      {"datto-edr", "Datto EDR", false, {{"datto-edr/agents", "Agents", "agents"}}},
      {"datto-file-protection",
       "Datto File Protection",
       false,
       {{"datto-file-protection/users", "Users", "users"}}},
      {"datto-networking",
       "Datto Networking",
       false,
       {{"datto-networking/devices", "Devices", "devices"}}},
      {"datto-saas-defense",
       "Datto SaaS Defense",
       false,
       {{"datto-saas-defense/seats", "Protected Seats", "seats"}}},
      {"graphus", "Graphus", false, {{"graphus/inboxes", "Paid Inboxes", "inboxes"}}},
      {"network-detective-pro",
       "Network Detective Pro",
       false,
       {{"network-detective-pro/enabled", "Is Enabled", "enabled"}}},
      {"passly", "Passly", false, {{"passly/users", "Users", "users"}}},
      {"rocketcyber", "RocketCyber", false, {{"rocketcyber/agents", "Agents", "agents"}}},
      {"spanning-o365",
       "Spanning O365",
       true,
       {{"spanning-o365/standard-licenses", "Standard Licenses in Use", "licenses"},
        {"spanning-o365/archived-licenses", "Archived Licenses", "licenses"}}},
      {"spanning-google",
       "Spanning Google",
       true,
       {{"spanning-google/standard-licenses", "Standard Licenses in Use", "licenses"},
        {"spanning-google/archived-licenses", "Archived Licenses", "licenses"}}},
      {"traverse", "Traverse", false, {{"traverse/devices", "Devices", "devices"}}},
      {"uniview", "Unitrends UniView", false, {{"uniview/assets", "Protected Assets", "assets"}}},
      {"vsa-10", "VSA 10", false, {{"vsa-10/devices", "Devices", "devices"}}},
      {"vulscan", "VulScan", false, {{"vulscan/devices", "Scanned Devices", "devices"}}},
      {"workplace", "Workplace", true, {{"workplace/devices", "Total Managed Devices", "devices"}}},
  };
  return modules;
}

const KaseyaModule* find_module(std::string_view id) {
  for (const auto& m : kaseya_modules()) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

namespace {

bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

const BillingType* find_type(const KaseyaModule& module, std::string_view text) {
  for (const auto& t : module.types) {
    std::string_view code = t.sku.substr(t.sku.find('/') + 1);
    if (same_text(text, t.sku) || same_text(text, code) || same_text(text, t.name)) return &t;
  }
  return nullptr;
}

void ModuleRows::row(const Row& row) {
  const BillingType* type = find_type(module_, row.sku);
  if (type == nullptr) {
    Rejection r;
    r.line = row.line;
    r.date = row.date;
    r.customer_id = row.customer_id;
    r.sku = row.sku;
    r.reason = "type '" + std::string(row.sku) + "' is not a billing type of module " +
               std::string(module_.id) + " (expected one of:";
    for (const auto& t : module_.types) {
      r.reason += " '" + std::string(t.sku.substr(t.sku.find('/') + 1)) + "'";
    }
    r.reason += ")";
    next_.reject(r);
    return;
  }
  Row out = row;
  out.sku = type->sku;
  if (out.metric.empty()) out.metric = type->metric;
  if (out.product_name.empty()) {
    // Kaseya recommends one PSA service per module and type, named "Module - Billing Type".
    product_name_ = std::string(module_.name) + " - " + std::string(type->name);
    out.product_name = product_name_;
  }
  next_.row(out);
}

}  // namespace file_drop
