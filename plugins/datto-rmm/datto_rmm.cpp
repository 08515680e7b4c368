// datto-rmm: devices per site of a Datto RMM account, counted in Kaseya's billing types for
// Datto RMM (README.md). Customers are sites; a site linked to an Autotask company says so in
// discover's psa_hint. The API tells current counts only, so past days stay missing.
#include <meterbridge/plugin.hpp>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "datto_billing.hpp"
#include "datto_client.hpp"

using meterbridge::json;

namespace {

std::string text(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return {};
}

// A site as a catalog customer; psa_hint when Datto links it to an Autotask company.
json customer(const json& site) {
  json c = {{"id", text(site, "uid")}, {"name", text(site, "name")}};
  const std::string company = text(site, "autotaskCompanyId");
  if (!company.empty() && company != "0") {
    c["psa_hint"] = {{"psa", "autotask"},
                     {"company_id", company},
                     {"company_name", text(site, "autotaskCompanyName")}};
  }
  return c;
}

}  // namespace

class DattoRmm : public meterbridge::SourcePlugin {
 public:
  DattoRmm(meterbridge::Host host, const json& settings)
      : host_(host),
        rmm_(host, trimmed(settings.at("api_url").get<std::string>()),
             settings.value("page_size", int64_t{250})) {}

  // The API tells only current counts: a past day stays missing instead of billing today's.
  bool answers_past_days() const override { return false; }

  json check() override {
    json rate = rmm_.read_rate_limit();
    json account = rmm_.account();
    return {{"account", text(account, "name")},
            {"devices", account.value("devicesStatus", json::object()).value("numberOfDevices", 0)},
            {"rate_limit", rate.value("accountRateLimit", 0)},
            {"rate_window_s", rate.value("slidingTimeWindowSizeSeconds", 0)},
            {"requests_in_window", rate.value("accountCount", 0)}};
  }

  json discover() override {
    rmm_.read_rate_limit();
    json customers = json::array();
    rmm_.each_site([&](const json& site) { customers.push_back(customer(site)); });
    json products = json::array();
    for (const auto& s : datto_rmm::sku_table())
      products.push_back({{"sku", s.sku}, {"name", s.name}});
    return {{"customers", customers}, {"products", products}};
  }

  json collect(const std::string&) override {
    rmm_.read_rate_limit();
    const std::set<std::string> excluded = rmm_.not_billable_devices();
    std::vector<json> sites;
    rmm_.each_site([&](const json& site) { sites.push_back(site); });
    json records = json::array();
    int64_t left_out = 0;
    for (const json& site : sites) {
      const std::string uid = text(site, "uid");
      if (uid.empty()) throw meterbridge::transient_error("Datto RMM listed a site without a uid");
      datto_rmm::SiteCounts counts;
      rmm_.each_device(uid, [&](const json& device) {
        if (excluded.count(text(device, "uid")) != 0) {
          ++left_out;
          return;
        }
        counts.add(datto_rmm::classify(device));
      });
      add_records(records, uid, text(site, "name"), counts);
    }
    host_.info("Datto RMM: " + std::to_string(sites.size()) + " sites, " +
               std::to_string(left_out) + " device(s) in " + datto_rmm::kNotBillable +
               " left out, paced " + std::to_string(rmm_.pacer().waits()) + " time(s) for " +
               std::to_string(rmm_.pacer().waited_ms()) + " ms");
    return {{"records", records}};
  }

 private:
  static std::string trimmed(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  }

  // One record per SKU the site has; the total always, so a site with nothing billable shows as
  // a known zero.
  static void add_records(json& records, const std::string& uid, const std::string& name,
                          const datto_rmm::SiteCounts& counts) {
    const auto& table = datto_rmm::sku_table();
    for (size_t i = 0; i < table.size(); ++i) {
      const auto sku = static_cast<datto_rmm::Sku>(i);
      const int64_t n = counts.count(sku);
      if (n == 0 && sku != datto_rmm::Sku::kTotal) continue;
      records.push_back({{"customer_id", uid},
                         {"customer_name", name},
                         {"sku", table[i].sku},
                         {"product_name", table[i].name},
                         {"metric", "devices"},
                         {"quantity", n}});
    }
  }

  meterbridge::Host host_;
  datto_rmm::Client rmm_;
};

MB_PLUGIN(DattoRmm, "Datto RMM: devices per site, in Kaseya's billing types for Datto RMM", R"({
  "type": "object",
  "required": ["api_url", "api_key", "api_secret"],
  "additionalProperties": false,
  "properties": {
    "api_url": {"type": "string", "pattern": "^https?://[^/]+/?$",
                "description": "the platform's API host, e.g. https://merlot-api.centrastage.net; /api is appended"
}
, "api_key" : {"type" : "string", "x-secret" : true, "description" : "${env:DATTO_RMM_API_KEY}"},
              "api_secret"
    : {"type" : "string", "x-secret" : true, "description" : "${env:DATTO_RMM_API_SECRET}"},
      "page_size" : {
  "type" : "integer",
           "minimum" : 1,
           "maximum" : 250,
           "default" : 250,
           "description" : "devices and sites per page (max), at most 250"
}
}
})")
