// In-memory state of the Sophos Central emulator: the seed (partner, credentials, tenants, usage,
// licences) and issued tokens. Thread-safe. Faults and the request log live in the shared fault
// control (../common/fault_control.hpp).
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

  nlohmann::json state_json();

 private:
  const Seed seed_;
  const std::string base_url_;
  std::mutex mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point> access_tokens_;
  std::map<std::string, bool> refresh_tokens_;
};

}  // namespace sophos_emu
