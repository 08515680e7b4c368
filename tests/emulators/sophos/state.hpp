// In-memory state of the Sophos Central emulator: the seed (partner, credentials, tenants, usage,
// licences), issued tokens, pending faults and the request log. Thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sophos_emu {

struct Tenant {
  std::string id;
  std::string name;
  std::string show_as;
  std::string data_geography;
  std::string data_region;
  std::string billing_type;
  std::string organization_id;
  nlohmann::json licenses = nlohmann::json::array();
};

struct Seed {
  std::string partner_id;
  std::string partner_name;
  std::string client_id;
  std::string client_secret;
  int token_ttl_seconds = 3600;
  int max_page_size = 100;
  std::vector<Tenant> tenants;
  std::map<std::string, nlohmann::json> usage;  // "YYYY-MM" -> array of usage items
};

// Reads and validates a seed file; throws std::runtime_error with a readable message.
Seed load_seed(const std::string& path);
Seed parse_seed(const nlohmann::json& j);

std::string random_hex(std::size_t bytes);
std::string new_uuid();
std::string now_iso8601();

struct Fault {
  std::string path_prefix;
  std::string kind;  // "429", "500", "slow", "malformed", "drop"
  int remaining = 1;
  int retry_after = 1;
  int delay_ms = 1000;
};

class State {
 public:
  State(Seed seed, std::string base_url);

  // Immutable after construction, so readable without the lock.
  const Seed& seed() const { return seed_; }
  const std::string& base_url() const { return base_url_; }
  const Tenant* find_tenant(const std::string& id) const;

  struct Issued {
    std::string access_token;
    std::string refresh_token;
  };
  Issued issue_token();
  bool refresh_token_known(const std::string& refresh_token);
  enum class TokenCheck { ok, unknown, expired };
  TokenCheck check_token(const std::string& access_token);

  void add_fault(const Fault& fault);
  // Consumes one use of the first fault whose prefix matches the path.
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
  std::mutex mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point> access_tokens_;
  std::map<std::string, bool> refresh_tokens_;
  std::vector<Fault> faults_;
  nlohmann::json log_ = nlohmann::json::array();
};

}  // namespace sophos_emu
