// Secret references in plugin settings (header-only): a setting the schema marks "x-secret" holds
// ${env:NAME} or ${file:PATH}, never the secret itself. The host and the testing kit share this
// code, so a reference a test accepts is one the host accepts, resolved the same way.
//
//   meterbridge::secrets::is_secret_reference("${env:ACME_KEY}");   // true
//   meterbridge::secrets::is_secret_reference("hunter2");           // false
//   auto r = meterbridge::secrets::resolve_secret_reference("${file:acme.key}", "/etc/mb");
//   if (!r.ok()) std::puts(r.error.c_str());  // "secret file /etc/mb/acme.key cannot be read"
//
// Uses only the standard library.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>

namespace meterbridge::secrets {

// ${env:NAME}: scheme "env", target NAME; ${file:PATH}: scheme "file", target PATH.
struct SecretReference {
  std::string scheme;
  std::string target;
};

// The reference in value, or nullopt when value is not one (an env NAME is [A-Za-z_][A-Za-z0-9_]*;
// a file PATH is anything non-empty on one line).
inline std::optional<SecretReference> parse_secret_reference(std::string_view value) {
  static const std::regex reference(R"(^\$\{(env|file):(.+)\}$)");
  static const std::regex env_name("^[A-Za-z_][A-Za-z0-9_]*$");
  std::smatch m;
  const std::string s(value);
  if (!std::regex_match(s, m, reference)) return std::nullopt;
  SecretReference r{m[1].str(), m[2].str()};
  if (r.scheme == "env" && !std::regex_match(r.target, env_name)) return std::nullopt;
  return r;
}

inline bool is_secret_reference(std::string_view value) {
  return parse_secret_reference(value).has_value();
}

// The value of a reference, or why there is none (naming the variable or file, never a value).
struct ResolvedSecret {
  std::string value;
  std::string error;
  bool ok() const { return error.empty(); }
};

// Reads the variable or the file (relative paths are taken from base_dir). A file's one trailing
// newline (\n or \r\n) is dropped, since editors add one; an empty secret is an error, since an
// empty credential is always a mistake.
inline ResolvedSecret resolve_secret_reference(std::string_view reference,
                                               const std::filesystem::path& base_dir) {
  const std::optional<SecretReference> r = parse_secret_reference(reference);
  if (!r) return {{}, "not a secret reference: expected ${env:NAME} or ${file:PATH}"};
  std::string value;
  if (r->scheme == "env") {
    const char* v = std::getenv(r->target.c_str());
    if (v == nullptr) return {{}, "environment variable " + r->target + " is not set"};
    value = v;
  } else {
    std::filesystem::path p(r->target);
    if (p.is_relative()) p = base_dir / p;
    std::ifstream in(p, std::ios::binary);
    if (!in) return {{}, "secret file " + p.string() + " cannot be read"};
    std::stringstream text;
    text << in.rdbuf();
    value = text.str();
    if (!value.empty() && value.back() == '\n') value.pop_back();
    if (!value.empty() && value.back() == '\r') value.pop_back();
  }
  if (value.empty()) return {{}, "secret " + std::string(reference) + " is empty"};
  return {value, {}};
}

}  // namespace meterbridge::secrets
