// In-memory state of the Autotask PSA emulator: zone, API users, records (companies, contracts,
// services, contract services, adjustments) and the limits. Faults and the request log live in
// the shared fault control (../common/fault_control.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "limits.hpp"

namespace at_emu {

struct ApiUser {
  std::string user_name;
  std::string secret;
  std::string integration_code;
};

// The mutable records, guarded by State::data_mutex().
struct Data {
  nlohmann::json companies = nlohmann::json::array();
  nlohmann::json contracts = nlohmann::json::array();
  nlohmann::json services = nlohmann::json::array();
  nlohmann::json contract_services = nlohmann::json::array();
  nlohmann::json adjustments = nlohmann::json::array();
  std::map<long long, long long> base_units;  // contract service id -> units before adjustments
  // The derived ContractServiceUnits and the (contract services, adjustments) counts they are of.
  nlohmann::json units_cache;
  std::pair<std::size_t, std::size_t> units_key{SIZE_MAX, SIZE_MAX};
  long long next_contract_service_id = 1;
  long long next_adjustment_id = 1;
};

class State {
 public:
  // Validates the seed; throws std::runtime_error with a readable message.
  State(const nlohmann::json& seed, std::string base_url, int latency_ms);

  const std::string& base_url() const { return base_url_; }
  std::string zone_url() const { return base_url_ + "/ATServicesRest/"; }
  const nlohmann::json& zone() const { return zone_; }
  const std::vector<ApiUser>& users() const { return users_; }
  const std::vector<long long>& resources() const { return resources_; }
  int latency_ms() const { return latency_ms_; }
  Limits& limits() { return limits_; }
  std::mutex& data_mutex() { return data_mutex_; }
  Data& data() { return data_; }  // lock data_mutex() first

  nlohmann::json state_json();

 private:
  const std::string base_url_;
  const int latency_ms_;
  nlohmann::json zone_;
  std::vector<ApiUser> users_;
  std::vector<long long> resources_;
  Limits limits_;
  std::mutex data_mutex_;
  Data data_;
};

nlohmann::json load_seed_file(const std::string& path);

}  // namespace at_emu
