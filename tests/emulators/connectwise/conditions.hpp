// ConnectWise `conditions` query strings: a small recursive-descent parser and an evaluator
// over JSON objects. Grammar (keywords case-insensitive):
//   expr   := term (OR term)*          term := factor (AND factor)*
//   factor := NOT factor | '(' expr ')' | path op value | path [NOT] IN '(' value {, value} ')'
//   op     := = | != | <> | < | <= | > | >= | [NOT] CONTAINS | [NOT] LIKE
//   value  := "string" | number | true | false | null | [datetime]
//   path   := name ('/' name)*   e.g. company/id, type/name, _info/lastUpdated
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace cw_emu {

struct ConditionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Condition {
 public:
  virtual ~Condition() = default;
  virtual bool eval(const nlohmann::json& obj) const = 0;
};

// Throws ConditionError with a readable message (position and what was expected).
std::unique_ptr<Condition> parse_conditions(const std::string& text);

// The value at a slash path (company/id); null when absent.
nlohmann::json resolve_path(const nlohmann::json& obj, const std::string& path);

}  // namespace cw_emu
