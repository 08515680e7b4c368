// A complete meterbridge source plugin: reports a fixed seat count per customer from its
// settings. Real sources call vendor APIs through host().http(); the shape is the same.
#include <meterbridge/plugin.hpp>

using meterbridge::json;

class DemoSource : public meterbridge::SourcePlugin {
 public:
  DemoSource(meterbridge::Host host, const json& settings)
      : host_(host),
        customers_(settings.at("customers")),
        sku_(settings.value("sku", "DEMO-SEATS")),
        current_counts_only_(settings.value("current_counts_only", false)) {}

  // Deeper checks than the schema can express; runs without an instance.
  static void validate_settings(const json& settings) {
    for (const auto& c : settings.at("customers")) {
      if (c.at("seats").get<double>() < 0) {
        throw meterbridge::config_error("customers[].seats must not be negative (customer " +
                                        c.at("id").get<std::string>() + ")");
      }
    }
  }

  // Its counts come from settings, so any day can be answered; current_counts_only makes it
  // behave like a vendor API that only knows today's counts (PROTOCOL.md P6.9).
  bool answers_past_days() const override { return !current_counts_only_; }

  json check() override {
    host_.info("check: " + std::to_string(customers_.size()) + " customers configured");
    return {{"customers", customers_.size()},
            {"last_collected", host_.state_get("last_date").value_or("")}};
  }

  json discover() override {
    json customers = json::array();
    for (const auto& c : customers_) {
      json customer = {{"id", c["id"]}, {"name", c["name"]}};
      // The vendor's own link to a PSA company, when the settings give one (catalog.v1).
      if (c.contains("psa_hint")) customer["psa_hint"] = c["psa_hint"];
      customers.push_back(std::move(customer));
    }
    return {{"customers", customers}, {"products", {{{"sku", sku_}, {"name", "Demo seats"}}}}};
  }

  json collect(const std::string& date) override {
    json records = json::array();
    for (const auto& c : customers_) {
      records.push_back({{"customer_id", c["id"]},
                         {"customer_name", c["name"]},
                         {"sku", sku_},
                         {"product_name", "Demo seats"},
                         {"metric", "seats"},
                         {"quantity", c["seats"]}});
    }
    host_.state_put("last_date", date);
    return {{"records", records}};
  }

 private:
  meterbridge::Host host_;
  json customers_;
  std::string sku_;
  bool current_counts_only_;
};

MB_PLUGIN(DemoSource, "Demo source: a fixed seat count per customer, from settings", R"({
  "type": "object",
  "required": ["customers"],
  "additionalProperties": false,
  "properties": {
    "sku": {"type": "string", "minLength": 1},
    "current_counts_only": {"type": "boolean"},
    "customers": {"type": "array", "minItems": 1, "items": {
      "type": "object", "required": ["id", "name", "seats"], "additionalProperties": false,
      "properties": {"id": {"type": "string", "minLength": 1}, "name": {"type": "string"},
                     "seats": {"type": "number"},
                     "psa_hint": {"type": "object", "required": ["psa", "company_id"],
                       "additionalProperties": false,
                       "properties": {"psa": {"type": "string", "enum": ["autotask", "connectwise"]},
                                      "company_id": {"type": "string", "minLength": 1},
                                      "company_name": {"type": "string"}}}}}}
  }
})")
