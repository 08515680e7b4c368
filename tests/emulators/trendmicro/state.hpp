// In-memory state of the Trend Micro Remote Manager emulator: the seed (credentials, clock
// offset, customers with their subscriptions, seat usage and daily detection counts). Immutable
// after loading, so readable from every server thread without a lock. Faults and the request log
// live in the shared fault control (../common/fault_control.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace trendmicro_emu {

// One product's counts of one day (our assumed detections endpoint, README.md).
struct DayDetections {
  std::string date;  // YYYY-MM-DD
  std::string product_id;
  int64_t spam = 0, phishing = 0, malware = 0, blocked = 0, total_messages = 0;
};

struct Customer {
  nlohmann::json listing;  // the customers listing's object: id, eid, name, seat_count, ...
  std::string id;
  std::string name;
  nlohmann::json subscriptions = nlohmann::json::array();  // LMPI subscription objects
  nlohmann::json seat_usages = nlohmann::json::array();    // [{activationcode, update_time, used}]
  std::vector<DayDetections> detections;
};

struct Seed {
  std::string access_token;
  std::string secret_key;
  // Added to the emulator's real clock before x-posix-time is compared with it: a test or the
  // sandbox whose meterbridge runs a test clock sets the difference here.
  int64_t clock_offset_seconds = 0;
  std::vector<Customer> customers;
};

// Reads and validates a seed file; throws std::runtime_error with a readable message.
Seed load_seed(const std::string& path);
Seed parse_seed(const nlohmann::json& j);

std::string new_uuid();

class State {
 public:
  State(Seed seed, std::string base_url);

  const Seed& seed() const { return seed_; }
  const std::string& base_url() const { return base_url_; }
  const Customer* find_customer(const std::string& id) const;
  // The emulator's "now" in unix seconds: the real clock plus the seed's offset.
  int64_t now_s() const;

  nlohmann::json state_json() const;

 private:
  const Seed seed_;
  const std::string base_url_;
  std::map<std::string, size_t> index_;  // customer id -> position in seed_.customers
};

}  // namespace trendmicro_emu
