// Checks a plugin instance's settings against the JSON schema its plugin declares
// (mb_plugin_api.settings_schema_json), header-only. Only the subset documented in
// sdk/PROTOCOL.md section 5 is understood; a schema using anything else is refused, so that a
// plugin author never believes a constraint is enforced when it is not. The host runs exactly
// this code, and so does meterbridge::testing::PluginHarness, so a plugin's unit tests see the
// refusals an operator would.
//
//   using namespace meterbridge::schema;
//   json schema = json::parse(api->settings_schema_json);
//   if (check_schema(schema).empty()) {
//     for (const SchemaIssue& i : validate_against_schema(schema, settings, "/settings"))
//       std::cerr << i.pointer << ": " << i.message << "\n";  // "/settings/region: expected ..."
//   }
//
// Uses only the standard library, nlohmann/json and secret_reference.hpp.
#pragma once

#include <meterbridge/secret_reference.hpp>

#include <cmath>
#include <cstddef>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace meterbridge::schema {

// One problem found: where (a JSON pointer inside the checked document, prefixed by the
// caller's location) and what.
struct SchemaIssue {
  std::string pointer;
  std::string message;
};

// "string \"abc\"", "number 3", "an object", ... for messages; long strings are shortened.
inline std::string describe_json_value(const nlohmann::json& value) {
  if (value.is_string()) {
    std::string s = value.get<std::string>();
    if (s.size() > 40) {
      // Cut before a UTF-8 character, never inside one: dump() throws on a broken character.
      size_t cut = 37;
      while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
      s = s.substr(0, cut) + "...";
    }
    return "string " + nlohmann::json(s).dump();
  }
  if (value.is_number() || value.is_boolean() || value.is_null()) {
    return std::string(value.type_name()) + " " + value.dump();
  }
  return std::string(value.is_object() ? "an object" : "an array");
}

namespace detail {

using nlohmann::json;

inline const std::set<std::string>& supported_keywords() {
  static const std::set<std::string> k = {
      "type",      "properties", "required",    "additionalProperties",
      "enum",      "minimum",    "maximum",     "minLength",
      "maxLength", "minItems",   "maxItems",    "items",
      "pattern",   "x-secret",   "description", "default",
      "title",     "$schema",    "examples"};
  return k;
}

inline const std::set<std::string>& supported_types() {
  static const std::set<std::string> t = {"object", "array",   "string", "integer",
                                          "number", "boolean", "null"};
  return t;
}

inline std::string escape_pointer_token(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

inline bool matches_type(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  if (type == "number") return v.is_number();
  if (type == "integer") {
    if (v.is_number_integer()) return true;
    if (v.is_number_float()) {
      double d = v.get<double>();
      return std::isfinite(d) && std::floor(d) == d;
    }
  }
  return false;
}

inline void check_schema_at(const json& schema, const std::string& at,
                            std::vector<SchemaIssue>& out) {
  if (!schema.is_object()) {
    out.push_back({at, "a schema must be an object, found " + describe_json_value(schema)});
    return;
  }
  for (const auto& [key, value] : schema.items()) {
    const std::string here = at + "/" + escape_pointer_token(key);
    if (!supported_keywords().count(key)) {
      out.push_back({here, "unsupported schema keyword '" + key +
                               "' (see sdk/PROTOCOL.md for the supported subset)"});
      continue;
    }
    if (key == "type") {
      if (!value.is_string() || !supported_types().count(value.get<std::string>())) {
        out.push_back({here,
                       "expected one of object, array, string, integer, number, boolean, "
                       "null, found " +
                           describe_json_value(value)});
      }
    } else if (key == "properties") {
      if (!value.is_object()) {
        out.push_back({here, "expected an object of schemas, found " + describe_json_value(value)});
        continue;
      }
      for (const auto& [name, sub] : value.items()) {
        check_schema_at(sub, here + "/" + escape_pointer_token(name), out);
      }
    } else if (key == "items") {
      check_schema_at(value, here, out);
    } else if (key == "required") {
      bool ok = value.is_array();
      if (ok) {
        for (const auto& r : value) ok = ok && r.is_string();
      }
      if (!ok)
        out.push_back({here, "expected an array of strings, found " + describe_json_value(value)});
    } else if (key == "additionalProperties" || key == "x-secret") {
      if (!value.is_boolean()) {
        out.push_back({here, "expected true or false, found " + describe_json_value(value)});
      }
    } else if (key == "enum") {
      if (!value.is_array() || value.empty()) {
        out.push_back({here, "expected a non-empty array, found " + describe_json_value(value)});
      }
    } else if (key == "minimum" || key == "maximum") {
      if (!value.is_number())
        out.push_back({here, "expected a number, found " + describe_json_value(value)});
    } else if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems") {
      if (!value.is_number_unsigned()) {
        out.push_back(
            {here, "expected a non-negative integer, found " + describe_json_value(value)});
      }
    } else if (key == "pattern") {
      if (!value.is_string()) {
        out.push_back({here, "expected a string, found " + describe_json_value(value)});
        continue;
      }
      try {
        std::regex re(value.get<std::string>(), std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        out.push_back({here, std::string("not a valid regular expression: ") + e.what()});
      }
    }
  }
}

inline std::string describe_for(const json& schema, const json& value) {
  // Never repeat the value of a secret field, not even a wrong one: it may be the secret.
  if (schema.value("x-secret", false))
    return std::string("a ") + value.type_name() + " (value hidden)";
  return describe_json_value(value);
}

inline void validate_at(const json& schema, const json& value, const std::string& at,
                        std::vector<SchemaIssue>& out) {
  if (!schema.is_object()) return;
  if (schema.contains("type")) {
    const std::string type = schema["type"].get<std::string>();
    if (!matches_type(value, type)) {
      out.push_back({at, "expected " + type + ", found " + describe_for(schema, value)});
      return;
    }
  }
  if (schema.value("x-secret", false)) {
    if (!value.is_string() || !secrets::is_secret_reference(value.get<std::string>())) {
      out.push_back({at,
                     "a secret must be given as a reference ${env:NAME} or ${file:PATH}; "
                     "plain-text secrets are refused (value hidden)"});
    }
    return;
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& allowed : schema["enum"]) found = found || allowed == value;
    if (!found) {
      out.push_back({at, "expected one of " + schema["enum"].dump() + ", found " +
                             describe_json_value(value)});
    }
  }
  if (value.is_number()) {
    const double d = value.get<double>();
    if (schema.contains("minimum") && d < schema["minimum"].get<double>()) {
      out.push_back(
          {at, "expected a number >= " + schema["minimum"].dump() + ", found " + value.dump()});
    }
    if (schema.contains("maximum") && d > schema["maximum"].get<double>()) {
      out.push_back(
          {at, "expected a number <= " + schema["maximum"].dump() + ", found " + value.dump()});
    }
  }
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (schema.contains("minLength") && s.size() < schema["minLength"].get<size_t>()) {
      out.push_back({at, "expected a string of at least " + schema["minLength"].dump() +
                             " characters, found " + describe_json_value(value)});
    }
    if (schema.contains("maxLength") && s.size() > schema["maxLength"].get<size_t>()) {
      out.push_back({at, "expected a string of at most " + schema["maxLength"].dump() +
                             " characters, found " + describe_json_value(value)});
    }
    if (schema.contains("pattern") &&
        !std::regex_search(s, std::regex(schema["pattern"].get<std::string>()))) {
      out.push_back({at, "expected a string matching " + schema["pattern"].dump() + ", found " +
                             describe_json_value(value)});
    }
  }
  if (value.is_array()) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>()) {
      out.push_back({at, "expected at least " + schema["minItems"].dump() + " items, found " +
                             std::to_string(value.size())});
    }
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<size_t>()) {
      out.push_back({at, "expected at most " + schema["maxItems"].dump() + " items, found " +
                             std::to_string(value.size())});
    }
    if (schema.contains("items")) {
      for (size_t i = 0; i < value.size(); ++i) {
        validate_at(schema["items"], value[i], at + "/" + std::to_string(i), out);
      }
    }
  }
  if (value.is_object()) {
    const json properties = schema.value("properties", json::object());
    if (schema.contains("required")) {
      for (const auto& name : schema["required"]) {
        if (!value.contains(name.get<std::string>())) {
          out.push_back({at, "missing required setting '" + name.get<std::string>() + "'"});
        }
      }
    }
    for (const auto& [name, sub] : value.items()) {
      const std::string here = at + "/" + escape_pointer_token(name);
      if (properties.contains(name)) {
        validate_at(properties[name], sub, here, out);
      } else if (!schema.value("additionalProperties", true)) {
        std::string known;
        for (const auto& [k, unused] : properties.items()) known += (known.empty() ? "" : ", ") + k;
        out.push_back({here, "unknown setting '" + name + "' (known: " + known + ")"});
      }
    }
  }
}

}  // namespace detail

// Checks that schema only uses the supported keywords with values of the right type.
// Issues point into the schema document.
inline std::vector<SchemaIssue> check_schema(const nlohmann::json& schema) {
  std::vector<SchemaIssue> out;
  detail::check_schema_at(schema, "", out);
  return out;
}

// Validates value against schema, which check_schema found usable. pointer_prefix is prepended
// to every issue's pointer (e.g. "/plugins/sophos/settings"). Values of "x-secret" fields must be
// secret references (${env:NAME} or ${file:PATH}); their content is never repeated in a message.
inline std::vector<SchemaIssue> validate_against_schema(const nlohmann::json& schema,
                                                        const nlohmann::json& value,
                                                        const std::string& pointer_prefix) {
  std::vector<SchemaIssue> out;
  detail::validate_at(schema, value, pointer_prefix, out);
  return out;
}

// Top-level property names that the schema marks "x-secret": true.
inline std::vector<std::string> secret_properties(const nlohmann::json& schema) {
  std::vector<std::string> names;
  if (!schema.is_object() || !schema.contains("properties")) return names;
  for (const auto& [name, sub] : schema["properties"].items()) {
    if (sub.is_object() && sub.value("x-secret", false)) names.push_back(name);
  }
  return names;
}

}  // namespace meterbridge::schema
