#include "services/redactor.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>

namespace meterbridge::host {
namespace {

using nlohmann::json;

constexpr std::string_view kMask = "***";

enum class Hex { upper, lower };

// RFC 3986 percent-encoding of everything but the unreserved characters; `plus` writes a space
// as '+' (application/x-www-form-urlencoded).
std::string percent_encode(std::string_view s, Hex hex_case, bool plus) {
  const char* hex = hex_case == Hex::upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (plus && c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

void append_u_escape(std::string& out, unsigned code) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04x", code);
  out += buf;
}

// The body of a JSON string holding s, escaped as nlohmann::json (the SDK's writer) does.
std::string json_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          append_u_escape(out, c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

// The same with every non-ASCII character as \uXXXX (surrogate pairs above U+FFFF), as writers
// that "ensure ASCII" produce; nullopt when s is not valid UTF-8 or is all ASCII.
std::optional<std::string> json_escape_ascii(std::string_view s) {
  std::string out;
  bool non_ascii = false;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += json_escape(s.substr(i, 1));
      ++i;
      continue;
    }
    non_ascii = true;
    size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return std::nullopt;
    unsigned code = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return std::nullopt;
      code = (code << 6) | (cc & 0x3F);
    }
    if (code > 0x10FFFF) return std::nullopt;
    if (code > 0xFFFF) {
      code -= 0x10000;
      append_u_escape(out, 0xD800 + (code >> 10));
      append_u_escape(out, 0xDC00 + (code & 0x3FF));
    } else {
      append_u_escape(out, code);
    }
    i += n;
  }
  if (!non_ascii) return std::nullopt;
  return out;
}

void sort_longest_first(std::vector<std::string>& forms) {
  std::sort(forms.begin(), forms.end());
  forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
  std::stable_sort(forms.begin(), forms.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void replace_all(std::string& text, const std::string& needle) {
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + kMask.size())) {
    text.replace(pos, needle.size(), kMask);
  }
}

std::string redact_plain(std::string_view text, const std::vector<std::string>& forms) {
  std::string out(text);
  for (const auto& f : forms) replace_all(out, f);
  return out;
}

// Every position where needle occurs in text (overlapping ones too).
template <class Visit>
void for_each_occurrence(const std::string& text, const std::string& needle, Visit&& visit) {
  // glibc's memmem (two-way, vectorised): a usage answer of tens of megabytes per form costs
  // a few milliseconds.
  for (size_t from = 0; from + needle.size() <= text.size();) {
    const void* found =
        memmem(text.data() + from, text.size() - from, needle.data(), needle.size());
    if (found == nullptr) return;
    const size_t pos = static_cast<size_t>(static_cast<const char*>(found) - text.data());
    visit(pos);
    from = pos + 1;
  }
}

// The bodies [begin, end) of the string literals of a JSON text; nullopt when a string is left
// open (the text is not JSON).
std::optional<std::vector<std::pair<size_t, size_t>>> string_bodies(const std::string& text) {
  std::vector<std::pair<size_t, size_t>> bodies;
  bool inside = false;
  size_t begin = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!inside) {
      if (c == '"') {
        inside = true;
        begin = i + 1;
      }
    } else if (c == '\\') {
      ++i;
    } else if (c == '"') {
      bodies.emplace_back(begin, i);
      inside = false;
    }
  }
  if (inside) return std::nullopt;
  return bodies;
}

void redact_values(json& v, const std::vector<std::string>& forms) {
  if (v.is_string()) {
    v = redact_plain(v.get_ref<const std::string&>(), forms);
  } else if (v.is_number()) {
    const std::string text = v.dump();
    if (redact_plain(text, forms) != text) v = std::string(kMask);
  } else if (v.is_array()) {
    for (auto& x : v) redact_values(x, forms);
  } else if (v.is_object()) {
    json out = json::object();
    for (auto& [key, x] : v.items()) {
      redact_values(x, forms);
      out[redact_plain(key, forms)] = std::move(x);
    }
    v = std::move(out);
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
  if (secrets_.insert(std::move(secret)).second) rebuild_forms();
}

bool Redactor::empty() const {
  std::lock_guard lock(mutex_);
  return secrets_.empty();
}

void Redactor::rebuild_forms() {
  plain_forms_.clear();
  json_forms_.clear();
  for (const auto& s : secrets_) {
    json_forms_.push_back(json_escape(s));
    if (auto ascii = json_escape_ascii(s)) json_forms_.push_back(*ascii);
    // Percent-encoded text holds no character JSON would escape.
    json_forms_.push_back(percent_encode(s, Hex::upper, false));
    json_forms_.push_back(percent_encode(s, Hex::lower, false));
    json_forms_.push_back(percent_encode(s, Hex::upper, true));
    plain_forms_.push_back(s);
  }
  plain_forms_.insert(plain_forms_.end(), json_forms_.begin(), json_forms_.end());
  sort_longest_first(plain_forms_);
  sort_longest_first(json_forms_);
}

std::string Redactor::redact(std::string_view text) const {
  std::vector<std::string> forms;
  {
    std::lock_guard lock(mutex_);
    if (secrets_.empty()) return std::string(text);
    forms = plain_forms_;
  }
  return redact_plain(text, forms);
}

std::string Redactor::redact_json(std::string text) const {
  std::vector<std::string> plain, in_json;
  {
    std::lock_guard lock(mutex_);
    if (secrets_.empty()) return text;
    plain = plain_forms_;
    in_json = json_forms_;
  }
  struct Hit {
    size_t pos, len;
  };
  std::vector<Hit> hits;  // longest form first
  for (const auto& f : in_json) {
    for_each_occurrence(text, f, [&](size_t pos) { hits.push_back({pos, f.size()}); });
  }
  // A form that cannot stand in a JSON string (a raw secret with a quote, say) is no secret
  // value of a JSON text; found at all, the text may not be JSON: take the careful path.
  bool careful = false;
  for (const auto& f : plain) {
    if (careful) break;
    if (std::find(in_json.begin(), in_json.end(), f) != in_json.end()) continue;
    for_each_occurrence(text, f, [&](size_t) { careful = true; });
  }
  if (hits.empty() && !careful) return text;

  std::vector<Hit> accepted;
  if (!careful) {
    auto bodies = string_bodies(text);
    if (!bodies) return redact_plain(text, plain);  // not JSON: a message
    for (const Hit& h : hits) {
      auto it = std::upper_bound(bodies->begin(), bodies->end(), h.pos,
                                 [](size_t pos, const auto& body) { return pos < body.first; });
      if (it == bodies->begin() || h.pos + h.len > std::prev(it)->second) {
        careful = true;  // outside every string: in a number, a key, or no JSON at all
        break;
      }
      // Inside a string, a match that starts on the second character of an escape (an odd
      // number of backslashes before it) is not the secret's text.
      size_t backslashes = 0;
      for (size_t p = h.pos; p > std::prev(it)->first && text[p - 1] == '\\'; --p) ++backslashes;
      if (backslashes % 2 == 1) continue;
      const bool overlaps = std::any_of(accepted.begin(), accepted.end(), [&](const Hit& a) {
        return h.pos < a.pos + a.len && a.pos < h.pos + h.len;
      });
      if (!overlaps) accepted.push_back(h);
    }
  }
  if (careful) {
    json parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded()) return redact_plain(text, plain);
    redact_values(parsed, plain);
    return parsed.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (accepted.empty()) return text;
  std::sort(accepted.begin(), accepted.end(),
            [](const Hit& a, const Hit& b) { return a.pos < b.pos; });
  std::string out;
  out.reserve(text.size());
  size_t from = 0;
  for (const Hit& h : accepted) {
    out.append(text, from, h.pos - from);
    out += kMask;
    from = h.pos + h.len;
  }
  out.append(text, from, std::string::npos);
  return out;
}

}  // namespace meterbridge::host
