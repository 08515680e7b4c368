// In-memory state of the Datto RMM emulator: the account, its API users, sites and devices,
// custom filters, issued tokens and the account's rolling rate limit. Faults and the request
// log live in the shared fault control (../common/fault_control.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace rmm_emu {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// What the rate limit says about one request.
enum class Rate { kOk, kDelayed, kRefused };

class State {
 public:
  // Validates the seed; throws std::runtime_error with a readable message.
  State(const json& seed, std::string base_url);

  const std::string& base_url() const { return base_url_; }
  const json& account() const { return account_; }
  const json& sites() const { return sites_; }      // Site objects, devices apart
  const json& devices() const { return devices_; }  // every Device, siteUid set
  const json& filters() const { return filters_; }  // Filter objects
  // Device uids of a custom filter; nullptr when there is no filter with that id.
  const json* filter_devices(int64_t id) const;
  int64_t pagination_max() const { return pagination_max_; }

  bool valid_user(const std::string& key, const std::string& secret) const;
  // A new token, valid for the seeded lifetime; answers the token endpoint's body.
  json issue_token();
  bool token_valid(const std::string& token);

  // Counts one API request in the account's sliding window (not when refused).
  Rate count_request();
  json request_rate();
  int64_t delay_ms() const { return delay_ms_; }

  json state_json();

 private:
  void expire(Clock::time_point now);

  const std::string base_url_;
  json account_, sites_ = json::array(), devices_ = json::array(), filters_ = json::array();
  std::map<int64_t, json> filter_devices_;
  json users_;
  int64_t pagination_max_ = 250;
  int64_t lifetime_s_ = 360000, reported_expires_in_ = 360000;
  int64_t limit_ = 600, window_s_ = 60, delay_ms_ = 1000;
  std::mutex mutex_;
  std::map<std::string, Clock::time_point> tokens_;  // token -> expiry
  std::deque<Clock::time_point> window_;
  int64_t tokens_issued_ = 0, refused_ = 0, delayed_ = 0, counted_ = 0;
};

json load_seed_file(const std::string& path);

}  // namespace rmm_emu
