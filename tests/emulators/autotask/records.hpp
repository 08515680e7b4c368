// Autotask records: the entities' field lists, dates, the derived ContractServiceUnits and the
// validated writes (contract services, contract service adjustments, services).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "state.hpp"

namespace at_emu {

// "companies" -> "Companies" for the queryable entities (paths are case-insensitive).
std::optional<std::string> canonical_entity(const std::string& lower);
// The entity's fields (api-notes.md section 2 "Entities for billing").
const std::vector<std::string>& entity_fields(const std::string& entity);
// The entity's records; ContractServiceUnits are derived again only after a write changed them.
const nlohmann::json& entity_records(Data& d, const std::string& entity);

nlohmann::json* find_by_id(nlohmann::json& arr, long long id);
const nlohmann::json* find_by_id(const nlohmann::json& arr, long long id);

// Days since 1970-01-01 of "yyyy-mm-dd[Thh:mm:ss[.ms]]"; nullopt when it is not such a date.
std::optional<long long> day_number(const nlohmann::json& v);
std::string date_time_of(long long day);  // "2026-01-01T00:00:00"

// One row per contract service per monthly period of its contract: the seeded units plus every
// adjustment effective on or before the period's end.
nlohmann::json contract_service_units(const Data& d);

// Validated creates: an error message (answered as HTTP 500 {"errors": [...]}) or the new id.
struct Created {
  long long id = 0;
  std::string error;
};
Created create_contract_service(Data& d, const nlohmann::json& body, long long contract_id,
                                long long units);
Created create_adjustment(Data& d, const nlohmann::json& body,
                          std::optional<long long> path_contract);
// POST /Services (a new catalog service) and PATCH /Services (the fields given, `id` required).
Created create_service(Data& d, const nlohmann::json& body);
Created patch_service(Data& d, const nlohmann::json& body);

}  // namespace at_emu
