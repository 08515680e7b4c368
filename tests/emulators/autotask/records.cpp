#include "records.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

namespace at_emu {

namespace {

const std::map<std::string, std::vector<std::string>>& field_table() {
  static const std::map<std::string, std::vector<std::string>> t = {
      {"Companies",
       {"id", "companyName", "companyNumber", "companyType", "ownerResourceID", "phone", "isActive",
        "parentCompanyID", "userDefinedFields"}},
      {"Contracts",
       {"id", "companyID", "contractName", "contractNumber", "contractType", "status", "startDate",
        "endDate", "contractCategory", "billingPreference", "isDefaultContract",
        "timeReportingRequiresStartAndStopTimes", "userDefinedFields"}},
      {"Services",
       {"id", "name", "billingCodeID", "periodType", "unitPrice", "unitCost", "markupRate",
        "invoiceDescription", "isActive", "vendorCompanyID"}},
      {"ContractServices",
       {"id", "contractID", "serviceID", "unitPrice", "unitCost", "internalCurrencyAdjustedPrice",
        "internalCurrencyUnitPrice", "invoiceDescription", "internalDescription",
        "userDefinedFields"}},
      {"ContractServiceUnits",
       {"id", "contractID", "contractServiceID", "serviceID", "startDate", "endDate", "units",
        "price", "cost", "internalCurrencyPrice", "approveAndPostDate",
        "organizationalLevelAssociationID", "vendorCompanyID"}},
  };
  return t;
}

long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

void civil_from_days(long long z, long long& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<long long>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

unsigned days_in_month(long long y, unsigned m) {
  static const unsigned n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : n[m - 1];
}

// The day `months` calendar months after `day` (the day of month clamped to the month's length).
long long add_months(long long day, long long months) {
  long long y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(day, y, m, d);
  const long long total = y * 12 + (m - 1) + months;
  y = total / 12;
  m = static_cast<unsigned>(total % 12) + 1;
  return days_from_civil(y, m, std::min(d, days_in_month(y, m)));
}

bool is_int(const nlohmann::json& body, const char* key) {
  return body.contains(key) && body[key].is_number_integer();
}

}  // namespace

std::optional<std::string> canonical_entity(const std::string& lower) {
  for (const auto& [name, fields] : field_table()) {
    std::string l = name;
    for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == lower) return name;
  }
  return std::nullopt;
}

const std::vector<std::string>& entity_fields(const std::string& entity) {
  return field_table().at(entity);
}

const nlohmann::json& entity_records(Data& d, const std::string& entity) {
  if (entity == "Companies") return d.companies;
  if (entity == "Contracts") return d.contracts;
  if (entity == "Services") return d.services;
  if (entity == "ContractServices") return d.contract_services;
  // Contract services and adjustments are only ever added (neither has an update here), so their
  // counts tell whether the derived rows are still current. Deriving 24,000 rows on every page
  // of a query would cost the benchmark more than its 50 ms latency.
  const std::pair<std::size_t, std::size_t> key{d.contract_services.size(), d.adjustments.size()};
  if (key != d.units_key) {
    d.units_cache = contract_service_units(d);
    d.units_key = key;
  }
  return d.units_cache;
}

nlohmann::json* find_by_id(nlohmann::json& arr, long long id) {
  for (auto& o : arr)
    if (o.contains("id") && o["id"] == id) return &o;
  return nullptr;
}

const nlohmann::json* find_by_id(const nlohmann::json& arr, long long id) {
  for (const auto& o : arr)
    if (o.contains("id") && o["id"] == id) return &o;
  return nullptr;
}

std::optional<long long> day_number(const nlohmann::json& v) {
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  int y = 0, m = 0, d = 0;
  char rest = 0;
  const int n = std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &rest);
  if (n < 3 || s.size() < 10 || (n == 4 && rest != 'T')) return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > static_cast<int>(days_in_month(y, m))) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::string date_time_of(long long day) {
  long long y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(day, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT00:00:00", y, m, d);
  return buf;
}

nlohmann::json contract_service_units(const Data& d) {
  // Adjustments by contract service, dates parsed once: every query derives all the rows, and
  // the benchmark has thousands of contract services and adjustments.
  std::map<long long, std::vector<std::pair<long long, long long>>> changes;
  for (const auto& a : d.adjustments)
    changes[a["contractServiceID"].get<long long>()].emplace_back(*day_number(a["effectiveDate"]),
                                                                  a["unitChange"].get<long long>());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& cs : d.contract_services) {
    const long long csid = cs["id"].get<long long>();
    const auto* contract = find_by_id(d.contracts, cs["contractID"].get<long long>());
    const auto start = contract ? day_number((*contract)["startDate"]) : std::nullopt;
    const auto end = contract ? day_number((*contract)["endDate"]) : std::nullopt;
    if (!start || !end) continue;
    const auto base = d.base_units.find(csid);
    for (long long i = 0; i < 240; ++i) {
      const long long p_start = add_months(*start, i);
      if (p_start > *end) break;
      const long long p_end = std::min(add_months(*start, i + 1) - 1, *end);
      long long units = base == d.base_units.end() ? 0 : base->second;
      if (const auto it = changes.find(csid); it != changes.end())
        for (const auto& [day, change] : it->second)
          if (day <= p_end) units += change;
      const double price = cs.value("unitPrice", 0.0), cost = cs.value("unitCost", 0.0);
      out.push_back({{"id", csid * 1000 + i + 1},
                     {"contractID", cs["contractID"]},
                     {"contractServiceID", csid},
                     {"serviceID", cs["serviceID"]},
                     {"startDate", date_time_of(p_start)},
                     {"endDate", date_time_of(p_end)},
                     {"units", units},
                     {"price", price * static_cast<double>(units)},
                     {"cost", cost * static_cast<double>(units)},
                     {"internalCurrencyPrice", price * static_cast<double>(units)},
                     {"approveAndPostDate", nullptr},
                     {"organizationalLevelAssociationID", nullptr},
                     {"vendorCompanyID", nullptr}});
    }
  }
  return out;
}

Created create_contract_service(Data& d, const nlohmann::json& body, long long contract_id,
                                long long units) {
  if (!body.is_object()) return {0, "The request body must be a ContractService object."};
  const auto* contract = find_by_id(d.contracts, contract_id);
  if (!contract) return {0, "Contract " + std::to_string(contract_id) + " does not exist."};
  if (body.contains("contractID") && body["contractID"] != contract_id)
    return {0, "contractID does not match the parent Contract " + std::to_string(contract_id)};
  if ((*contract)["contractType"] != 7)
    return {0, "Services can only be added to a Recurring Service contract."};
  if (!is_int(body, "serviceID")) return {0, "serviceID is required."};
  const auto* service = find_by_id(d.services, body["serviceID"].get<long long>());
  if (!service) return {0, "Service " + body["serviceID"].dump() + " does not exist."};
  for (const auto& cs : d.contract_services)
    if (cs["contractID"] == contract_id && cs["serviceID"] == body["serviceID"])
      return {0, "Service " + body["serviceID"].dump() + " is already on the contract."};
  for (const char* k : {"unitPrice", "unitCost"})
    if (body.contains(k) && !body[k].is_number()) return {0, std::string(k) + " must be a number."};
  const long long id = d.next_contract_service_id++;
  nlohmann::json cs = {{"id", id},
                       {"contractID", contract_id},
                       {"serviceID", body["serviceID"]},
                       {"unitPrice", body.value("unitPrice", service->value("unitPrice", 0.0))},
                       {"unitCost", body.value("unitCost", service->value("unitCost", 0.0))},
                       {"internalCurrencyAdjustedPrice", nullptr},
                       {"internalCurrencyUnitPrice", nullptr},
                       {"invoiceDescription", body.value("invoiceDescription", "")},
                       {"internalDescription", body.value("internalDescription", "")},
                       {"userDefinedFields", nlohmann::json::array()}};
  d.contract_services.push_back(cs);
  d.base_units[id] = units;
  return {id, ""};
}

namespace {

// Finds (or, for contractID + serviceID, creates) the adjusted contract service.
Created adjusted_service(Data& d, const nlohmann::json& body) {
  if (is_int(body, "contractServiceID")) {
    const auto* cs = find_by_id(d.contract_services, body["contractServiceID"].get<long long>());
    if (!cs) return {0, "ContractService " + body["contractServiceID"].dump() + " does not exist."};
    for (const char* k : {"contractID", "serviceID"})
      if (body.contains(k) && !body[k].is_null() && body[k] != (*cs)[k])
        return {0, std::string(k) + " does not match contractServiceID."};
    return {(*cs)["id"].get<long long>(), ""};
  }
  if (!is_int(body, "contractID") || !is_int(body, "serviceID"))
    return {0, "Either contractServiceID or contractID and serviceID are required."};
  for (const auto& cs : d.contract_services)
    if (cs["contractID"] == body["contractID"] && cs["serviceID"] == body["serviceID"])
      return {cs["id"].get<long long>(), ""};
  // The API creates the ContractService when it does not exist (ContractServiceAdjustmentsEntity).
  return create_contract_service(d, {{"serviceID", body["serviceID"]}},
                                 body["contractID"].get<long long>(), 0);
}

}  // namespace

Created create_adjustment(Data& d, const nlohmann::json& in,
                          std::optional<long long> path_contract) {
  if (!in.is_object()) return {0, "The request body must be a ContractServiceAdjustment object."};
  nlohmann::json body = in;
  if (path_contract) {
    if (body.contains("contractID") && !body["contractID"].is_null() &&
        body["contractID"] != *path_contract)
      return {0, "contractID does not match the parent Contract."};
    body["contractID"] = *path_contract;
  }
  if (!body.contains("effectiveDate")) return {0, "effectiveDate is required."};
  const auto day = day_number(body["effectiveDate"]);
  if (!day) return {0, "effectiveDate is not a valid date: " + body["effectiveDate"].dump()};
  if (!is_int(body, "unitChange")) return {0, "unitChange is required and must be an integer."};
  for (const char* k : {"adjustedUnitPrice", "adjustedUnitCost"})
    if (body.contains(k) && !body[k].is_null() && !body[k].is_number())
      return {0, std::string(k) + " must be a number."};
  if (body.contains("allowRepeatService") && !body["allowRepeatService"].is_boolean())
    return {0, "allowRepeatService must be true or false."};
  if (body.contains("contractID") && !body["contractID"].is_null() &&
      !find_by_id(d.contracts, body["contractID"].is_number_integer()
                                   ? body["contractID"].get<long long>()
                                   : -1))
    return {0, "Contract " + body["contractID"].dump() + " does not exist."};
  if (is_int(body, "contractID")) {
    const auto& contract = *find_by_id(d.contracts, body["contractID"].get<long long>());
    if (*day < *day_number(contract["startDate"]) || *day > *day_number(contract["endDate"]))
      return {0, "effectiveDate " + date_time_of(*day).substr(0, 10) +
                     " is outside the contract's dates."};
  }
  const Created cs = adjusted_service(d, body);
  if (!cs.error.empty()) return cs;
  const auto& service = *find_by_id(d.contract_services, cs.id);
  const auto& contract = *find_by_id(d.contracts, service["contractID"].get<long long>());
  if (*day < *day_number(contract["startDate"]) || *day > *day_number(contract["endDate"]))
    return {0, "effectiveDate " + date_time_of(*day).substr(0, 10) +
                   " is outside the contract's dates."};
  const long long id = d.next_adjustment_id++;
  d.adjustments.push_back({{"id", id},
                           {"contractID", service["contractID"]},
                           {"contractServiceID", cs.id},
                           {"serviceID", service["serviceID"]},
                           {"effectiveDate", date_time_of(*day)},
                           {"unitChange", body["unitChange"]},
                           {"adjustedUnitPrice", body.value("adjustedUnitPrice", nlohmann::json())},
                           {"adjustedUnitCost", body.value("adjustedUnitCost", nlohmann::json())},
                           {"allowRepeatService", body.value("allowRepeatService", false)},
                           {"quoteItemID", body.value("quoteItemID", nlohmann::json())}});
  return {id, ""};
}

}  // namespace at_emu

namespace at_emu {

namespace {

// The Services fields a write may set, with their JSON types (the notes give no types: the
// seed's; periodType is a picklist whose values the notes do not give, so a string or an integer).
std::string service_field_error(const std::string& key, const nlohmann::json& v) {
  if (key == "name" || key == "invoiceDescription")
    return v.is_string() || v.is_null() ? "" : key + " must be a string.";
  if (key == "unitPrice" || key == "unitCost" || key == "markupRate")
    return v.is_number() || v.is_null() ? "" : key + " must be a number.";
  if (key == "billingCodeID" || key == "vendorCompanyID")
    return v.is_number_integer() || v.is_null() ? "" : key + " must be an integer.";
  if (key == "periodType")
    return v.is_string() || v.is_number_integer() || v.is_null() ? ""
                                                                 : key + " is not a valid value.";
  if (key == "isActive") return v.is_boolean() ? "" : key + " must be true or false.";
  return "Unknown field " + key + " on Service.";
}

// Checks every field of a Services write; the required ones (name, unitPrice) must not be
// emptied. Returns the first error, or "".
std::string check_service_body(const nlohmann::json& body) {
  if (!body.is_object()) return "The request body must be a Service object.";
  for (const auto& [key, value] : body.items()) {
    if (key == "id") continue;
    const std::string error = service_field_error(key, value);
    if (!error.empty()) return error;
  }
  if (body.contains("name") &&
      (!body["name"].is_string() || body["name"].get<std::string>().empty()))
    return "name is required.";
  if (body.contains("unitPrice") && !body["unitPrice"].is_number()) return "unitPrice is required.";
  return "";
}

}  // namespace

Created create_service(Data& d, const nlohmann::json& body) {
  const std::string error = check_service_body(body);
  if (!error.empty()) return {0, error};
  if (body.contains("id") && !body["id"].is_null() && body["id"] != 0)
    return {0, "id cannot be set on a create."};
  if (!body.contains("name")) return {0, "name is required."};
  if (!body.contains("unitPrice")) return {0, "unitPrice is required."};
  long long id = 0;
  for (const auto& s : d.services) id = std::max(id, s["id"].get<long long>());
  nlohmann::json service = {{"id", ++id}};
  for (const auto& field : entity_fields("Services"))
    if (field != "id") service[field] = body.value(field, nlohmann::json());
  if (service["isActive"].is_null()) service["isActive"] = true;
  d.services.push_back(service);
  return {id, ""};
}

Created patch_service(Data& d, const nlohmann::json& body) {
  const std::string error = check_service_body(body);
  if (!error.empty()) return {0, error};
  if (!is_int(body, "id")) return {0, "id is required."};
  auto* service = find_by_id(d.services, body["id"].get<long long>());
  if (!service) return {0, "Service " + body["id"].dump() + " does not exist."};
  for (const auto& [key, value] : body.items()) (*service)[key] = value;
  return {body["id"].get<long long>(), ""};
}

}  // namespace at_emu
