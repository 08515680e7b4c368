// Validation and normalisation of writable records (agreement additions, catalog items), shared
// by the seed loader and the API. Errors carry the field for ConnectWise's errors[] entries.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>

#include "state.hpp"

namespace cw_emu {

struct FieldError {
  std::string code;  // e.g. "InvalidField", "ObjectExists", "Required"
  std::string field;
  std::string message;
};

// Normalises "YYYY-MM-DD" / "YYYY-MM-DDT00:00:00Z" to "YYYY-MM-DDT00:00:00Z"; nullopt otherwise.
std::optional<std::string> normalize_date(const nlohmann::json& v);

// Validates `in` as a full addition of `agreement` and returns the stored object in `out`
// (id/agreementId/_info are set by the caller). nullopt on success.
std::optional<FieldError> build_addition(const Data& data, const nlohmann::json& agreement,
                                         const nlohmann::json& in, nlohmann::json& out);

// Validates `in` as a full catalog item (self_id: its own id on update, for uniqueness).
std::optional<FieldError> build_catalog_item(const Data& data, const nlohmann::json& in,
                                             long long self_id, nlohmann::json& out);

// Length of a string as ConnectWise (.NET) counts it: UTF-16 code units.
std::size_t text_length(const std::string& s);
// An error when in[key] is a string longer than max_len.
std::optional<FieldError> check_length(const nlohmann::json& in, const char* key,
                                       std::size_t max_len);

// What a PATCH may touch: the top-level field of each path must be writable; read_only ones
// (id, _info, ...) get their own message.
struct PatchFields {
  std::string resource;
  std::set<std::string> writable;
  std::set<std::string> read_only;
};
const PatchFields& addition_patch_fields();
const PatchFields& catalog_patch_fields();

// Applies a JSON-Patch-style array ([{op, path, value}]) to a copy of `target`.
std::optional<FieldError> apply_patch(const nlohmann::json& ops, nlohmann::json& target,
                                      const PatchFields& fields);

// Whether the agreement may take new additions (Active and not cancelled).
bool agreement_open(const nlohmann::json& agreement);

const nlohmann::json* find_by_id(const nlohmann::json& arr, long long id);

}  // namespace cw_emu
