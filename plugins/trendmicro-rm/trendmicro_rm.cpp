// trendmicro-rm: a source plugin that reads the seats in use of a Trend Micro Remote Manager
// partner's customers (SMPI customers and customers/usage, LMPI subscriptions for which product
// an activation code is), plus the extra operation `detections` for the email products.
//
// SMPI tells current seat counts only, so the source answers today and refuses past days
// (PROTOCOL.md P6.9): its products are mapped with daily tracking like any current count.
#include <meterbridge/plugin.hpp>

#include "tm_client.hpp"
#include "tm_products.hpp"

#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

using meterbridge::json;

namespace trendmicro_rm {
namespace {

const char* const kSchema = R"json({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "trendmicro-rm settings",
  "type": "object",
  "additionalProperties": false,
  "required": ["access_token", "secret_key"],
  "properties": {
    "access_token": {"type": "string", "minLength": 1, "x-secret": true,
                     "description": "Remote Manager API access token: ${env:NAME} or ${file:PATH}"},
    "secret_key": {"type": "string", "minLength": 1, "x-secret": true,
                   "description": "Remote Manager API secret key: ${env:NAME} or ${file:PATH}"},
    "api_url": {"type": "string", "pattern": "^https?://", "minLength": 8,
                "default": "https://cspi.trendmicro.com",
                "description": "SMPI URL shown with the API key; /SMPI/... and /LMPI/... are appended"},
    "api_version": {"type": "string", "pattern": "^v[0-9]+\\.[0-9]+$", "default": "v2.8",
                    "description": "SMPI version in the path, vN.N"}
  }
})json";

std::string optional_string(const json& s, const char* key, const char* fallback) {
  if (!s.contains(key)) return fallback;
  const json& v = s[key];
  if (!v.is_string() || v.get<std::string>().empty())
    throw meterbridge::config_error(std::string("setting '") + key +
                                    "' must be a non-empty string");
  return v.get<std::string>();
}

ClientSettings parse_settings(const json& s) {
  if (!s.is_object()) throw meterbridge::config_error("settings must be a JSON object");
  for (const char* key : {"access_token", "secret_key"}) {
    if (!s.contains(key)) {
      throw meterbridge::config_error(std::string("setting '") + key +
                                      "' is required (${env:NAME} or ${file:PATH})");
    }
  }
  ClientSettings out;
  out.api_url = optional_string(s, "api_url", kDefaultApiUrl);
  while (!out.api_url.empty() && out.api_url.back() == '/') out.api_url.pop_back();
  if (out.api_url.rfind("https://", 0) != 0 && out.api_url.rfind("http://", 0) != 0)
    throw meterbridge::config_error("setting 'api_url' must be an http(s) URL");
  out.api_version = optional_string(s, "api_version", kDefaultApiVersion);
  if (!std::regex_match(out.api_version, std::regex("v[0-9]+\\.[0-9]+")))
    throw meterbridge::config_error("setting 'api_version' must look like v2.8 (vN.N)");
  return out;
}

// A YYYY-MM-DD calendar day of the detections request; invalid-argument otherwise.
std::chrono::sys_days parse_day(const json& request, const char* key) {
  using namespace std::chrono;
  const std::string text =
      request.contains(key) && request[key].is_string() ? request[key].get<std::string>() : "";
  auto digits = [&](size_t from, size_t n) {
    int v = 0;
    for (size_t i = from; i < from + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    const int y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
    const year_month_day ymd{year(y), month(static_cast<unsigned>(m)),
                             day(static_cast<unsigned>(d))};
    if (y >= 1970 && m > 0 && d > 0 && ymd.ok()) return sys_days(ymd);
  }
  throw meterbridge::Error(MB_E_INVALID_ARGUMENT,
                           std::string("detections needs '") + key + "' as a YYYY-MM-DD date");
}

}  // namespace

class TrendMicroSource : public meterbridge::SourcePlugin {
 public:
  TrendMicroSource(meterbridge::Host host, const json& settings)
      : TrendMicroSource(host, parse_settings(settings)) {}

  static void validate_settings(const json& settings) { (void)parse_settings(settings); }

  // SMPI answers seats in use now; vendors/license keeps a daily history, but of the whole
  // partner, not per customer (README "Past days").
  bool answers_past_days() const override { return false; }

  json check() override {
    int64_t total = -1;
    std::vector<Customer> first = client_.customers_page(1, &total);
    return {{"customers", total >= 0 ? total : static_cast<int64_t>(first.size())},
            {"api_url", settings_.api_url},
            {"api_version", settings_.api_version}};
  }

  json discover() override {
    json customers = json::array();
    std::map<std::string, std::string> products;
    for (const Customer& c : client_.customers()) {
      customers.push_back({{"id", c.id}, {"name", c.name}});
      for (const License& l : client_.licenses(c.id)) products[l.product_id] = "";
    }
    json list = json::array();
    for (const auto& entry : products) {
      list.push_back({{"sku", entry.first}, {"name", product_name(entry.first)}});
    }
    return {{"customers", std::move(customers)}, {"products", std::move(list)}};
  }

  bool collect_into(const std::string& date, meterbridge::UsageWriter& out) override {
    UsageMapper mapper;
    std::vector<std::string> ids;
    for (const Customer& c : client_.customers()) {
      mapper.add_customer(c, client_.licenses(c.id));
      ids.push_back(c.id);
    }
    for (const CustomerUsage& u : client_.usage(ids)) mapper.add_usage(u);
    const std::vector<UsageRecord> records = mapper.records();
    for (const UsageRecord& r : records) {
      out.add(r.customer_id, r.customer_name, r.sku, r.product_name, kMetric, r.quantity);
    }
    for (const UsageRejection& r : mapper.rejections()) {
      out.reject({{"file", "trendmicro-rm customers/usage"},
                  {"line", r.line},
                  {"reason", r.reason},
                  {"date", date},
                  {"customer_id", r.customer_id},
                  {"metric", kMetric}});
    }
    host_.info("read the seat usage of " + std::to_string(ids.size()) +
               " Trend Micro customers: " + std::to_string(records.size()) + " records, " +
               std::to_string(mapper.rejections().size()) + " rejected");
    return true;
  }

  json collect(const std::string& date) override {
    meterbridge::UsageWriter writer;
    collect_into(date, writer);
    return json::parse(writer.finish(date));
  }

  json invoke(const std::string& op, const json& request) override {
    if (op == "detections") return detections(request);
    return meterbridge::SourcePlugin::invoke(op, request);
  }

 private:
  TrendMicroSource(meterbridge::Host host, ClientSettings settings)
      : host_(host), settings_(settings), client_(host, std::move(settings)) {}

  // Extra operation "detections" {"from", "to"} (inclusive days): spam, phishing, malware and
  // blocked counts of every customer's email products (README "detections").
  json detections(const json& request) {
    if (!request.is_object())
      throw meterbridge::Error(MB_E_INVALID_ARGUMENT, "detections needs a JSON object");
    const auto from = parse_day(request, "from");
    const auto to = parse_day(request, "to");
    if (from > to) {
      throw meterbridge::Error(MB_E_INVALID_ARGUMENT, "detections: 'from' must not be after 'to'");
    }
    const std::string from_text = request["from"].get<std::string>();
    const std::string to_text = request["to"].get<std::string>();
    // Which email products each customer holds, in the listing's order.
    std::vector<std::pair<Customer, std::set<std::string>>> holders;
    for (const Customer& c : client_.customers()) {
      std::set<std::string> email;
      for (const License& l : client_.licenses(c.id)) {
        if (is_email_product(l.product_id)) email.insert(l.product_id);
      }
      if (!email.empty()) holders.emplace_back(c, std::move(email));
    }
    std::vector<std::string> ids;
    for (const auto& h : holders) ids.push_back(h.first.id);
    std::map<std::pair<std::string, std::string>, ProductDetections> counts;
    for (const CustomerDetections& d : client_.detections(ids, from_text, to_text)) {
      for (const ProductDetections& p : d.products) counts[{d.customer_id, p.product_id}] = p;
    }
    json customers = json::array();
    for (const auto& [customer, skus] : holders) {
      json products = json::array();
      for (const std::string& sku : skus) {
        ProductDetections p;
        auto it = counts.find({customer.id, sku});
        if (it != counts.end()) p = it->second;
        products.push_back({{"sku", sku},
                            {"name", product_name(sku)},
                            {"spam", p.spam},
                            {"phishing", p.phishing},
                            {"malware", p.malware},
                            {"blocked", p.blocked},
                            {"total_messages", p.total_messages}});
      }
      customers.push_back({{"customer_id", customer.id},
                           {"customer_name", customer.name},
                           {"products", std::move(products)}});
    }
    return {{"schema", "detections.v1"},
            {"from", from_text},
            {"to", to_text},
            {"customers", std::move(customers)}};
  }

  meterbridge::Host host_;
  ClientSettings settings_;
  Client client_;
};

}  // namespace trendmicro_rm

MB_PLUGIN(trendmicro_rm::TrendMicroSource,
          "Trend Micro Remote Manager: seats in use per customer and product",
          trendmicro_rm::kSchema)
