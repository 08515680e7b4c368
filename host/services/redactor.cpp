#include "services/redactor.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace meterbridge::host {
namespace {

std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

void replace_all(std::string& text, const std::string& needle) {
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 3)) {
    text.replace(pos, needle.size(), "***");
  }
}

}  // namespace

Redactor& Redactor::global() {
  static Redactor instance;
  return instance;
}

void Redactor::add(std::string secret) {
  if (secret.size() < 4) return;
  std::lock_guard lock(mutex_);
  std::string encoded = percent_encode(secret);
  if (encoded != secret) secrets_.insert(std::move(encoded));
  secrets_.insert(std::move(secret));
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  std::lock_guard lock(mutex_);
  // Longest first, so that a secret containing another is removed whole.
  std::vector<const std::string*> ordered;
  for (const auto& s : secrets_) ordered.push_back(&s);
  std::sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->size() > b->size(); });
  for (const auto* s : ordered) replace_all(out, *s);
  return out;
}

}  // namespace meterbridge::host
