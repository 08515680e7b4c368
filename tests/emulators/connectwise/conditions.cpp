#include "conditions.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace cw_emu {

namespace {

enum class Tok { name, string, number, datetime, op, lparen, rparen, comma, end };

struct Token {
  Tok kind;
  std::string text;
  std::size_t pos;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<Token> tokenize(const std::string& s) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto fail = [&](const std::string& what) {
    throw ConditionError(what + " at position " + std::to_string(i + 1));
  };
  while (i < s.size()) {
    const char c = s[i];
    const std::size_t start = i;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(') {
      out.push_back({Tok::lparen, "(", i++});
    } else if (c == ')') {
      out.push_back({Tok::rparen, ")", i++});
    } else if (c == ',') {
      out.push_back({Tok::comma, ",", i++});
    } else if (c == '"') {
      std::string v;
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        v.push_back(s[i++]);
      }
      if (i >= s.size()) fail("unterminated string");
      ++i;
      out.push_back({Tok::string, v, start});
    } else if (c == '[') {
      const auto close = s.find(']', i);
      if (close == std::string::npos) fail("unterminated [datetime]");
      out.push_back({Tok::datetime, s.substr(i + 1, close - i - 1), start});
      i = close + 1;
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      std::string op(1, c);
      if (i + 1 < s.size() && (s[i + 1] == '=' || (c == '<' && s[i + 1] == '>'))) op += s[i + 1];
      if (op == "!") fail("'!' must be followed by '='");
      i += op.size();
      out.push_back({Tok::op, op, start});
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.') {
      ++i;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      out.push_back({Tok::number, s.substr(start, i - start), start});
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' ||
                              s[i] == '/' || s[i] == '.'))
        ++i;
      out.push_back({Tok::name, s.substr(start, i - start), start});
    } else {
      fail(std::string("unexpected character '") + c + "'");
    }
  }
  out.push_back({Tok::end, "", s.size()});
  return out;
}

// Case-insensitive LIKE with % / * (any run) and _ (one character).
bool like_match(const std::string& text, const std::string& pat, std::size_t t = 0,
                std::size_t p = 0) {
  while (p < pat.size()) {
    if (pat[p] == '%' || pat[p] == '*') {
      for (std::size_t k = t; k <= text.size(); ++k)
        if (like_match(text, pat, k, p + 1)) return true;
      return false;
    }
    if (t >= text.size()) return false;
    if (pat[p] != '_' && std::tolower(static_cast<unsigned char>(pat[p])) !=
                             std::tolower(static_cast<unsigned char>(text[t])))
      return false;
    ++t;
    ++p;
  }
  return t == text.size();
}

// -1, 0, 1; nullopt-like 2 when the two cannot be compared.
int compare(const nlohmann::json& field, const nlohmann::json& value) {
  if (value.is_null()) return field.is_null() ? 0 : 2;
  if (field.is_null()) return 2;
  if (value.is_number() && field.is_number()) {
    const double a = field.get<double>(), b = value.get<double>();
    return a < b ? -1 : (a > b ? 1 : 0);
  }
  if (value.is_boolean() && field.is_boolean())
    return field.get<bool>() == value.get<bool>() ? 0 : (field.get<bool>() ? 1 : -1);
  if (value.is_string()) {
    std::string a = field.is_string() ? field.get<std::string>() : field.dump();
    std::string b = value.get<std::string>();
    a = lower(a);
    b = lower(b);
    return a < b ? -1 : (a > b ? 1 : 0);
  }
  return 2;
}

struct Compare : Condition {
  std::string path, op;
  nlohmann::json value;
  bool negate = false;
  bool eval(const nlohmann::json& obj) const override {
    const auto f = resolve_path(obj, path);
    bool r = false;
    if (op == "contains" || op == "like") {
      if (f.is_null()) return negate;
      const std::string text = f.is_string() ? f.get<std::string>() : f.dump();
      const std::string v = value.is_string() ? value.get<std::string>() : value.dump();
      r = op == "like" ? like_match(text, v) : lower(text).find(lower(v)) != std::string::npos;
      return negate ? !r : r;
    }
    const int c = compare(f, value);
    if (op == "=")
      r = c == 0;
    else if (op == "!=" || op == "<>")
      r = c != 0;
    else if (c == 2)
      r = false;
    else if (op == "<")
      r = c < 0;
    else if (op == "<=")
      r = c <= 0;
    else if (op == ">")
      r = c > 0;
    else if (op == ">=")
      r = c >= 0;
    return r;
  }
};

struct In : Condition {
  std::string path;
  std::vector<nlohmann::json> values;
  bool negate = false;
  bool eval(const nlohmann::json& obj) const override {
    const auto f = resolve_path(obj, path);
    const bool found = std::any_of(values.begin(), values.end(),
                                   [&](const nlohmann::json& v) { return compare(f, v) == 0; });
    return negate ? !found : found;
  }
};

struct Not : Condition {
  std::unique_ptr<Condition> inner;
  bool eval(const nlohmann::json& obj) const override { return !inner->eval(obj); }
};

struct Binary : Condition {
  bool is_and = true;
  std::unique_ptr<Condition> left, right;
  bool eval(const nlohmann::json& obj) const override {
    return is_and ? (left->eval(obj) && right->eval(obj)) : (left->eval(obj) || right->eval(obj));
  }
};

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  std::unique_ptr<Condition> parse() {
    auto e = expr();
    if (peek().kind != Tok::end) fail("expected and/or or end of condition");
    return e;
  }

 private:
  std::vector<Token> toks_;
  std::size_t i_ = 0;
  const Token& peek() const { return toks_[i_]; }
  bool keyword(const char* kw) const {
    return peek().kind == Tok::name && lower(peek().text) == kw;
  }
  [[noreturn]] void fail(const std::string& what) const {
    const auto& t = peek();
    throw ConditionError(what + " at position " + std::to_string(t.pos + 1) +
                         (t.kind == Tok::end ? " (end of input)" : " near '" + t.text + "'"));
  }

  std::unique_ptr<Condition> expr() {
    auto left = term();
    while (keyword("or")) {
      ++i_;
      auto b = std::make_unique<Binary>();
      b->is_and = false;
      b->left = std::move(left);
      b->right = term();
      left = std::move(b);
    }
    return left;
  }
  std::unique_ptr<Condition> term() {
    auto left = factor();
    while (keyword("and")) {
      ++i_;
      auto b = std::make_unique<Binary>();
      b->left = std::move(left);
      b->right = factor();
      left = std::move(b);
    }
    return left;
  }
  std::unique_ptr<Condition> factor() {
    if (keyword("not")) {
      ++i_;
      auto n = std::make_unique<Not>();
      n->inner = factor();
      return n;
    }
    if (peek().kind == Tok::lparen) {
      ++i_;
      auto e = expr();
      if (peek().kind != Tok::rparen) fail("expected ')'");
      ++i_;
      return e;
    }
    if (peek().kind != Tok::name || keyword("and") || keyword("or")) fail("expected a field name");
    const std::string path = toks_[i_++].text;
    bool negate = false;
    if (keyword("not")) {
      negate = true;
      ++i_;
    }
    if (keyword("in")) {
      ++i_;
      auto in = std::make_unique<In>();
      in->path = path;
      in->negate = negate;
      if (peek().kind != Tok::lparen) fail("expected '(' after in");
      ++i_;
      in->values.push_back(value());
      while (peek().kind == Tok::comma) {
        ++i_;
        in->values.push_back(value());
      }
      if (peek().kind != Tok::rparen) fail("expected ',' or ')' in the in list");
      ++i_;
      return in;
    }
    auto c = std::make_unique<Compare>();
    c->path = path;
    c->negate = negate;
    if (keyword("contains") || keyword("like")) {
      c->op = lower(toks_[i_++].text);
    } else if (!negate && peek().kind == Tok::op) {
      c->op = toks_[i_++].text;
    } else {
      fail("expected an operator (=, !=, <, <=, >, >=, contains, like, in)");
    }
    c->value = value();
    return c;
  }
  nlohmann::json value() {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::string:
      case Tok::datetime:
        ++i_;
        return t.text;
      case Tok::number: {
        ++i_;
        try {
          std::size_t used = 0;
          if (t.text.find('.') == std::string::npos) {
            long long v = std::stoll(t.text, &used);
            if (used == t.text.size()) return v;
          } else {
            double v = std::stod(t.text, &used);
            if (used == t.text.size()) return v;
          }
        } catch (const std::exception&) {
        }
        --i_;
        fail("bad number");
      }
      case Tok::name:
        if (keyword("true") || keyword("false")) return lower(toks_[i_++].text) == "true";
        if (keyword("null")) {
          ++i_;
          return nullptr;
        }
        fail("expected a value (quote strings with \")");
      default:
        fail("expected a value");
    }
  }
};

}  // namespace

nlohmann::json resolve_path(const nlohmann::json& obj, const std::string& path) {
  const nlohmann::json* cur = &obj;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const std::string part =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!cur->is_object()) return nullptr;
    // Field names are matched case-insensitively, as on the real server.
    const nlohmann::json* next = nullptr;
    for (const auto& [k, v] : cur->items())
      if (lower(k) == lower(part)) next = &v;
    if (!next) return nullptr;
    cur = next;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return *cur;
}

std::unique_ptr<Condition> parse_conditions(const std::string& text) {
  auto toks = tokenize(text);
  if (toks.size() == 1) throw ConditionError("empty condition");
  return Parser(std::move(toks)).parse();
}

}  // namespace cw_emu
