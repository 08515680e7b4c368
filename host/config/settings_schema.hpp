// Checks a plugin instance's settings against the JSON schema its plugin declares
// (mb_plugin_api.settings_schema_json). Only the subset documented in sdk/PROTOCOL.md is
// understood; a schema using anything else is refused, so that a plugin author never believes
// a constraint is enforced when it is not.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace meterbridge::host {

// One problem found: where (a JSON pointer inside the checked document, prefixed by the
// caller's location) and what.
struct SchemaIssue {
  std::string pointer;
  std::string message;
};

// Checks that schema only uses the supported keywords with values of the right type.
// Issues point into the schema document.
std::vector<SchemaIssue> check_schema(const nlohmann::json& schema);

// Validates value against schema. pointer_prefix is prepended to every issue's pointer
// (e.g. "/plugins/sophos/settings"). Values of "x-secret" fields must be secret references
// (${env:NAME} or ${file:PATH}); their content is never repeated in a message.
std::vector<SchemaIssue> validate_against_schema(const nlohmann::json& schema,
                                                 const nlohmann::json& value,
                                                 const std::string& pointer_prefix);

// Top-level property names that the schema marks "x-secret": true.
std::vector<std::string> secret_properties(const nlohmann::json& schema);

// "string \"abc\"", "number 3", "object", ... for messages; long strings are shortened.
std::string describe_json_value(const nlohmann::json& value);

}  // namespace meterbridge::host
