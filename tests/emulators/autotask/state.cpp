#include "state.hpp"

#include <fstream>
#include <set>
#include <stdexcept>

#include "records.hpp"

namespace at_emu {

namespace {

std::string required_string(const nlohmann::json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_string() ||
      obj[key].get<std::string>().empty())
    throw std::runtime_error(where + ": \"" + key + "\" must be a non-empty string");
  return obj[key].get<std::string>();
}

nlohmann::json records(const nlohmann::json& seed, const char* key) {
  if (!seed.contains(key)) return nlohmann::json::array();
  if (!seed[key].is_array())
    throw std::runtime_error(std::string("seed.") + key + " must be an array");
  std::set<long long> ids;
  for (const auto& o : seed[key]) {
    if (!o.is_object() || !o.contains("id") || !o["id"].is_number_integer() || o["id"] < 1)
      throw std::runtime_error(std::string("seed.") + key + "[]: id must be a positive integer");
    if (!ids.insert(o["id"].get<long long>()).second)
      throw std::runtime_error(std::string("seed.") + key + "[]: duplicate id " + o["id"].dump());
  }
  return seed[key];
}

void reference(const nlohmann::json& o, const char* key, const nlohmann::json& targets,
               const std::string& where) {
  if (!o.contains(key) || !o[key].is_number_integer() ||
      !find_by_id(targets, o[key].get<long long>()))
    throw std::runtime_error(where + ": " + key + " must name a seeded record");
}

void load_records(const nlohmann::json& seed, Data& d) {
  d.companies = records(seed, "companies");
  d.contracts = records(seed, "contracts");
  d.services = records(seed, "services");
  for (const auto& c : d.contracts) {
    const std::string where = "seed.contracts[" + c["id"].dump() + "]";
    reference(c, "companyID", d.companies, where);
    if (!day_number(c.value("startDate", nlohmann::json())) ||
        !day_number(c.value("endDate", nlohmann::json())))
      throw std::runtime_error(where + ": startDate and endDate must be dates");
  }
  for (const auto& cs : records(seed, "contractServices")) {
    const std::string where = "seed.contractServices[" + cs["id"].dump() + "]";
    reference(cs, "contractID", d.contracts, where);
    d.next_contract_service_id = cs["id"].get<long long>();
    const long long units = cs.value("units", 0LL);
    nlohmann::json body = cs;
    body.erase("units");
    body.erase("id");
    const Created made = create_contract_service(d, body, cs["contractID"].get<long long>(), units);
    if (!made.error.empty()) throw std::runtime_error(where + ": " + made.error);
  }
  long long max_cs = 0;
  for (const auto& cs : d.contract_services) max_cs = std::max(max_cs, cs["id"].get<long long>());
  d.next_contract_service_id = max_cs + 1;
  for (const auto& a : records(seed, "adjustments")) {
    d.next_adjustment_id = a["id"].get<long long>();
    nlohmann::json body = a;
    body.erase("id");
    const Created made = create_adjustment(d, body, std::nullopt);
    if (!made.error.empty())
      throw std::runtime_error("seed.adjustments[" + a["id"].dump() + "]: " + made.error);
  }
  long long max_adj = 0;
  for (const auto& a : d.adjustments) max_adj = std::max(max_adj, a["id"].get<long long>());
  d.next_adjustment_id = max_adj + 1;
}

}  // namespace

nlohmann::json load_seed_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open seed file " + path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("seed file " + path + " is not valid JSON: " + e.what());
  }
}

State::State(const nlohmann::json& seed, std::string base_url, int latency_ms)
    : base_url_(std::move(base_url)),
      latency_ms_(latency_ms),
      limits_(seed.is_object() ? seed.value("externalRequestThreshold", 10000) : 10000,
              seed.is_object() ? seed.value("requestThresholdTimeframe", 60) : 60) {
  if (!seed.is_object()) throw std::runtime_error("seed: top level must be an object");
  const nlohmann::json zone = seed.value("zone", nlohmann::json::object());
  zone_ = {{"zoneName", zone.value("zoneName", "Emulated Zone")},
           {"url", zone_url()},
           {"webUrl", zone.value("webUrl", base_url_ + "/")},
           {"ci", zone.value("ci", 1)}};
  if (!seed.contains("apiUsers") || !seed["apiUsers"].is_array() || seed["apiUsers"].empty())
    throw std::runtime_error("seed.apiUsers must be a non-empty array");
  for (const auto& u : seed["apiUsers"])
    users_.push_back({required_string(u, "userName", "seed.apiUsers[]"),
                      required_string(u, "secret", "seed.apiUsers[]"),
                      required_string(u, "apiIntegrationCode", "seed.apiUsers[]")});
  for (const auto& r : seed.value("resources", nlohmann::json::array())) {
    if (!r.is_number_integer()) throw std::runtime_error("seed.resources: integers only");
    resources_.push_back(r.get<long long>());
  }
  load_records(seed, data_);
}

nlohmann::json State::state_json() {
  nlohmann::json out = {{"base_url", base_url_},
                        {"zone", zone_},
                        {"latency_ms", latency_ms_},
                        {"threshold", limits_.threshold_info()}};
  std::lock_guard<std::mutex> lock(data_mutex_);
  out["companies"] = data_.companies.size();
  out["contracts"] = data_.contracts.size();
  out["services"] = data_.services.size();
  out["contract_services"] = data_.contract_services;
  out["adjustments"] = data_.adjustments;
  out["contract_service_units"] = entity_records(data_, "ContractServiceUnits");
  return out;  // the fault control adds faults and requests_logged; no secrets here
}

}  // namespace at_emu
