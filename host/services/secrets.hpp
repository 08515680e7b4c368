// Secret references in settings: ${env:NAME} or ${file:PATH}. Values are resolved only when a
// plugin asks (secret_get), registered for redaction, and never named in a message.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include <meterbridge/secret_reference.hpp>

namespace meterbridge::host {

class SecretError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The SDK's check (meterbridge/secret_reference.hpp), which the schema checks and the testing
// kit use too.
using meterbridge::secrets::is_secret_reference;

// Resolves reference as meterbridge::secrets::resolve_secret_reference does and registers the
// value for redaction; file paths are relative to base_dir. Throws SecretError naming the
// variable or file (never a value).
std::string resolve_secret(std::string_view reference, const std::filesystem::path& base_dir);

}  // namespace meterbridge::host
