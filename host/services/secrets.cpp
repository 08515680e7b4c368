#include "services/secrets.hpp"

#include "services/redactor.hpp"

namespace meterbridge::host {

std::string resolve_secret(std::string_view reference, const std::filesystem::path& base_dir) {
  meterbridge::secrets::ResolvedSecret r =
      meterbridge::secrets::resolve_secret_reference(reference, base_dir);
  if (!r.ok()) throw SecretError(r.error);
  Redactor::global().add(r.value);
  return r.value;
}

}  // namespace meterbridge::host
