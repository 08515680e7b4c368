// Autotask's query model (api-notes.md section 2 "Query model"): {"MaxRecords", "IncludeFields",
// "Filter"} with keys in any case, filter ops eq, noteq, gt, gte, lt, lte, beginsWith, endsWith,
// contains, exist, notExist, in, notIn and nested and/or groups; the top-level array is AND.
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace at_emu {

constexpr int kMaxRecords = 500;

struct QueryError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Query {
  int max_records = kMaxRecords;
  std::vector<std::string> include_fields;  // canonical names; empty = all
  nlohmann::json filter = nlohmann::json::array();
};

// Validates a query against the entity's fields; throws QueryError with Autotask-like text.
Query parse_query(const nlohmann::json& body, const std::vector<std::string>& fields);
bool matches(const nlohmann::json& filter, const nlohmann::json& record);
nlohmann::json project(const nlohmann::json& record, const std::vector<std::string>& fields);

}  // namespace at_emu
