#include "sandbox/demo_data.hpp"

#include <cctype>
#include <cstdio>
#include <iterator>

namespace meterbridge::host::sandbox {
using nlohmann::json;

namespace {

// A Sophos tenant and the ConnectWise company it is billed to ("" = no company: unmatched).
struct Customer {
  const char* tenant;
  const char* company;
};

// 31 differ only by what normalisation absorbs; 9 need a confirmed suggestion (the 8 after
// Zamora, and Hoffmann & Söhne: "und" is not "&"); the last 6 have no company at all.
const Customer kCustomers[] = {
    {"Acme Dental Group, Inc.", "ACME Dental Group"},
    {"Brightwater Logistics LLC", "Brightwater Logistics"},
    {"Città di Lugo S.r.l.", "Citta di Lugo Srl"},
    {"Northwind Traders Ltd", "Northwind Traders"},
    {"Pinecrest Veterinary Clinic", "Pinecrest Veterinary Clinic, LLC"},
    {"Harbor & Pine Architects", "Harbor and Pine Architects"},
    {"Müller Maschinenbau GmbH", "Muller Maschinenbau"},
    {"Bluebird Bakery Inc", "Bluebird Bakery"},
    {"Cedar & Finch Law", "Cedar and Finch Law LLP"},
    {"Evergreen CPA LLC", "Evergreen CPA"},
    {"Juniper Boutique Hotel", "JUNIPER BOUTIQUE HOTEL"},
    {"Gruber Elektrotechnik GmbH", "Gruber Elektrotechnik"},
    {"Fratelli Rossi S.p.A.", "Fratelli Rossi SpA"},
    {"Silver Lake Orthodontics, P.C.", "Silver Lake Orthodontics"},
    {"Meridian Freight Corp.", "Meridian Freight Corporation"},
    {"Aurora Pediatrics", "Aurora Pediatrics LLC"},
    {"Stonebridge Capital Partners LLC", "Stonebridge Capital Partners"},
    {"Café Lumière SARL", "Cafe Lumiere"},
    {"Hoffmann & Söhne KG", "Hoffmann und Sohne KG"},
    {"Blue Ridge Outfitters Inc.", "Blue Ridge Outfitters"},
    {"Coastal Home Health, LLC", "Coastal Home Health"},
    {"Ironclad Security Services Ltd.", "Ironclad Security Services"},
    {"Lindqvist Design AB", "Lindqvist Design"},
    {"Maplewood Family Practice", "Maplewood Family Practice PLLC"},
    {"Oceanic Seafoods Ltd", "Oceanic Seafoods Limited"},
    {"Prairie Wind Energy Inc", "Prairie Wind Energy"},
    {"Redwood Title & Escrow", "Redwood Title and Escrow"},
    {"Sunset Realty Group LLC", "Sunset Realty Group"},
    {"Tanaka Trading Co., Ltd.", "Tanaka Trading"},
    {"Valley Veterinary Hospital", "VALLEY VETERINARY HOSPITAL INC"},
    {"Westfield Auto Repair", "Westfield Auto Repair, Inc."},
    {"Zamora Construcciones S.L.", "Zamora Construcciones SL"},
    {"Bright Star Dental", "Brightstar Dental"},
    {"Lakeside Medical Centre", "Lakeside Medical Center"},
    {"Oakridge Accounting", "Oak Ridge Accounting"},
    {"Summit Physiotherapy Clinic", "Summit Physio Clinic"},
    {"Greenleaf Landscaping Svcs", "Greenleaf Landscaping Services"},
    {"St. Mary's Parish School", "Saint Marys Parish School"},
    {"Hilltop Montessori Acadmy", "Hilltop Montessori Academy"},
    {"Riverbend Insurance Agncy", "Riverbend Insurance Agency"},
    {"Quantum Leap Robotics", ""},
    {"Zephyr Aerial Imaging", ""},
    {"Old Mill Antiques", ""},
    {"Nimbus Yoga Studio", ""},
    {"Tidewater Kayak Rentals", ""},
    {"Test Tenant (do not bill)", ""},
};

// ConnectWise companies without a Sophos tenant: they must stay untouched.
const char* const kCompaniesOnly[] = {"Northwind MSP (internal)", "Kestrel Ventures",
                                      "Lighthouse Church"};

struct Sku {
  const char* sku;
  const char* code;
  const char* description;
  const char* group;
  const char* catalog_id;  // "" = left unmapped in the demo
};

const Sku kSkus[] = {
    {"CIXAMSPMO", "CIXA-MSP", "Central Intercept X Advanced - MSP Monthly", "User", "EDR-SEAT"},
    {"SVRCIXAMSPMO", "SVRCIXA-MSP", "Central Intercept X Advanced for Server - MSP Monthly",
     "Server", "SERVER-PROT"},
    {"CEMADVMSPMO", "CEMADV-MSP", "Central Email Advanced - MSP Monthly", "User", "EMAIL-ADV"},
    {"MDRCMSPMO", "MDRC-MSP", "Managed Detection and Response Complete - MSP Monthly", "User",
     "MDR-SEAT"},
    {"CPHMSPMO", "CPH-MSP", "Phish Threat - MSP Monthly", "User", ""},
};

std::string tenant_id(size_t i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "7a1c%04zx-5e0b-4c2d-9f31-0000000%05zu", i, i);
  return buf;
}

std::string identifier_of(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) out += c;
    if (out.size() == 25) break;
  }
  return out;
}

std::string month_key(engine::YearMonth ym) {
  return engine::format_year_month(ym);
}

// The seats of tenant i for SKU s in a month (0 = not licensed). Deterministic, varied, and a
// little lower the month before so that the months differ.
int64_t seats(size_t i, size_t s, bool previous) {
  int64_t users = 8 + static_cast<int64_t>((i * 37) % 90);
  int64_t q = 0;
  switch (s) {
    case 0:
      q = users;
      break;
    case 1:
      q = i % 3 == 0 ? 1 + static_cast<int64_t>(i % 5) : 0;
      break;
    case 2:
      q = i % 2 == 0 ? users - static_cast<int64_t>(i % 4) : 0;
      break;
    case 3:
      q = i % 7 == 0 ? users : 0;
      break;
    case 4:
      q = i % 9 == 4 ? users : 0;
      break;
  }
  if (previous && q > 2) q -= static_cast<int64_t>(i % 3);
  return q;
}

json usage_items(engine::YearMonth ym, bool previous) {
  json items = json::array();
  const engine::Day first = engine::first_day_of(ym);
  const engine::Day last = first + engine::days_in_month(ym) - 1;

  for (size_t i = 0; i < std::size(kCustomers); ++i) {
    for (size_t s = 0; s < std::size(kSkus); ++s) {
      int64_t q = seats(i, s, previous);
      if (q == 0) continue;

      items.push_back({{"accountId", tenant_id(i)},
                       {"sku", kSkus[s].sku},
                       {"productCode", kSkus[s].code},
                       {"productDescription", kSkus[s].description},
                       {"productGroup", kSkus[s].group},
                       {"billableQuantity", q},
                       // Sophos bills a few seats less than it sees in use (grace seats).
                       {"actualQuantity", q + (i % 4 == 0 ? 1 : 0)},
                       {"billingStartDate", engine::format_iso_date(first)},
                       {"billingEndDate", engine::format_iso_date(last)},
                       {"orderNumber", "MSP-" + month_key(ym) + "-" + std::to_string(1000 + i)},
                       {"orderLineItemNumber", std::to_string(10 * (s + 1))}});
    }
  }
  return items;
}

json sophos_seed(engine::YearMonth month) {
  static const char* const regions[] = {"eu01", "eu02", "us01", "us03", "ca01"};
  json tenants = json::array();
  for (size_t i = 0; i < std::size(kCustomers); ++i) {
    // Each tenant holds usage licences for what it uses: `plugins call sophos licenses`.
    json licenses = json::array();
    for (size_t s = 0; s < std::size(kSkus); ++s) {
      const int64_t used = seats(i, s, false);
      if (used == 0) continue;
      licenses.push_back({{"id", tenant_id(i).substr(0, 24) + "0000000" + std::to_string(s)},
                          {"licenseIdentifier",
                           std::string(kSkus[s].code) + "-" + std::to_string(100000 + i * 10 + s)},
                          {"product", {{"code", kSkus[s].code}}},
                          {"startDate", "2025-01-01"},
                          {"endDate", "2027-12-31"},
                          {"perpetual", false},
                          {"type", "usage"},
                          {"unlimited", false},
                          {"quantity", (used + 9) / 10 * 10},
                          {"usage", {{"current", {{"count", used}}}}}});
    }
    tenants.push_back({{"id", tenant_id(i)},
                       {"name", kCustomers[i].tenant},
                       {"dataRegion", regions[i % std::size(regions)]},
                       {"billingType", "usage"},
                       {"licenses", licenses}});
  }
  const engine::YearMonth before = engine::previous_month(month);
  return {{"partner", {{"id", "3f6b2a10-8c4d-4e5f-a1b2-c3d4e5f60718"}, {"name", "Northwind MSP"}}},
          {"credentials",
           {{"client_id", "9d2e4f60-1a3b-4c5d-8e7f-0a1b2c3d4e5f"},
            {"client_secret", "sandbox-sophos-secret-4c1d"}}},
          {"token_ttl_seconds", 3600},
          {"max_page_size", 100},
          {"tenants", tenants},
          {"usage",
           {{month_key(before), usage_items(before, true)},
            {month_key(month), usage_items(month, false)}}}};
}

json catalog_item(int id, const char* identifier, const char* description, double price,
                  double cost) {
  return {{"id", id},
          {"identifier", identifier},
          {"description", description},
          {"customerDescription", description},
          {"price", price},
          {"cost", cost},
          {"inactiveFlag", false},
          {"productClass", "Service"},
          {"recurringFlag", true},
          {"subcategory", {{"id", 6}, {"name", "Security"}}},
          {"type", {{"id", 4}, {"name", "Managed Service"}}},
          {"unitOfMeasure", {{"id", 1}, {"name", "Each"}}}};
}

json connectwise_seed() {
  json companies = json::array(), agreements = json::array();
  int company_id = 19001, agreement_id = 7001;
  auto add_company = [&](const std::string& name) {
    companies.push_back({{"id", company_id}, {"identifier", identifier_of(name)}, {"name", name}});
    agreements.push_back({{"id", agreement_id},
                          {"name", name + " - Managed Services"},
                          {"type", {{"id", 1}}},
                          {"company", {{"id", company_id}}},
                          {"agreementStatus", "Active"},
                          {"cancelledFlag", false},
                          {"startDate", "2024-01-01T00:00:00Z"}});
    ++company_id;
    ++agreement_id;
  };
  for (const auto& c : kCustomers) {
    if (*c.company) add_company(c.company);
  }
  for (const char* name : kCompaniesOnly) add_company(name);
  return {{"company_id", "northwindmsp"},
          {"company_name", "Northwind MSP"},
          {"public_key", "SandboxPublic01"},
          {"private_key", "SandboxPrivate-7e3a91"},
          {"client_ids", {"b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"}},
          {"companies", companies},
          {"agreement_types",
           {{{"id", 1}, {"name", "Managed Service"}}, {{"id", 2}, {"name", "Block Time"}}}},
          {"agreements", agreements},
          {"catalog",
           {catalog_item(101, "EDR-SEAT", "Managed endpoint protection, per user", 4.5, 2.2),
            catalog_item(102, "SERVER-PROT", "Managed server protection, per server", 9.0, 4.4),
            catalog_item(103, "EMAIL-ADV", "Advanced email security, per mailbox", 2.1, 1.0),
            catalog_item(104, "MDR-SEAT", "Managed detection and response, per user", 8.5, 5.1),
            catalog_item(105, "BACKUP-SRV", "Server backup, per server", 25.0, 11.0)}},
          // Entered by hand in ConnectWise: meterbridge must leave it alone.
          {"additions",
           {{{"id", 9001},
             {"agreementId", 7001},
             {"product", {{"identifier", "BACKUP-SRV"}}},
             {"quantity", 2},
             {"billCustomer", "Billable"},
             {"effectiveDate", "2024-01-01"},
             {"description", "added by hand"}}}}};
}

}  // namespace

const std::vector<DemoCustomer>& demo_customers() {
  static const std::vector<DemoCustomer> customers = [] {
    std::vector<DemoCustomer> out;
    for (const Customer& c : kCustomers) out.push_back({c.tenant, c.company});
    return out;
  }();
  return customers;
}

DemoData make_demo_data(engine::YearMonth month) {
  DemoData d;
  d.sophos_seed = sophos_seed(month);
  d.connectwise_seed = connectwise_seed();
  for (const auto& s : kSkus) d.products.push_back({s.sku, s.catalog_id});
  return d;
}

}  // namespace meterbridge::host::sandbox
