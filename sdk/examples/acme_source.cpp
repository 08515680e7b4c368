// The reference source plugin: seats per client from the (fictitious) Acme API,
// GET {api_url}/v1/clients?page=N with the key in X-Api-Key. URLs, error classes, paging,
// cancellation and secrets are the SDK's; what is left is what Acme's answers mean.
#include <meterbridge/http.hpp>
#include <meterbridge/paging.hpp>
#include <meterbridge/plugin.hpp>

using meterbridge::json;

class AcmeSource : public meterbridge::SourcePlugin {
 public:
  AcmeSource(meterbridge::Host host, const json& settings)
      : host_(host), acme_(host, "Acme", settings.at("api_url").get<std::string>()) {
    acme_.headers["X-Api-Key"] = host.secret("api_key");  // the host redacts it everywhere
    acme_.auth_hint = "check api_key";
    acme_.config_hint = "check api_url";
  }

  // Acme tells current counts only: a past day stays missing instead of billing today's.
  bool answers_past_days() const override { return false; }

  json check() override {
    json first = acme_.get("v1", "clients").query("page", 1).send().json();
    return {{"clients", first.at("total")}};
  }

  json discover() override {
    json customers = json::array();
    each_client([&](const json& c) {
      customers.push_back({{"id", c["id"]}, {"name", c.value("name", "")}});
    });
    return {{"customers", customers}, {"products", {{{"sku", kSku}, {"name", kProduct}}}}};
  }

  json collect(const std::string&) override {
    json records = json::array();
    each_client([&](const json& c) {
      records.push_back({{"customer_id", c["id"]},
                         {"customer_name", c.value("name", "")},
                         {"sku", kSku},
                         {"product_name", kProduct},
                         {"metric", "seats"},
                         {"quantity", c["seats"]}});
    });
    return {{"records", records}};
  }

 private:
  static constexpr const char *kSku = "ACME-SEATS", *kProduct = "Acme seats";
  // Every client of every page, or an error: a client without what we bill by fails the call.
  template <class Each>
  void each_client(Each&& each) {
    meterbridge::paging::by_number(host_, "GET /v1/clients", [&](int64_t page) {
      meterbridge::ApiResponse r = acme_.get("v1", "clients").query("page", page).send();
      json body = r.json();
      for (json c : body.at("clients")) {
        if (!c["id"].is_string() || !c["seats"].is_number())
          throw meterbridge::transient_error("Acme answered " + r.call + " with a bad client");
        each(c);
      }
      return meterbridge::paging::page(body["clients"],
                                       page < body.at("total_pages").get<int64_t>());
    });
  }

  meterbridge::Host host_;
  meterbridge::ApiClient acme_;
};

MB_PLUGIN(AcmeSource, "Acme: seats per client from the Acme API", R"({
  "type": "object",
  "required": ["api_url", "api_key"],
  "additionalProperties": false,
  "properties": {
    "api_url": {"type": "string", "pattern": "^https?://[^/]+", "description": "https://api.acme.example"},
    "api_key": {"type": "string", "x-secret": true, "description": "${env:ACME_API_KEY}"}
  }
})")
