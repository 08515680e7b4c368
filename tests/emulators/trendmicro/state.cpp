// Seed loading and state of the Trend Micro Remote Manager emulator. See state.hpp.
#include "state.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <stdexcept>

namespace trendmicro_emu {

namespace {

std::string required_string(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string() ||
      j[key].get<std::string>().empty())
    throw std::runtime_error(where + ": \"" + key + "\" must be a non-empty string");
  return j[key].get<std::string>();
}

int64_t count(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.contains(key)) return 0;
  if (!j[key].is_number_integer() || j[key].get<int64_t>() < 0)
    throw std::runtime_error(where + ": \"" + key + "\" must be a non-negative integer");
  return j[key].get<int64_t>();
}

std::vector<DayDetections> parse_detections(const nlohmann::json& list, const std::string& where) {
  static const std::regex kDate("[0-9]{4}-[0-9]{2}-[0-9]{2}");
  std::vector<DayDetections> out;
  if (!list.is_array()) throw std::runtime_error(where + ".detections must be an array");
  for (const auto& d : list) {
    const std::string at = where + ".detections[]";
    DayDetections day;
    day.date = required_string(d, "date", at);
    if (!std::regex_match(day.date, kDate))
      throw std::runtime_error(at + ": date is not YYYY-MM-DD");
    day.product_id = required_string(d, "product_id", at);
    day.spam = count(d, "spam", at);
    day.phishing = count(d, "phishing", at);
    day.malware = count(d, "malware", at);
    day.blocked = count(d, "blocked", at);
    day.total_messages = count(d, "total_messages", at);
    out.push_back(std::move(day));
  }
  return out;
}

Customer parse_customer(const nlohmann::json& c) {
  Customer out;
  out.id = required_string(c, "id", "seed.customers[]");
  const std::string where = "seed.customers[" + out.id + "]";
  out.name = required_string(c, "name", where);
  // The listing object as SMPI documents it; fields the seed leaves out get plain defaults.
  out.listing = {{"id", out.id},
                 {"eid", c.value("eid", out.id)},
                 {"name", out.name},
                 {"seat_count", c.value("seat_count", 0)},
                 {"license_type", c.value("license_type", "1")},
                 {"license_period", c.value("license_period", 12)},
                 {"auto_renewal", c.value("auto_renewal", 1)},
                 {"expire", c.value("expire", "")},
                 {"sp_subscription", c.value("sp_subscription", 1)},
                 {"time_zone", c.value("time_zone", "UTC")}};
  if (c.contains("subscriptions")) out.subscriptions = c["subscriptions"];
  if (!out.subscriptions.is_array())
    throw std::runtime_error(where + ".subscriptions must be an array");
  for (const auto& s : out.subscriptions) {
    required_string(s, "subscription_id", where + ".subscriptions[]");
    if (!s.contains("licenses") || !s["licenses"].is_array())
      throw std::runtime_error(where + ".subscriptions[].licenses must be an array");
    for (const auto& l : s["licenses"]) {
      required_string(l, "ac_code", where + ".subscriptions[].licenses[]");
      required_string(l, "product_id", where + ".subscriptions[].licenses[]");
    }
  }
  if (c.contains("seat_usages")) out.seat_usages = c["seat_usages"];
  if (!out.seat_usages.is_array())
    throw std::runtime_error(where + ".seat_usages must be an array");
  for (const auto& u : out.seat_usages) {
    required_string(u, "activationcode", where + ".seat_usages[]");
    if (!u.contains("used") || !u["used"].is_number_integer())
      throw std::runtime_error(where + ".seat_usages[]: used must be an integer");
  }
  if (c.contains("detections")) out.detections = parse_detections(c["detections"], where);
  return out;
}

}  // namespace

Seed parse_seed(const nlohmann::json& j) {
  if (!j.is_object()) throw std::runtime_error("seed must be a JSON object");
  Seed s;
  const nlohmann::json creds = j.value("credentials", nlohmann::json::object());
  s.access_token = required_string(creds, "access_token", "seed.credentials");
  s.secret_key = required_string(creds, "secret_key", "seed.credentials");
  if (j.contains("clock_offset_seconds")) {
    if (!j["clock_offset_seconds"].is_number_integer())
      throw std::runtime_error("seed.clock_offset_seconds must be an integer");
    s.clock_offset_seconds = j["clock_offset_seconds"].get<int64_t>();
  }
  const nlohmann::json customers = j.value("customers", nlohmann::json::array());
  if (!customers.is_array()) throw std::runtime_error("seed.customers must be an array");
  std::set<std::string> ids;
  for (const auto& c : customers) {
    Customer customer = parse_customer(c);
    if (!ids.insert(customer.id).second)
      throw std::runtime_error("seed.customers[" + customer.id + "]: duplicate id");
    s.customers.push_back(std::move(customer));
  }
  return s;
}

Seed load_seed(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open seed file " + path);
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("seed file " + path + " is not valid JSON: " + e.what());
  }
  return parse_seed(j);
}

std::string new_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t a = rng(), b = rng();
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0x0FFF),
                static_cast<unsigned>(((b >> 48) & 0x3FFF) | 0x8000),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
  return out;
}

State::State(Seed seed, std::string base_url)
    : seed_(std::move(seed)), base_url_(std::move(base_url)) {
  for (size_t i = 0; i < seed_.customers.size(); ++i) index_[seed_.customers[i].id] = i;
}

const Customer* State::find_customer(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &seed_.customers[it->second];
}

int64_t State::now_s() const {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count() +
         seed_.clock_offset_seconds;
}

nlohmann::json State::state_json() const {
  nlohmann::json customers = nlohmann::json::array();
  for (const auto& c : seed_.customers) {
    customers.push_back({{"id", c.id},
                         {"name", c.name},
                         {"subscriptions", c.subscriptions.size()},
                         {"seat_usages", c.seat_usages.size()},
                         {"detection_days", c.detections.size()}});
  }
  return {{"base_url", base_url_},
          {"clock_offset_seconds", seed_.clock_offset_seconds},
          {"customers", customers}};
}

}  // namespace trendmicro_emu
