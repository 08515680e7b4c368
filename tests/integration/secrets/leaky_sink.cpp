// Test fixture: a PSA sink that puts its resolved secret in its company and line names, its
// read errors, its refs and its apply messages. What it holds lives in its host state (numbers
// only), so a second sync reads back what the first wrote.
#include <meterbridge/plugin.hpp>

using meterbridge::json;

class LeakySink : public meterbridge::SinkPlugin {
 public:
  LeakySink(meterbridge::Host host, const json&) : host_(host), key_(host.secret("api_key")) {
    host_.info("sink connecting with api key " + key_);
  }

  json check() override { return {{"api_key", key_}}; }

  json discover() override {
    return {{"companies",
             {{{"id", "C1"}, {"name", "ACME Dental " + key_}},
              {{"id", "C2"}, {"name", "Bright Water " + key_}}}},
            {"lines", {{{"id", "EDR"}, {"name", "Endpoint seat " + key_}, {"unit_price", 4.5}}}},
            {"quantity_model", "absolute"}};
  }

  json read(const json& lines) override {
    json out = json::array();
    for (const auto& l : lines) {
      const std::string company = l.at("company_id").get<std::string>();
      if (company == "C2") {
        out.push_back(
            {{"key", l.at("key")}, {"error", "company C2 lookup refused for api key " + key_}});
        continue;
      }
      auto held = host_.state_get(state_key(l));
      out.push_back({{"key", l.at("key")},
                     {"quantity", held ? json(std::stod(*held)) : json(nullptr)},
                     {"ref", held ? "ref-" + key_ : ""}});
    }
    return out;
  }

  json apply(const json& lines) override {
    json out = json::array();
    for (const auto& l : lines) {
      auto held = host_.state_get(state_key(l));
      const double want = l.at("quantity").get<double>();
      host_.state_put(state_key(l), std::to_string(want));
      host_.info("wrote " + state_key(l) + " with api key " + key_);
      out.push_back({{"key", l.at("key")},
                     {"before", held ? json(std::stod(*held)) : json(nullptr)},
                     {"after", want},
                     {"action", held ? "update" : "create"},
                     {"ref", "ref-" + key_},
                     {"message", "written with api key " + key_}});
    }
    return out;
  }

 private:
  static std::string state_key(const json& l) {
    return l.at("company_id").get<std::string>() + "/" + l.at("line_id").get<std::string>() + "/" +
           l.at("period").get<std::string>();
  }

  meterbridge::Host host_;
  std::string key_;
};

MB_DECLARE_PLUGIN(LeakySink, MB_KIND_SINK, "leaky-sink", "1.0.0",
                  "Test PSA: puts its secret in every answer and error", R"({
  "type": "object", "required": ["api_key"], "additionalProperties": false,
  "properties": {"api_key": {"type": "string", "x-secret": true}}
})")
