// Remembers every secret value the host has resolved and removes them from text before it is
// logged or shown. Secrets shorter than 4 characters are not registered: replacing every "ab"
// in a log would make it unreadable and such a value is not a credential worth the name.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace meterbridge::host {

class Redactor {
 public:
  static Redactor& global();
  void add(std::string secret);
  // text with every known secret (and its percent-encoded form) replaced by "***".
  std::string redact(std::string_view text) const;

 private:
  mutable std::mutex mutex_;
  std::set<std::string> secrets_;
};

}  // namespace meterbridge::host
