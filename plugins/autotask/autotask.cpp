// autotask: a sink plugin that bills usage into Autotask PSA Recurring Service contracts through
// signed ContractServiceAdjustments (quantity model "delta"), plus the operations the setup
// screens use (verify_company, contracts, search_services, create_service, edit_service, adopt).
#include <meterbridge/plugin.hpp>

#include "at_client.hpp"
#include "at_setup.hpp"
#include "at_sink.hpp"

#include <set>
#include <string>

using meterbridge::json;

namespace autotask {
namespace {

const char* const kSchema = R"json({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "autotask settings",
  "type": "object",
  "additionalProperties": false,
  "required": ["username", "secret", "integration_code"],
  "properties": {
    "username": {"type": "string", "minLength": 3, "maxLength": 254,
                 "description": "The API-only user (UserName header), e.g. api-meterbridge@msp.example"},
    "secret": {"type": "string", "minLength": 1, "x-secret": true,
               "description": "The API user's secret: ${env:NAME} or ${file:PATH}"},
    "integration_code": {"type": "string", "minLength": 1, "x-secret": true,
                         "description": "The API tracking identifier (ApiIntegrationCode header)"},
    "zone_url": {"type": "string", "pattern": "^https?://", "minLength": 8,
                 "description": "The zone's API URL, e.g. https://webservices5.autotask.net/ATServicesRest/; absent: looked up with zoneInformation and cached"},
    "global_url": {"type": "string", "pattern": "^https?://", "minLength": 8,
                   "default": "https://webservices.autotask.net/atservicesrest/",
                   "description": "Where the zone lookup goes (an emulator in tests)"},
    "impersonation_resource_id": {"type": "integer", "minimum": 1,
                                  "description": "Resource the API user acts for (ImpersonationResourceId header)"},
    "contract_category": {"type": "integer", "minimum": 0,
                          "description": "Only Recurring Service contracts of this contractCategory take billing"},
    "marker": {"type": "string", "minLength": 1, "maxLength": 20, "default": "meterbridge",
               "description": "Contract services whose internalDescription starts with [marker] count as meterbridge's"}
  }
})json";

struct Settings {
  ClientSettings client;
  SinkSettings sink;
};

std::string text_setting(const json& s, const char* key, bool required, const char* fallback) {
  if (!s.contains(key)) {
    if (required) {
      throw meterbridge::config_error(std::string("setting '") + key +
                                      "' is required (a non-empty string)");
    }
    return fallback;
  }
  if (!s[key].is_string() || s[key].get<std::string>().empty())
    throw meterbridge::config_error(std::string("setting '") + key +
                                    "' must be a non-empty string");
  return s[key].get<std::string>();
}

std::optional<int64_t> int_setting(const json& s, const char* key, int64_t minimum) {
  if (!s.contains(key)) return std::nullopt;
  if (!s[key].is_number_integer() || s[key].get<int64_t>() < minimum) {
    throw meterbridge::config_error(std::string("setting '") + key +
                                    "' must be an integer of at least " + std::to_string(minimum));
  }
  return s[key].get<int64_t>();
}

bool http_url(const std::string& u) {
  return u.rfind("https://", 0) == 0 || u.rfind("http://", 0) == 0;
}

Settings parse_settings(const json& s) {
  if (!s.is_object()) throw meterbridge::config_error("settings must be a JSON object");
  static const std::set<std::string> kKnown = {"username",          "secret",
                                               "integration_code",  "zone_url",
                                               "global_url",        "impersonation_resource_id",
                                               "contract_category", "marker"};
  for (const auto& [key, value] : s.items()) {
    (void)value;
    if (!kKnown.count(key)) throw meterbridge::config_error("unknown setting '" + key + "'");
  }
  for (const char* secret : {"secret", "integration_code"}) {
    if (!s.contains(secret)) {
      throw meterbridge::config_error(std::string("setting '") + secret +
                                      "' is required (${env:NAME} or ${file:PATH})");
    }
  }
  Settings out;
  out.client.username = text_setting(s, "username", true, "");
  out.client.zone_url = text_setting(s, "zone_url", false, "");
  out.client.global_url =
      text_setting(s, "global_url", false, "https://webservices.autotask.net/atservicesrest/");
  if ((!out.client.zone_url.empty() && !http_url(out.client.zone_url)) ||
      !http_url(out.client.global_url)) {
    throw meterbridge::config_error("settings 'zone_url' and 'global_url' must be http(s) URLs");
  }
  out.client.impersonation_resource_id = int_setting(s, "impersonation_resource_id", 1);
  out.sink.contract_category = int_setting(s, "contract_category", 0);
  out.sink.marker = text_setting(s, "marker", false, "meterbridge");
  if (out.sink.marker.size() > 20 || out.sink.marker.find(']') != std::string::npos)
    throw meterbridge::config_error("setting 'marker' must be at most 20 characters without ']'");
  return out;
}

std::optional<int64_t> int_of(const json& item, const char* key) {
  return item.contains(key) && item[key].is_number_integer()
             ? std::optional(item[key].get<int64_t>())
             : std::nullopt;
}

}  // namespace

class AutotaskSink : public meterbridge::SinkPlugin {
 public:
  AutotaskSink(meterbridge::Host host, const json& settings)
      : AutotaskSink(host, parse_settings(settings)) {}

  static void validate_settings(const json& settings) { (void)parse_settings(settings); }

  json check() override {
    const std::string zone = client_.zone_url();
    const Threshold t = client_.threshold();
    Query q;
    q.entity = "Companies";
    q.filter = json::array({{{"op", "gte"}, {"field", "id"}, {"value", 0}}});
    q.max_records = 1;
    q.max_items = 1;
    client_.query(q);
    return {{"zone_url", zone},
            {"username", client_.settings().username},
            {"threshold", t.limit},
            {"threshold_used", t.used},
            {"threshold_timeframe_minutes", t.timeframe_minutes}};
  }

  json discover() override {
    Query companies;
    companies.entity = "Companies";
    // companyType 1 is Customer in Autotask's standard picklist (api-notes §2).
    companies.filter = json::array({{{"op", "eq"}, {"field", "companyType"}, {"value", 1}},
                                    {{"op", "eq"}, {"field", "isActive"}, {"value", true}}});
    companies.include_fields = {"companyName"};
    Query services;
    services.entity = "Services";
    services.filter = json::array({{{"op", "eq"}, {"field", "isActive"}, {"value", true}}});
    services.include_fields = {"name", "unitPrice"};
    json out_companies = json::array(), out_lines = json::array();
    for (const json& c : client_.query(companies)) {
      if (auto id = int_of(c, "id")) {
        out_companies.push_back(
            {{"id", std::to_string(*id)},
             {"name", c.value("companyName", json("")).is_string() ? c["companyName"] : json("")}});
      }
    }
    for (const json& s : client_.query(services)) {
      auto id = int_of(s, "id");
      if (!id) continue;
      json line = {{"id", std::to_string(*id)},
                   {"name", s.contains("name") && s["name"].is_string() ? s["name"] : json("")}};
      if (s.contains("unitPrice") && s["unitPrice"].is_number())
        line["unit_price"] = s["unitPrice"];
      out_lines.push_back(std::move(line));
    }
    return {{"companies", std::move(out_companies)},
            {"lines", std::move(out_lines)},
            {"quantity_model", "delta"}};
  }

  json read(const json& lines) override { return sink_.read(lines); }
  json apply(const json& lines) override { return sink_.apply(lines, writes_left_); }

  json invoke(const std::string& op, const json& request) override {
    if (op == "apply") {
      // The run's remaining writes, beside "lines" (PROTOCOL.md §6), for the threshold check.
      writes_left_ = request.is_object() && request.contains("writes_left") &&
                             request["writes_left"].is_number_integer()
                         ? std::optional(request["writes_left"].get<int64_t>())
                         : std::nullopt;
    }
    if (op == "verify_company") return setup_.verify_company(request);
    if (op == "contracts") return setup_.contracts(request);
    if (op == "search_services") return setup_.search_services(request);
    if (op == "create_service") return setup_.create_service(request);
    if (op == "edit_service") return setup_.edit_service(request);
    if (op == "adopt") return sink_.adopt(request);
    return meterbridge::SinkPlugin::invoke(op, request);
  }

 private:
  AutotaskSink(meterbridge::Host host, Settings settings)
      : client_(host, std::move(settings.client)),
        sink_(host, client_, settings.sink),
        setup_(host, client_, sink_.settings()) {}

  Client client_;
  Sink sink_;
  Setup setup_;
  std::optional<int64_t> writes_left_;
};

}  // namespace autotask

MB_PLUGIN(autotask::AutotaskSink,
          "Autotask PSA: billed units on Recurring Service contracts, by adjustments",
          autotask::kSchema)
