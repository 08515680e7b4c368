// Remembers every secret value the host has resolved and removes them from text before it is
// logged, shown or stored. Secrets shorter than 4 characters are not registered: replacing every
// "ab" in a log would make it unreadable and such a value is not a credential worth the name.
//
// A secret is looked for in the forms it takes in the texts the host sees: as is, percent-encoded
// (a URL, a form body: upper- and lower-case hex, '+' for a space) and JSON-escaped (inside a
// JSON string, as the SDK's writer escapes it: \" \\ control characters, and also with every
// non-ASCII character as \uXXXX). Each is replaced by "***".
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace meterbridge::host {

class Redactor {
 public:
  static Redactor& global();
  void add(std::string secret);
  bool empty() const;

  // Text for people (a message, a log line): every known form of every secret -> "***".
  std::string redact(std::string_view text) const;

  // JSON text (a plugin's answer, a stored JSON column): a valid JSON text stays valid JSON.
  // Secrets are replaced inside string literals, in their JSON-escaped forms; a secret found
  // anywhere else (a number, say) makes the text be parsed, redacted value by value (a number
  // holding one becomes the string "***") and written again. Text that is not JSON is redacted
  // as plain text. Costs one search per form when nothing matches, and copies nothing then.
  std::string redact_json(std::string text) const;

 private:
  void rebuild_forms();  // mutex_ held

  mutable std::mutex mutex_;
  std::set<std::string> secrets_;
  // Longest first, so that a secret containing another is removed whole.
  std::vector<std::string> plain_forms_;  // every form
  std::vector<std::string> json_forms_;   // the forms that can stand inside a JSON string
};

}  // namespace meterbridge::host
