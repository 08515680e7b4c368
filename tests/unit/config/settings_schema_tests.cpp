// The settings-schema subset: what plugins may declare and how settings are checked.
#include <catch2/catch.hpp>

#include "config/settings_schema.hpp"

using meterbridge::host::check_schema;
using meterbridge::host::secret_properties;
using meterbridge::host::validate_against_schema;
using nlohmann::json;

namespace {

const json kSchema = json::parse(R"({
  "type": "object",
  "required": ["region", "client_secret"],
  "additionalProperties": false,
  "properties": {
    "region": {"type": "string", "enum": ["eu", "us", "de"]},
    "client_id": {"type": "string", "minLength": 8, "pattern": "^[0-9a-f-]+$"},
    "client_secret": {"type": "string", "x-secret": true},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 1000},
    "quantity": {"type": "string", "enum": ["billable", "actual"]},
    "tenants": {"type": "array", "minItems": 1, "items": {"type": "string"}}
  }
})");

std::vector<std::string> problems(const json& settings) {
  std::vector<std::string> out;
  for (const auto& issue : validate_against_schema(kSchema, settings, "/plugins/sophos/settings")) {
    out.push_back(issue.pointer + ": " + issue.message);
  }
  return out;
}

}  // namespace

TEST_CASE("valid settings pass, with the secret given as a reference") {
  CHECK(check_schema(kSchema).empty());
  CHECK(problems({{"region", "eu"}, {"client_secret", "${env:SOPHOS_SECRET}"}}).empty());
  CHECK(problems({{"region", "us"},
                  {"client_secret", "${file:/run/secrets/sophos}"},
                  {"page_size", 500},
                  {"tenants", {"a", "b"}},
                  {"client_id", "0a1b2c3d-4e"}})
            .empty());
}

TEST_CASE("each broken rule is reported at its JSON path") {
  CHECK(problems({{"client_secret", "${env:X}"}}) ==
        std::vector<std::string>{"/plugins/sophos/settings: missing required setting 'region'"});
  CHECK(problems({{"region", "mars"}, {"client_secret", "${env:X}"}}) ==
        std::vector<std::string>{"/plugins/sophos/settings/region: expected one of "
                                 "[\"eu\",\"us\",\"de\"], found string \"mars\""});
  CHECK(problems({{"region", "eu"}, {"client_secret", "${env:X}"}, {"page_size", 1001}}) ==
        std::vector<std::string>{
            "/plugins/sophos/settings/page_size: expected a number <= 1000, found 1001"});
  CHECK(problems({{"region", "eu"}, {"client_secret", "${env:X}"}, {"page_size", 2.5}}) ==
        std::vector<std::string>{
            "/plugins/sophos/settings/page_size: expected integer, found number 2.5"});
  CHECK(problems({{"region", "eu"}, {"client_secret", "${env:X}"}, {"tenants", {"a", 7}}}) ==
        std::vector<std::string>{
            "/plugins/sophos/settings/tenants/1: expected string, found number 7"});
  CHECK(problems({{"region", "eu"}, {"client_secret", "${env:X}"}, {"tenants", json::array()}}) ==
        std::vector<std::string>{
            "/plugins/sophos/settings/tenants: expected at least 1 items, found 0"});
  CHECK(problems({{"region", "eu"}, {"client_secret", "${env:X}"}, {"client_id", "XYZ-not-hex"}})
            .front()
            .find("expected a string matching") != std::string::npos);
  auto unknown = problems({{"region", "eu"}, {"client_secret", "${env:X}"}, {"regoin", "eu"}});
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0].find("/plugins/sophos/settings/regoin: unknown setting 'regoin' (known: ") == 0);
}

TEST_CASE("a plain-text secret is refused and never repeated") {
  auto out = problems({{"region", "eu"}, {"client_secret", "hunter2-very-secret"}});
  REQUIRE(out.size() == 1);
  CHECK(out[0].find(
            "/plugins/sophos/settings/client_secret: a secret must be given as a reference") == 0);
  CHECK(out[0].find("hunter2") == std::string::npos);

  auto wrong_type = problems({{"region", "eu"}, {"client_secret", 123456789}});
  REQUIRE(wrong_type.size() == 1);
  CHECK(wrong_type[0].find("123456789") == std::string::npos);
  CHECK(wrong_type[0].find("value hidden") != std::string::npos);

  CHECK(secret_properties(kSchema) == std::vector<std::string>{"client_secret"});
}

TEST_CASE("a schema outside the supported subset is refused, not half-enforced") {
  auto issues = check_schema(json::parse(R"({"type": "object", "properties": {
      "a": {"type": "string", "format": "email"},
      "b": {"type": "float"},
      "c": {"type": "string", "pattern": "(["}}})"));
  REQUIRE(issues.size() == 3);
  CHECK(issues[0].pointer == "/properties/a/format");
  CHECK(issues[0].message.find("unsupported schema keyword 'format'") == 0);
  CHECK(issues[1].pointer == "/properties/b/type");
  CHECK(issues[2].pointer == "/properties/c/pattern");
  CHECK(check_schema(json::parse("{}")).empty());
}

TEST_CASE("a long string is shortened before a UTF-8 character, never inside one") {
  // Found by tests/fuzz/fuzz_config and fuzz_settings_schema: the cut at 37 bytes could split a
  // character, and writing the message then threw instead of describing the value.
  using meterbridge::host::describe_json_value;
  for (const std::string prefix : {"", "a", "ab"}) {
    std::string value = prefix;
    for (int i = 0; i < 30; ++i) value += "\u00e9";
    std::string described;
    REQUIRE_NOTHROW(described = describe_json_value(json(value)));
    CHECK(described.rfind("string \"" + prefix + "\u00e9", 0) == 0);
    CHECK(described.size() < 50);
    CHECK(described.substr(described.size() - 4) == "...\"");
  }
  auto out = problems({{"region", "ab" + std::string(60, 'x')}, {"client_secret", "${env:S}"}});
  REQUIRE(out.size() == 1);
  CHECK(out[0].find("...") != std::string::npos);
}
