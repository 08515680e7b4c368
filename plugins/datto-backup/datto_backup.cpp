// datto-backup: what an MSP's clients use of Datto BCDR (appliances, protected agents, offsite
// storage) and Datto SaaS Protection (seats per product), read from the Datto partner API
// (https://api.datto.com/v1, HTTP Basic with the public and secret key). The API tells current
// counts only. What the answers mean lives in datto_usage.{hpp,cpp}; the rules in README.md.
#include <meterbridge/http.hpp>
#include <meterbridge/paging.hpp>
#include <meterbridge/plugin.hpp>

#include <stdexcept>

#include "datto_usage.hpp"

using meterbridge::json;

namespace {

const char* const kDefaultApiUrl = "https://api.datto.com/v1";

bool wants(const json& settings, const char* product) {
  if (!settings.contains("products")) return true;
  for (const json& p : settings["products"]) {
    if (p == product) return true;
  }
  return false;
}

}  // namespace

class DattoBackup : public meterbridge::SourcePlugin {
 public:
  DattoBackup(meterbridge::Host host, const json& settings)
      : host_(host),
        datto_(host, "Datto", settings.value("api_url", std::string(kDefaultApiUrl))),
        page_size_(settings.value("page_size", int64_t{100})),
        bcdr_(wants(settings, "bcdr")),
        saas_(wants(settings, "saas")) {
    // The host redacts the secret key from every message; the public key is no secret.
    datto_.headers["Authorization"] = meterbridge::basic_auth(
        settings.at("public_key").get<std::string>(), host.secret("secret_key"));
    datto_.auth_hint =
        "check public_key and secret_key (Datto Partner Portal > Admin > "
        "Integrations > API Keys)";
    datto_.config_hint = "check api_url";
  }

  // Datto tells current counts only: a past day stays missing instead of billing today's.
  bool answers_past_days() const override { return false; }

  json check() override {
    json details = json::object();
    if (bcdr_) {
      json first = device_page(1, 1).json();
      details["bcdr_devices"] = first.at("pagination").at("count");
    }
    if (saas_) details["saas_domains"] = domains().second.size();
    return details;
  }

  json discover() override {
    datto::Tally tally;
    if (bcdr_) each_device([&](const json&, const datto::Customer& c) { tally.know(c); });
    if (saas_) each_domain([&](const json&, const datto::Customer& c) { tally.know(c); });
    json products = json::array();
    for (const datto::Sku* s : skus()) products.push_back({{"sku", s->sku}, {"name", s->product}});
    return {{"customers", tally.customers()}, {"products", products}};
  }

  json collect(const std::string&) override {
    datto::Tally tally;
    if (bcdr_) {
      each_device([&](const json& device, const datto::Customer& c) {
        tally.add(c, datto::kAppliance, 1);
        tally.add(c, datto::kAgent, protected_agents(device));
        tally.add(c, datto::kOffsite, offsite_gb(device));
      });
    }
    if (saas_) {
      each_domain([&](const json& domain, const datto::Customer& c) {
        const datto::Sku* sku = datto::saas_sku(domain.value("productType", ""));
        if (sku != nullptr) tally.add(c, *sku, domain["seatsUsed"].get<double>());
      });
    }
    return {{"records", tally.records()}};
  }

 private:
  std::vector<const datto::Sku*> skus() const {
    std::vector<const datto::Sku*> out;
    if (bcdr_) out.insert(out.end(), {&datto::kAppliance, &datto::kAgent, &datto::kOffsite});
    if (saas_) out.insert(out.end(), {&datto::kM365, &datto::kGoogle});
    return out;
  }

  meterbridge::ApiResponse device_page(int64_t page, int64_t per_page) const {
    // showHiddenDevices=0: the API leaves out what the partner hid (its default is 1).
    return datto_.get("bcdr", "device")
        .query("_page", page)
        .query("_perPage", per_page)
        .query("showHiddenDevices", 0)
        .send();
  }

  // Every visible device of every page with its customer, or an error: a listing is read whole.
  template <class Each>
  void each_device(Each&& each) {
    meterbridge::paging::by_number(host_, "GET /bcdr/device", [&](int64_t page) {
      meterbridge::ApiResponse r = device_page(page, page_size_);
      json body = r.json();
      auto items = body.find("items");
      auto pagination = body.find("pagination");
      if (items == body.end() || !items->is_array() || pagination == body.end() ||
          !pagination->is_object() || !(*pagination)["totalPages"].is_number_integer())
        throw bad_answer(r, "no items and pagination.totalPages");
      for (const json& device : *items) {
        if (!device.is_object() || !device["serialNumber"].is_string())
          throw bad_answer(r, "a device without serialNumber");
        // Also skip what is flagged hidden, should the API hand it out all the same.
        if (datto::device_hidden(device)) continue;
        std::optional<datto::Customer> c = datto::device_customer(device);
        if (!c) throw bad_answer(r, "device " + serial(device) + " without an organization");
        each(device, *c);
      }
      return meterbridge::paging::page(*items, page < (*pagination)["totalPages"].get<int64_t>());
    });
  }

  // GET /saas/domains (one list, no paging) and its body.
  std::pair<meterbridge::ApiResponse, json> domains() const {
    meterbridge::ApiResponse r = datto_.get("saas", "domains").send();
    json body = r.json();
    if (!body.is_array()) throw bad_answer(r, "no list of domains");
    return {std::move(r), std::move(body)};
  }

  template <class Each>
  void each_domain(Each&& each) {
    auto [r, body] = domains();
    for (const json& domain : body) {
      std::optional<datto::Customer> c =
          domain.is_object() ? datto::domain_customer(domain) : std::nullopt;
      if (!c) throw bad_answer(r, "a domain without saasCustomerId or organizationId");
      const std::string type = domain.value("productType", "");
      if (datto::saas_sku(type) == nullptr) {
        // Billing a product we do not know under a wrong SKU is worse than not billing it.
        host_.warn("Datto SaaS domain '" + domain.value("domain", "") + "' of " + c->id +
                   " has productType '" + type + "', which this plugin does not bill; skipped");
        continue;
      }
      if (!domain["seatsUsed"].is_number() || domain["seatsUsed"].get<double>() < 0)
        throw bad_answer(r, "domain '" + domain.value("domain", "") + "' without seatsUsed");
      each(domain, *c);
    }
  }

  // Agents of the device that are protected (not archived, not paused).
  double protected_agents(const json& device) const {
    meterbridge::ApiResponse r =
        datto_.get("bcdr", "device", serial(device), "asset", "agent").send();
    json agents = r.json();
    if (!agents.is_array()) throw bad_answer(r, "no list of agents");
    double count = 0;
    for (const json& agent : agents) {
      if (!agent.is_object()) throw bad_answer(r, "an agent that is not an object");
      if (datto::agent_protected(agent)) count += 1;
    }
    return count;
  }

  static double offsite_gb(const json& device) {
    try {
      return datto::offsite_gb(device);
    } catch (const std::invalid_argument& e) {
      throw meterbridge::transient_error("Datto device " + serial(device) + ": " + e.what());
    }
  }

  static std::string serial(const json& device) { return device.value("serialNumber", "?"); }

  static meterbridge::Error bad_answer(const meterbridge::ApiResponse& r, const std::string& what) {
    return meterbridge::transient_error("Datto answered " + r.call + " with " + what);
  }

  meterbridge::Host host_;
  meterbridge::ApiClient datto_;
  int64_t page_size_;
  bool bcdr_;
  bool saas_;
};

MB_PLUGIN(DattoBackup, "Datto BCDR and SaaS Protection: appliances, agents, offsite GB, seats", R"({
  "type": "object",
  "required": ["public_key", "secret_key"],
  "additionalProperties": false,
  "properties": {
    "api_url": {"type": "string", "pattern": "^https?://[^/]+", "default": "https://api.datto.com/v1", "description": "Datto API base, /v1 included"},
    "public_key": {"type": "string", "minLength": 1, "description": "public key of a Datto Partner Portal API key"},
    "secret_key": {"type": "string", "x-secret": true, "description": "${env:DATTO_SECRET_KEY}"},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 100, "description": "devices per page, sent as _perPage"
}
, "products" : {
  "type" : "array",
           "minItems" : 1,
           "maxItems" : 2,
           "items" : {"type" : "string", "enum" : [ "bcdr", "saas" ]},
                     "description" : "which products to read; default both"
}
}
})")
