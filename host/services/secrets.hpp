// Secret references in settings: ${env:NAME} or ${file:PATH}. Values are resolved only when a
// plugin asks (secret_get), registered for redaction, and never named in a message.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace meterbridge::host {

class SecretError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

bool is_secret_reference(std::string_view value);

// Resolves reference; file paths are relative to base_dir. Throws SecretError naming the
// variable or file (never a value).
std::string resolve_secret(std::string_view reference, const std::filesystem::path& base_dir);

}  // namespace meterbridge::host
