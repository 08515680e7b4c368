// Test fixture: a source plugin that puts its resolved secret everywhere a plugin can put text:
// log lines, create and check errors, check details, operation answers and errors, customer
// and product names, a rejected row's file and reason, and the URL of an HTTP request. The host
// must let none of it through (README "Secrets", sdk/PROTOCOL.md P3.3).
#include <meterbridge/plugin.hpp>

#include <cctype>

using meterbridge::json;

namespace {

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

class LeakySource : public meterbridge::SourcePlugin {
 public:
  LeakySource(meterbridge::Host host, const json& settings)
      : host_(host), key_(host.secret("api_key")), settings_(settings) {
    host_.info("connecting with api key " + key_);
    if (settings.value("fail_create", false)) {
      throw meterbridge::config_error("api key " + key_ + " is not valid for this tenant");
    }
  }

  // Its tests collect fixed dates in the past.
  bool answers_past_days() const override { return true; }

  json check() override {
    host_.warn("checking api key " + key_);
    if (settings_.value("fail_check", false)) {
      throw meterbridge::auth_error("the vendor refused api key " + key_);
    }
    return {{"api_key", key_}, {"account", "account of " + key_}};
  }

  json discover() override {
    return {
        {"customers",
         {{{"id", "c1"}, {"name", "Acme " + key_}}, {{"id", "c2"}, {"name", "Bright " + key_}}}},
        {"products", {{{"sku", "SKU1"}, {"name", "Seats " + key_}}}}};
  }

  json collect(const std::string& date) override {
    host_.info("collecting " + date + " with " + key_);
    return {{"records",
             {{{"customer_id", "c1"},
               {"customer_name", "Acme " + key_},
               {"sku", "SKU1"},
               {"product_name", "Seats " + key_},
               {"metric", "seats"},
               {"quantity", 5}},
              {{"customer_id", "c2"},
               {"customer_name", "Bright " + key_},
               {"sku", "SKU1"},
               {"product_name", "Seats " + key_},
               {"metric", "seats"},
               {"quantity", 3}}}},
            {"rejected",
             {{{"file", "export-" + key_ + ".csv"},
               {"line", 7},
               {"reason", "row signed with " + key_ + " is malformed"}}}}};
  }

  json invoke(const std::string& op, const json& request) override {
    if (op == "echo") return {{"echo", key_}, {"nested", {{"list", {key_, "plain"}}}}};
    if (op == "fail") throw meterbridge::transient_error("the vendor timed out for key " + key_);
    if (op == "fetch") {
      meterbridge::HttpRequest r;
      r.url = settings_.value("base_url", std::string("http://198.51.100.7")) + "/v1/" +
              percent_encode(key_) + "/usage?api_key=" + percent_encode(key_);
      r.headers["Authorization"] = "Bearer " + key_;
      r.max_attempts = 1;
      meterbridge::HttpResponse answer = host_.http(r);
      return {{"status", answer.status}};
    }
    return SourcePlugin::invoke(op, request);
  }

 private:
  meterbridge::Host host_;
  std::string key_;
  json settings_;
};

MB_DECLARE_PLUGIN(LeakySource, MB_KIND_SOURCE, "leaky-source", "1.0.0",
                  "Test source: puts its secret in every answer and error", R"({
  "type": "object", "required": ["api_key"], "additionalProperties": false,
  "properties": {
    "api_key": {"type": "string", "x-secret": true},
    "fail_create": {"type": "boolean"},
    "fail_check": {"type": "boolean"},
    "base_url": {"type": "string"}
  }
})")
