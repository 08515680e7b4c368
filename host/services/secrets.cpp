#include "services/secrets.hpp"

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "services/redactor.hpp"

namespace meterbridge::host {
namespace {
const std::regex& reference_re() {
  static const std::regex re(R"(^\$\{(env|file):(.+)\}$)");
  return re;
}
}  // namespace

bool is_secret_reference(std::string_view value) {
  std::smatch m;
  std::string s(value);
  if (!std::regex_match(s, m, reference_re())) return false;
  if (m[1] == "env") return std::regex_match(m[2].str(), std::regex("^[A-Za-z_][A-Za-z0-9_]*$"));
  return true;
}

std::string resolve_secret(std::string_view reference, const std::filesystem::path& base_dir) {
  std::smatch m;
  std::string s(reference);
  if (!is_secret_reference(s) || !std::regex_match(s, m, reference_re())) {
    throw SecretError("not a secret reference: expected ${env:NAME} or ${file:PATH}");
  }
  std::string value;
  if (m[1] == "env") {
    const char* v = std::getenv(m[2].str().c_str());
    if (v == nullptr) throw SecretError("environment variable " + m[2].str() + " is not set");
    value = v;
  } else {
    std::filesystem::path p(m[2].str());
    if (p.is_relative()) p = base_dir / p;
    std::ifstream in(p, std::ios::binary);
    if (!in) throw SecretError("secret file " + p.string() + " cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    value = text.str();
    if (!value.empty() && value.back() == '\n') value.pop_back();
    if (!value.empty() && value.back() == '\r') value.pop_back();
  }
  if (value.empty()) throw SecretError("secret " + s + " is empty");
  Redactor::global().add(value);
  return value;
}

}  // namespace meterbridge::host
