// Fuzzes the settings-schema checks (sdk/include/meterbridge/settings_schema.hpp, through the
// host's names) as the host runs them: a plugin's schema is checked first (check_schema), and
// only a schema without issues validates an instance's settings (validate_against_schema) and
// names its secret properties.
//
// Input: JSON, either {"schema": S, "value": V} or any document D, then checked as a schema and
// validated against itself. Nothing may throw, crash or trip ASan or UBSan, every issue points
// under the prefix, and the value of a top-level x-secret setting never appears in a message.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/settings_schema.hpp"
#include "fuzz_support.hpp"

namespace {

using nlohmann::json;

const std::string kPrefix = "/plugins/fuzz/settings";

// The first bytes of a secret setting's value when they can only come from that value: they hold
// a '§' (no message text has one), print literally in JSON, and appear nowhere else in the
// schema or the settings. Empty otherwise. Checking a prefix also catches a shortened repeat.
std::string telltale(const json& schema, const json& value, const std::string& name) {
  const json& v = value[name];
  if (!v.is_string()) return {};
  const std::string needle = v.get_ref<const std::string&>().substr(0, 24);
  if (needle.find("\xC2\xA7") == std::string::npos) return {};
  if (json(needle).dump(-1, ' ', false, json::error_handler_t::replace) != '"' + needle + '"')
    return {};  // escaped, or a UTF-8 character cut short
  json others = value;
  others.erase(name);
  for (const std::string& text : {schema.dump(), others.dump(), kPrefix, name}) {
    if (text.find(needle) != std::string::npos) return {};
  }
  return needle;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  json doc = json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return -1;  // not JSON: nothing of the schema code runs
  json schema = doc, value = doc;
  if (doc.is_object() && doc.size() == 2 && doc.contains("schema") && doc.contains("value")) {
    schema = doc["schema"];
    value = doc["value"];
  }
  if (!meterbridge::host::check_schema(schema).empty()) return 0;  // refused, as the host does

  const auto issues = meterbridge::host::validate_against_schema(schema, value, kPrefix);
  const auto secrets = meterbridge::host::secret_properties(schema);
  for (const auto& issue : issues) {
    fuzz::require(issue.pointer.rfind(kPrefix, 0) == 0, "an issue points under the prefix");
    fuzz::require(!issue.message.empty(), "an issue says what is wrong");
    fuzz::require(fuzz::valid_utf8(issue.message) && fuzz::valid_utf8(issue.pointer),
                  "an issue is UTF-8 text");
  }
  if (value.is_object()) {
    for (const std::string& name : secrets) {
      const std::string needle = value.contains(name) ? telltale(schema, value, name) : "";
      if (needle.empty()) continue;
      for (const auto& issue : issues) {
        fuzz::require(issue.message.find(needle) == std::string::npos,
                      "a secret setting's value is never repeated in a message");
      }
    }
  }
  return 0;
}
