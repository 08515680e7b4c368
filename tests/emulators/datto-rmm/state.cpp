#include "state.hpp"

#include <fstream>
#include <random>
#include <stdexcept>

namespace rmm_emu {
namespace {

int64_t positive(const json& seed, const char* key, int64_t fallback) {
  const int64_t v = seed.value(key, fallback);
  if (v < 1) throw std::runtime_error(std::string("seed: ") + key + " must be >= 1");
  return v;
}

// The Device fields the spec defines that a seed may leave out.
json complete_device(json d, const json& site, int64_t id) {
  d["id"] = d.value("id", id);
  d["siteId"] = site["id"];
  d["siteUid"] = site["uid"];
  d["siteName"] = site["name"];
  d["hostname"] = d.value("hostname", "HOST-" + std::to_string(id));
  d["deviceClass"] = d.value("deviceClass", "device");
  if (!d.contains("deviceType")) d["deviceType"] = {{"category", "Desktop"}, {"type", "Desktop"}};
  d["operatingSystem"] = d.value("operatingSystem", "");
  d["online"] = d.value("online", true);
  d["suspended"] = d.value("suspended", false);
  d["deleted"] = d.value("deleted", false);
  return d;
}

// Sites and devices made up by number ("generate": {"sites", "devices"}), for load tests: a mix
// of every device class, spread round-robin over the sites.
void generate(json& seed) {
  const json g = seed["generate"];
  const int64_t n_sites = g.value("sites", 0), n_devices = g.value("devices", 0);
  if (n_sites < 1 || n_devices < 0) throw std::runtime_error("seed: generate needs sites >= 1");
  static const json kKinds = json::parse(R"([
    ["device", "Desktop", "Desktop"], ["device", "Laptop", "Laptop"], ["device", "Desktop", "Desktop"],
    ["device", "Server", "Main System Chassis"], ["printer", "Printer", "Printer"],
    ["esxihost", "ESXi Host", "ESXi Host"], ["rmmnetworkdevice", "Network Device", "Router"],
    ["unknown", "Unknown", "Unknown"]])");
  for (int64_t s = 0; s < n_sites; ++s) {
    const std::string n = std::to_string(s + 1);
    seed["sites"].push_back(
        {{"uid", "gen-site-" + n}, {"name", "Generated Site " + n}, {"devices", json::array()}});
  }
  const size_t first = seed["sites"].size() - static_cast<size_t>(n_sites);
  for (int64_t d = 0; d < n_devices; ++d) {
    const json& k = kKinds[static_cast<size_t>(d) % kKinds.size()];
    seed["sites"][first + static_cast<size_t>(d % n_sites)]["devices"].push_back(
        {{"uid", "gen-dev-" + std::to_string(d + 1)},
         {"deviceClass", k[0]},
         {"deviceType", {{"category", k[1]}, {"type", k[2]}}}});
  }
}

}  // namespace

json load_seed_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read seed " + path);
  json seed = json::parse(in, nullptr, false);
  if (seed.is_discarded() || !seed.is_object())
    throw std::runtime_error(path + ": not a JSON object");
  return seed;
}

State::State(const json& seed_in, std::string base_url) : base_url_(std::move(base_url)) {
  json seed = seed_in;
  if (!seed.contains("sites")) seed["sites"] = json::array();
  if (seed.contains("generate")) generate(seed);
  users_ = seed.at("api_users");
  if (!users_.is_array() || users_.empty()) throw std::runtime_error("seed: api_users is required");
  account_ =
      seed.value("account", json{{"id", 1}, {"uid", "acct-emulated"}, {"name", "Emulated MSP"}});
  pagination_max_ = positive(seed, "pagination_max", 250);
  lifetime_s_ = positive(seed, "token_lifetime_seconds", 360000);
  reported_expires_in_ = positive(seed, "token_expires_in", lifetime_s_);
  const json rate = seed.value("rate_limit", json::object());
  limit_ = positive(rate, "limit", 600);
  window_s_ = positive(rate, "window_seconds", 60);
  delay_ms_ = rate.value("delay_ms", int64_t{1000});
  int64_t site_id = 1000, device_id = 100000;
  for (json site : seed["sites"]) {
    if (!site.contains("uid") || !site.contains("name"))
      throw std::runtime_error("seed: a site needs uid and name");
    site["id"] = site.value("id", ++site_id);
    site["accountUid"] = account_.value("uid", "");
    const json devs = site.value("devices", json::array());
    site.erase("devices");
    int64_t online = 0;
    for (const json& d : devs) {
      devices_.push_back(complete_device(d, site, ++device_id));
      online += devices_.back()["online"].get<bool>() ? 1 : 0;
    }
    const auto total = static_cast<int64_t>(devs.size());
    site["devicesStatus"] = {{"numberOfDevices", total},
                             {"numberOfOnlineDevices", online},
                             {"numberOfOfflineDevices", total - online}};
    sites_.push_back(site);
  }
  for (const json& f : seed.value("filters", json::array())) {
    const int64_t id = f.at("id").get<int64_t>();
    filter_devices_[id] = f.value("devices", json::array());
    filters_.push_back({{"id", id},
                        {"name", f.at("name")},
                        {"description", f.value("description", "")},
                        {"type", "custom"}});
  }
}

const json* State::filter_devices(int64_t id) const {
  auto it = filter_devices_.find(id);
  return it == filter_devices_.end() ? nullptr : &it->second;
}

bool State::valid_user(const std::string& key, const std::string& secret) const {
  for (const json& u : users_) {
    if (u.value("api_key", "") == key && u.value("api_secret", "") == secret) return true;
  }
  return false;
}

json State::issue_token() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::string token = "emu-" + std::to_string(rng()) + std::to_string(rng());
  std::lock_guard<std::mutex> lock(mutex_);
  tokens_[token] = Clock::now() + std::chrono::seconds(lifetime_s_);
  ++tokens_issued_;
  return {{"access_token", token},
          {"token_type", "bearer"},
          {"expires_in", reported_expires_in_},
          {"scope", "default"}};
}

bool State::token_valid(const std::string& token) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = tokens_.find(token);
  return it != tokens_.end() && Clock::now() < it->second;
}

void State::expire(Clock::time_point now) {
  while (!window_.empty() && now - window_.front() >= std::chrono::seconds(window_s_))
    window_.pop_front();
}

Rate State::count_request() {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = Clock::now();
  expire(now);
  const auto n = static_cast<int64_t>(window_.size());
  if (n >= limit_) {
    ++refused_;
    return Rate::kRefused;
  }
  window_.push_back(now);
  ++counted_;
  // Datto slows every request down once the window holds 90 % of the limit.
  if (n * 10 >= limit_ * 9) {
    ++delayed_;
    return Rate::kDelayed;
  }
  return Rate::kOk;
}

json State::request_rate() {
  std::lock_guard<std::mutex> lock(mutex_);
  expire(Clock::now());
  return {{"slidingTimeWindowSizeSeconds", window_s_},
          {"accountUid", account_.value("uid", "")},
          {"accountCount", window_.size()},
          {"accountRateLimit", limit_},
          {"accountCutOffRatio", 0.9},
          {"accountWriteRateLimit", 100},
          {"accountWriteCount", 0},
          {"operationWriteStatus", json::object()}};
}

json State::state_json() {
  std::lock_guard<std::mutex> lock(mutex_);
  expire(Clock::now());
  return {{"sites", sites_.size()},
          {"devices", devices_.size()},
          {"filters", filters_.size()},
          {"tokens_issued", tokens_issued_},
          {"rate",
           {{"limit", limit_},
            {"window_seconds", window_s_},
            {"in_window", window_.size()},
            {"counted", counted_},
            {"delayed", delayed_},
            {"refused", refused_}}}};
}

}  // namespace rmm_emu
