#include "sandbox/kaseya_demo_data.hpp"

#include "sandbox/demo_data.hpp"

namespace meterbridge::host::sandbox {
using nlohmann::json;

namespace {

constexpr int64_t kResource = 29682885;

struct Service {
  const char* instance;  // "" = left unmapped on purpose
  const char* sku;
  int64_t id;
  const char* name;
  double price;
};

// One Autotask Service per billing type the demo bills. The RMM breakdowns (desktops, laptops,
// ...) are billed through the total and left unmapped, as many MSPs do.
const Service kServices[] = {
    {"rmm", "RMM-DEVICES-TOTAL", 3001, "Datto RMM - Total Device Count", 4.5},
    {"rmm", "RMM-SERVER", 3002, "Datto RMM - Server", 15.0},
    {"rmm", "RMM-NETWORK-DEVICE", 3003, "Datto RMM - Network Device", 2.0},
    {"backup", "BCDR-APPLIANCE", 3011, "Datto BCDR - Appliance", 99.0},
    {"backup", "BCDR-AGENT", 3012, "Datto BCDR - Protected Agent", 12.0},
    {"backup", "BCDR-OFFSITE-GB", 3013, "Datto BCDR - Offsite Storage (GB)", 0.05},
    {"backup", "SAAS-M365-SEATS", 3021, "SaaS Protection - Microsoft 365 Seat", 3.0},
    {"backup", "SAAS-GOOGLE-SEATS", 3022, "SaaS Protection - Google Workspace Seat", 3.0},
    {"bullphish", "bullphish-id/phishing", 3031, "BullPhish ID - Phishing", 25.0},
    {"bullphish", "bullphish-id/training", 3032, "BullPhish ID - Training", 25.0},
};

// Companies billed by nothing in the demo: they must stay untouched.
const char* const kCompaniesOnly[] = {"Northwind MSP (internal)", "Kestrel Ventures",
                                      "Lighthouse Church"};
// A company deleted in Autotask that an RMM site still points at.
constexpr int64_t kDeletedCompany = 1900;

// n as 12 upper-case hex digits.
std::string hex12(uint64_t n) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(12, '0');
  for (int k = 11; k >= 0; --k, n >>= 4) out[static_cast<size_t>(k)] = kHex[n & 0xF];
  return out;
}

int64_t company_id(size_t i) {
  return 1001 + static_cast<int64_t>(i);
}

json autotask_seed(int year) {
  const auto& customers = demo_customers();
  json companies = json::array(), contracts = json::array(), services = json::array();
  auto company = [&](int64_t id, const std::string& name, bool active) {
    companies.push_back({{"id", id},
                         {"companyName", name},
                         {"companyNumber", "C-" + std::to_string(id)},
                         {"companyType", 1},
                         {"ownerResourceID", kResource},
                         {"phone", "555-" + std::to_string(id)},
                         {"isActive", active},
                         {"parentCompanyID", nullptr},
                         {"userDefinedFields", json::array()}});
  };
  const std::string y = std::to_string(year);
  for (size_t i = 0; i < customers.size(); ++i) {
    if (*customers[i].psa_name == '\0') continue;
    company(company_id(i), customers[i].psa_name, true);
    contracts.push_back({{"id", 5001 + static_cast<int64_t>(i)},
                         {"companyID", company_id(i)},
                         {"contractName", std::string(customers[i].psa_name) + " Managed Services"},
                         {"contractNumber", "K-" + std::to_string(5001 + i)},
                         {"contractType", 7},
                         {"status", 1},
                         {"startDate", y + "-01-01T00:00:00"},
                         {"endDate", y + "-12-31T00:00:00"},
                         {"contractCategory", 1},
                         {"billingPreference", 1},
                         {"isDefaultContract", false},
                         {"timeReportingRequiresStartAndStopTimes", false},
                         {"userDefinedFields", json::array()}});
  }
  int64_t extra = 1950;
  for (const char* name : kCompaniesOnly) company(extra++, name, true);
  company(kDeletedCompany, "Old Mill Antiques Ltd", false);
  for (const Service& s : kServices) {
    services.push_back({{"id", s.id},
                        {"name", s.name},
                        {"billingCodeID", 29682801},
                        {"periodType", "m"},
                        {"unitPrice", s.price},
                        {"unitCost", s.price / 3},
                        {"markupRate", nullptr},
                        {"invoiceDescription", s.name},
                        {"isActive", true},
                        {"vendorCompanyID", nullptr}});
  }
  return {{"zone", {{"zoneName", "Emulated Zone (America East)"}, {"ci", 12345}}},
          {"apiUsers",
           {{{"userName", "api-meterbridge@msp.example"},
             {"secret", "sandbox-autotask-secret-7f2e"},
             {"apiIntegrationCode", "SANDBOX-TRACKING-ID"}}}},
          {"resources", {kResource}},
          {"externalRequestThreshold", 10000},
          {"requestThresholdTimeframe", 60},
          {"companies", companies},
          {"contracts", contracts},
          {"services", services},
          {"contractServices", json::array()},
          {"adjustments", json::array()}};
}

// Datto BCDR organizations (every third customer, under its own name) with appliances,
// agents and offsite storage, and SaaS Protection domains for every other one of them.
json backup_seed() {
  const auto& customers = demo_customers();
  json devices = json::array(), domains = json::array();
  for (size_t i = 0; i < customers.size(); i += 3) {
    const int64_t org = 2000 + static_cast<int64_t>(i);
    const std::string name = customers[i].vendor_name;
    const size_t appliances = 1 + i % 2;
    for (size_t d = 0; d < appliances; ++d) {
      const std::string serial = hex12(0xA1B2C3000000ull + i * 16 + d);
      json agents = json::array();
      for (size_t a = 0; a < 2 + (i + d) % 4; ++a) {
        agents.push_back({{"name", "AGENT-" + std::to_string(i) + "-" + std::to_string(a)},
                          {"os", "Windows Server 2022"},
                          {"isArchived", false},
                          {"isPaused", a == 3}});
      }
      devices.push_back({{"serialNumber", serial},
                         {"name", "siris-" + std::to_string(i) + "-" + std::to_string(d)},
                         {"model", "S5-2"},
                         {"hidden", false},
                         {"organizationId", org},
                         {"organizationName", name},
                         {"clientCompanyName", name},
                         {"servicePlan", "Infinite Cloud Retention"},
                         {"agentCount", agents.size()},
                         {"shareCount", 0},
                         {"localStorageUsed", {{"size", 400 + 10 * i}, {"units", "GB"}}},
                         {"offsiteStorageUsed", {{"size", 150 + 25 * i + 5 * d}, {"units", "GB"}}},
                         {"agents", agents}});
    }
    if (i % 2 != 0) continue;
    const bool google = i % 4 == 2;
    domains.push_back({{"saasCustomerId", 60000 + static_cast<int64_t>(i)},
                       {"saasCustomerName", name},
                       {"domain", "customer" + std::to_string(i) + ".example"},
                       {"organizationId", org},
                       {"organizationName", name},
                       {"seatsUsed", 5 + (i * 7) % 40},
                       {"productType", google ? "GoogleApps" : "Office365"},
                       {"externalSubscriptionId", std::string("Classic:") +
                                                      (google ? "GoogleApps:" : "Office365:") +
                                                      std::to_string(60000 + i)},
                       {"retentionType", "Infinite Cloud Retention"},
                       {"backupStats",
                        {{"activeServicesCount", 3},
                         {"activeServicesWithRecentBackupCount", 3},
                         {"backupPercentage", 100}}}});
  }
  return {{"credentials",
           {{"public_key", "sandbox-datto-public"}, {"secret_key", "sandbox-datto-secret-5a9c"}}},
          {"max_per_page", 100},
          {"devices", devices},
          {"domains", domains}};
}

// Datto RMM sites: most carry the Autotask company id (map auto links by it), six only a
// drifted name, the last few match nothing, and one still points at a deleted company. Devices
// of every class, some suspended, some in the _NotBillable_ group.
json rmm_seed() {
  const auto& customers = demo_customers();
  static const char* const kClasses[][3] = {
      // deviceClass, deviceType.category, deviceType.type
      {"device", "Desktop", "Desktop"},  {"device", "Laptop", "Laptop"},
      {"device", "Server", "Server"},    {"esxihost", "ESXi Host", "ESXi Host"},
      {"printer", "Printer", "Printer"}, {"rmmnetworkdevice", "Network Device", "Router"},
      {"device", "Mobile", "Smartphone"}};
  json sites = json::array(), not_billable = json::array();
  for (size_t i = 0; i < customers.size(); ++i) {
    // Site uids are UUIDs, as Datto RMM's are.
    json site = {{"uid", "3f2504e0-4f89-41d3-9a0c-0305e8" + hex12(0x4000 + i).substr(6)},
                 {"name", customers[i].vendor_name}};
    if (*customers[i].psa_name != '\0' && i % 7 != 3) {
      site["autotaskCompanyId"] = std::to_string(company_id(i));
      site["autotaskCompanyName"] = customers[i].psa_name;
    } else if (i + 1 == customers.size()) {
      site["autotaskCompanyId"] = std::to_string(kDeletedCompany);
      site["autotaskCompanyName"] = "Old Mill Antiques Ltd";
    }
    json devices = json::array();
    const size_t count = 6 + (i * 13) % 40;
    for (size_t d = 0; d < count; ++d) {
      const size_t k = d < 2 ? 2 + (i + d) % 5 : (d * 5 + i) % 8 < 6 ? d % 2 : 6;
      const std::string uid = "dev-" + std::to_string(i) + "-" + std::to_string(d);
      json device = {{"uid", uid},
                     {"hostname", "HOST-" + std::to_string(i) + "-" + std::to_string(d)},
                     {"deviceClass", kClasses[k][0]},
                     {"deviceType", {{"category", kClasses[k][1]}, {"type", kClasses[k][2]}}}};
      if (d == 7) device["suspended"] = true;
      if (d == 9) not_billable.push_back(uid);
      devices.push_back(device);
    }
    site["devices"] = devices;
    sites.push_back(site);
  }
  return {
      {"api_users", {{{"api_key", "SANDBOXRMMKEY42"}, {"api_secret", "sandbox-rmm-secret-3b8d"}}}},
      {"account",
       {{"id", 42}, {"uid", "acct-northwind"}, {"name", "Northwind MSP"}, {"currency", "USD"}}},
      {"token_lifetime_seconds", 360000},
      {"pagination_max", 250},
      {"rate_limit", {{"limit", 600}, {"window_seconds", 60}, {"delay_ms", 1000}}},
      {"sites", sites},
      {"filters", {{{"id", 9002}, {"name", "_NotBillable_"}, {"devices", not_billable}}}}};
}

// A BullPhish ID export (the module has no count API): phishing and training enabled per
// organization, as 1 per day.
std::string bullphish_csv(const std::string& date) {
  const auto& customers = demo_customers();
  std::string csv = "date,customer_id,customer_name,type,quantity\n";
  for (size_t i = 1; i < customers.size(); i += 5) {
    const std::string id = "BP-" + std::to_string(7000 + i);
    std::string name = customers[i].vendor_name;
    for (char& c : name) c = c == '"' ? '\'' : c;
    csv += date + "," + id + ",\"" + name + "\",phishing,1\n";
    if (i % 2 == 1) csv += date + "," + id + ",\"" + name + "\",training,1\n";
  }
  return csv;
}

}  // namespace

KaseyaDemo make_kaseya_demo(engine::Day today) {
  KaseyaDemo demo;
  demo.autotask_seed = autotask_seed(static_cast<int>(engine::year_month_of(today).year));
  demo.rmm_seed = rmm_seed();
  demo.backup_seed = backup_seed();
  demo.bullphish_csv = bullphish_csv(engine::format_iso_date(today));
  for (const Service& s : kServices) demo.products.push_back({s.instance, s.sku, s.id});
  return demo;
}

}  // namespace meterbridge::host::sandbox
