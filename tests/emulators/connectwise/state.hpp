// In-memory state of the ConnectWise PSA emulator: credentials, companies, agreements, agreement
// types, catalog items and agreement additions (mutable), pending faults and the request log.
#pragma once

#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace cw_emu {

struct Seed {
  std::string company_id;
  std::string company_name = "Emulated MSP";
  std::string public_key;
  std::string private_key;
  std::vector<std::string> client_ids;
  nlohmann::json companies = nlohmann::json::array();
  nlohmann::json agreement_types = nlohmann::json::array();
  nlohmann::json agreements = nlohmann::json::array();
  nlohmann::json catalog = nlohmann::json::array();
  nlohmann::json additions = nlohmann::json::array();
};

// The mutable records, guarded by State::data_mutex().
struct Data {
  nlohmann::json companies, agreement_types, agreements, catalog, additions;
  long long next_catalog_id = 1;
  long long next_addition_id = 1;
};

// Reads and validates a seed file; throws std::runtime_error with a readable message.
Seed load_seed(const std::string& path);
Seed parse_seed(const nlohmann::json& j);

std::string now_iso8601();  // "2026-11-25T17:00:00Z"
std::string today();        // "2026-11-25" (UTC)
std::string base64(const std::string& in);

struct Fault {
  std::string path_prefix;
  std::string kind;  // "429", "500", "slow", "malformed", "drop"
  int remaining = 1;
  int retry_after = 1;
  int delay_ms = 1000;
};

class State {
 public:
  // Throws std::runtime_error when seeded additions do not validate.
  State(Seed seed, std::string base_url);

  const Seed& seed() const { return seed_; }
  const std::string& base_url() const { return base_url_; }
  std::mutex& data_mutex() { return data_mutex_; }
  Data& data() { return data_; }  // lock data_mutex() first

  void add_fault(const Fault& fault);
  std::optional<Fault> take_fault(const std::string& path);
  nlohmann::json faults_json();
  void clear_faults();

  void log_request(nlohmann::json entry);
  nlohmann::json log_json();
  void clear_log();

  nlohmann::json state_json();

 private:
  const Seed seed_;
  const std::string base_url_;
  std::mutex data_mutex_;
  Data data_;
  std::mutex mutex_;
  std::vector<Fault> faults_;
  nlohmann::json log_ = nlohmann::json::array();
};

}  // namespace cw_emu
