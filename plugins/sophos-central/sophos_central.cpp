// sophos-central: a source plugin that reads the monthly licence usage of a Sophos Central
// partner's tenants from the Partner API's billing usage report.
//
// Sophos usage is monthly: collect(date) answers the usage of the date's whole month (one record
// per tenant and SKU, dated `date`), so its products are mapped with monthly tracking.
#include <meterbridge/plugin.hpp>

#include "sophos_client.hpp"
#include "sophos_usage.hpp"

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

using meterbridge::json;

namespace sophos_central {
namespace {

const char* const kSchema = R"json({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "sophos-central settings",
  "type": "object",
  "additionalProperties": false,
  "required": ["client_id", "client_secret"],
  "properties": {
    "client_id": {"type": "string", "minLength": 1,
                  "description": "Client id of Sophos Central Partner API credentials"},
    "client_secret": {"type": "string", "minLength": 1, "x-secret": true,
                      "description": "Client secret: ${env:NAME} or ${file:PATH}"},
    "quantity": {"type": "string", "enum": ["billable", "actual"], "default": "billable",
                 "description": "billable reports billableQuantity, actual actualQuantity"},
    "token_url": {"type": "string", "pattern": "^https?://", "minLength": 8,
                  "default": "https://id.sophos.com/api/v2/oauth2/token",
                  "description": "OAuth2 token endpoint"},
    "api_url": {"type": "string", "pattern": "^https?://", "minLength": 8,
                "default": "https://api.central.sophos.com",
                "description": "Global API base; /whoami/v1 and /partner/v1/... are appended"},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 100,
                  "description": "Page size of the tenants and billing usage listings"}
  }
})json";

struct Settings {
  ClientSettings client;
  QuantityField field = QuantityField::billable;
};

std::string optional_string(const json& s, const char* key, const char* fallback) {
  if (!s.contains(key)) return fallback;
  const json& v = s[key];
  if (!v.is_string() || v.get<std::string>().empty())
    throw meterbridge::config_error(std::string("setting '") + key +
                                    "' must be a non-empty string");
  return v.get<std::string>();
}

Settings parse_settings(const json& s) {
  if (!s.is_object()) throw meterbridge::config_error("settings must be a JSON object");
  Settings out;
  if (!s.contains("client_id") || !s["client_id"].is_string() ||
      s["client_id"].get<std::string>().empty()) {
    throw meterbridge::config_error("setting 'client_id' is required (a non-empty string)");
  }
  if (!s.contains("client_secret")) {
    throw meterbridge::config_error(
        "setting 'client_secret' is required (${env:NAME} or ${file:PATH})");
  }
  out.client.client_id = s["client_id"].get<std::string>();
  std::string quantity = optional_string(s, "quantity", "billable");
  if (quantity == "actual") {
    out.field = QuantityField::actual;
  } else if (quantity != "billable") {
    throw meterbridge::config_error("setting 'quantity' must be \"billable\" or \"actual\"");
  }
  out.client.token_url = optional_string(s, "token_url", kDefaultTokenUrl);
  out.client.api_url = optional_string(s, "api_url", kDefaultApiUrl);
  for (const auto* key : {"token_url", "api_url"}) {
    const std::string& url = key[0] == 't' ? out.client.token_url : out.client.api_url;
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
      throw meterbridge::config_error(std::string("setting '") + key + "' must be an http(s) URL");
  }
  if (s.contains("page_size")) {
    const json& p = s["page_size"];
    if (!p.is_number_integer() || p.get<int64_t>() < 1 || p.get<int64_t>() > 100)
      throw meterbridge::config_error("setting 'page_size' must be an integer from 1 to 100");
    out.client.page_size = p.get<int>();
  }
  return out;
}

struct YearMonth {
  int year = 0;
  int month = 0;
};

YearMonth parse_date(const std::string& date) {
  auto digits = [&](size_t from, size_t n) {
    int v = 0;
    for (size_t i = from; i < from + n; ++i) {
      if (date[i] < '0' || date[i] > '9') return -1;
      v = v * 10 + (date[i] - '0');
    }
    return v;
  };
  if (date.size() == 10 && date[4] == '-' && date[7] == '-') {
    int y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
    if (y >= 1970 && m >= 1 && m <= 12 && d >= 1 && d <= 31) return {y, m};
  }
  throw meterbridge::Error(MB_E_INVALID_ARGUMENT,
                           "collect date '" + date + "' is not a YYYY-MM-DD date");
}

std::string month_text(YearMonth ym) {
  return std::to_string(ym.year) + "-" + (ym.month < 10 ? "0" : "") + std::to_string(ym.month);
}

}  // namespace

class SophosCentralSource : public meterbridge::SourcePlugin {
 public:
  SophosCentralSource(meterbridge::Host host, const json& settings)
      : SophosCentralSource(host, parse_settings(settings)) {}

  static void validate_settings(const json& settings) { (void)parse_settings(settings); }

  // The billing usage API keeps past months, so a past day is answered from its month.
  bool answers_past_days() const override { return true; }

  json check() override {
    std::string partner = client_.partner_id();
    TenantPage first = client_.tenants_page(1);
    int64_t total = 0;
    if (first.total_items) {
      total = *first.total_items;
    } else if (!first.total_pages || *first.total_pages <= 1) {
      total = static_cast<int64_t>(first.tenants.size());
    } else {
      total = static_cast<int64_t>(client_.tenants().size());
    }
    return {{"partner_id", partner},
            {"tenants", total},
            {"quantity", quantity_key(field_)},
            {"api_url", api_url_}};
  }

  json discover() override {
    json customers = json::array();
    for (const Tenant& t : client_.tenants()) {
      customers.push_back({{"id", t.id}, {"name", t.display_name()}});
    }
    // Products: the SKUs billed this month and last month (either may have no data yet).
    YearMonth now = current_month();
    YearMonth previous =
        now.month == 1 ? YearMonth{now.year - 1, 12} : YearMonth{now.year, now.month - 1};
    std::map<std::string, std::string> products;
    for (YearMonth ym : {now, previous}) {
      client_.usage(ym.year, ym.month, [&](const json& item) {
        std::string sku = item_sku(item);
        if (sku.empty()) return;
        std::string& name = products[sku];
        if (name.empty() && item.contains("productDescription") &&
            item["productDescription"].is_string()) {
          name = item["productDescription"].get<std::string>();
        }
      });
    }
    json list = json::array();
    for (auto& [sku, name] : products)
      list.push_back({{"sku", sku}, {"name", name.empty() ? sku : name}});
    return {{"customers", std::move(customers)}, {"products", std::move(list)}};
  }

  bool collect_into(const std::string& date, meterbridge::UsageWriter& out) override {
    YearMonth ym = parse_date(date);
    std::map<std::string, std::string> names;
    for (const Tenant& t : client_.tenants()) names[t.id] = t.display_name();
    UsageMapper mapper(field_, std::move(names), "sophos-central billing usage " + month_text(ym));
    client_.usage(ym.year, ym.month, [&](const json& item) { mapper.add(item); });
    std::vector<UsageRecord> records = mapper.records();
    for (const UsageRecord& r : records) {
      out.add(r.customer_id, r.customer_name, r.sku, r.product_name, kMetric, r.quantity);
    }
    for (const UsageRejection& r : mapper.rejections()) {
      json rejection = {{"file", mapper.source()},
                        {"line", r.line},
                        {"reason", r.reason},
                        {"date", date},
                        {"metric", kMetric}};
      if (!r.customer_id.empty()) rejection["customer_id"] = r.customer_id;
      if (!r.sku.empty()) rejection["sku"] = r.sku;
      out.reject(std::move(rejection));
    }
    host_.info("read " + std::to_string(mapper.items()) + " Sophos usage lines for " +
               month_text(ym) + ": " + std::to_string(records.size()) + " records, " +
               std::to_string(mapper.rejections().size()) + " rejected");
    return true;
  }

  // Extra operation "licenses" {"tenant_id"}: what a tenant holds next to what it uses, for an
  // operator checking a bill (term licences, trials, quantities over the licensed count).
  json invoke(const std::string& op, const json& request) override {
    if (op != "licenses") return meterbridge::SourcePlugin::invoke(op, request);
    if (!request.is_object() || !request.contains("tenant_id") ||
        !request["tenant_id"].is_string() || request["tenant_id"].get<std::string>().empty()) {
      throw meterbridge::Error(MB_E_INVALID_ARGUMENT, "licenses needs a string 'tenant_id'");
    }
    std::optional<Tenant> t = client_.tenant(request["tenant_id"].get<std::string>());
    if (!t) {
      throw meterbridge::Error(MB_E_NOT_FOUND, "Sophos Central has no tenant '" +
                                                   request["tenant_id"].get<std::string>() +
                                                   "' under this partner");
    }
    json list = json::array();
    for (const json& l : client_.licenses(*t)) {
      if (!l.is_object()) continue;
      json used = nullptr;
      if (l.contains("usage") && l["usage"].is_object() && l["usage"].contains("current") &&
          l["usage"]["current"].is_object() && l["usage"]["current"].contains("count")) {
        used = l["usage"]["current"]["count"];
      }
      json product = l.contains("product") && l["product"].is_object()
                         ? l["product"].value("code", json(nullptr))
                         : json(nullptr);
      list.push_back({{"license", l.value("licenseIdentifier", json(nullptr))},
                      {"product", product},
                      {"type", l.value("type", json(nullptr))},
                      {"quantity", l.value("quantity", json(nullptr))},
                      {"used", used},
                      {"unlimited", l.contains("unlimited") && l["unlimited"] == true},
                      {"start", l.value("startDate", json(nullptr))},
                      {"end", l.value("endDate", json(nullptr))},
                      {"perpetual", l.contains("perpetual") && l["perpetual"] == true}});
    }
    return {{"tenant", {{"id", t->id}, {"name", t->display_name()}}}, {"licenses", list}};
  }

  json collect(const std::string& date) override {
    meterbridge::UsageWriter writer;
    collect_into(date, writer);
    return json::parse(writer.finish(date));
  }

 private:
  SophosCentralSource(meterbridge::Host host, Settings settings)
      : host_(host),
        field_(settings.field),
        api_url_(settings.client.api_url),
        client_(host, std::move(settings.client)) {}

  YearMonth current_month() const {
    using namespace std::chrono;
    const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(host_.now_unix_ms())));
    const year_month_day ymd(day);
    return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month()))};
  }

  meterbridge::Host host_;
  QuantityField field_;
  std::string api_url_;
  Client client_;
};

}  // namespace sophos_central

MB_PLUGIN(sophos_central::SophosCentralSource,
          "Sophos Central Partner: monthly licence usage per tenant and SKU",
          sophos_central::kSchema)
