#include "state.hpp"

#include <ctime>
#include <fstream>
#include <random>
#include <set>
#include <stdexcept>

namespace sophos_emu {

namespace {

std::mutex rng_mutex;

std::string required_string(const nlohmann::json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_string() ||
      obj[key].get<std::string>().empty())
    throw std::runtime_error(where + ": \"" + key + "\" must be a non-empty string");
  return obj[key].get<std::string>();
}

std::string optional_string(const nlohmann::json& obj, const char* key, const std::string& dflt) {
  if (obj.contains(key) && obj[key].is_string()) return obj[key].get<std::string>();
  return dflt;
}

const std::set<std::string> kRegions = {"us01", "us03", "eu01", "eu02", "ca01",
                                        "au01", "jp01", "br01", "in01"};

bool valid_month_key(const std::string& k) {
  if (k.size() != 7 || k[4] != '-') return false;
  for (std::size_t i = 0; i < k.size(); ++i)
    if (i != 4 && (k[i] < '0' || k[i] > '9')) return false;
  int month = std::stoi(k.substr(5));
  return month >= 1 && month <= 12;
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::lock_guard<std::mutex> lock(rng_mutex);
  std::string out;
  out.reserve(bytes * 2);
  for (std::size_t i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rng() & 0xffU);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xfU]);
  }
  return out;
}

std::string new_uuid() {
  std::string h = random_hex(16);
  h[12] = '4';
  h[16] = "89ab"[std::stoi(h.substr(16, 1), nullptr, 16) & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string now_iso8601() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms.count()));
  return out;
}

Seed parse_seed(const nlohmann::json& j) {
  if (!j.is_object()) throw std::runtime_error("seed: top level must be an object");
  Seed s;
  const auto& partner = j.value("partner", nlohmann::json::object());
  s.partner_id = required_string(partner, "id", "seed.partner");
  s.partner_name = optional_string(partner, "name", "Partner");
  const auto& creds = j.value("credentials", nlohmann::json::object());
  s.client_id = required_string(creds, "client_id", "seed.credentials");
  s.client_secret = required_string(creds, "client_secret", "seed.credentials");
  s.token_ttl_seconds = j.value("token_ttl_seconds", 3600);
  s.max_page_size = j.value("max_page_size", 100);
  if (s.token_ttl_seconds < 1) throw std::runtime_error("seed: token_ttl_seconds must be >= 1");
  if (s.max_page_size < 1) throw std::runtime_error("seed: max_page_size must be >= 1");

  std::set<std::string> tenant_ids;
  for (const auto& t : j.value("tenants", nlohmann::json::array())) {
    Tenant tenant;
    tenant.id = required_string(t, "id", "seed.tenants[]");
    const std::string where = "seed.tenants[" + tenant.id + "]";
    tenant.name = required_string(t, "name", where);
    tenant.show_as = optional_string(t, "showAs", tenant.name);
    tenant.data_region = required_string(t, "dataRegion", where);
    if (!kRegions.count(tenant.data_region))
      throw std::runtime_error(where + ": unknown dataRegion \"" + tenant.data_region + "\"");
    tenant.data_geography = optional_string(
        t, "dataGeography",
        tenant.data_region.substr(0, 2) == "eu" ? "DE" : tenant.data_region.substr(0, 2));
    for (auto& c : tenant.data_geography) c = static_cast<char>(std::toupper(c));
    tenant.billing_type = optional_string(t, "billingType", "usage");
    tenant.organization_id = optional_string(t, "organizationId", "");
    if (t.contains("licenses")) {
      if (!t["licenses"].is_array())
        throw std::runtime_error(where + ": licenses must be an array");
      tenant.licenses = t["licenses"];
    }
    if (!tenant_ids.insert(tenant.id).second)
      throw std::runtime_error(where + ": duplicate tenant id");
    s.tenants.push_back(std::move(tenant));
  }

  const auto& usage = j.value("usage", nlohmann::json::object());
  if (!usage.is_object()) throw std::runtime_error("seed.usage must be an object");
  for (const auto& [month, items] : usage.items()) {
    if (!valid_month_key(month))
      throw std::runtime_error("seed.usage: key \"" + month + "\" is not YYYY-MM");
    if (!items.is_array()) throw std::runtime_error("seed.usage." + month + " must be an array");
    nlohmann::json filled = nlohmann::json::array();
    for (auto item : items) {
      const std::string where = "seed.usage." + month + "[]";
      const std::string account = required_string(item, "accountId", where);
      if (!tenant_ids.count(account))
        throw std::runtime_error(where + ": accountId " + account + " is not a seeded tenant");
      required_string(item, "sku", where);
      if (!item.contains("billableQuantity") || !item["billableQuantity"].is_number_integer())
        throw std::runtime_error(where + ": billableQuantity must be an integer");
      if (!item.contains("partnerAccountId")) item["partnerAccountId"] = s.partner_id;
      if (!item.contains("partnerAccountName")) item["partnerAccountName"] = s.partner_name;
      if (!item.contains("accountStatus")) item["accountStatus"] = "active";
      if (!item.contains("actualQuantity")) item["actualQuantity"] = item["billableQuantity"];
      filled.push_back(std::move(item));
    }
    s.usage[month] = std::move(filled);
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

State::State(Seed seed, std::string base_url)
    : seed_(std::move(seed)), base_url_(std::move(base_url)) {}

const Tenant* State::find_tenant(const std::string& id) const {
  for (const auto& t : seed_.tenants)
    if (t.id == id) return &t;
  return nullptr;
}

State::Issued State::issue_token() {
  Issued out{"mbemu." + random_hex(32), random_hex(24)};
  std::lock_guard<std::mutex> lock(mutex_);
  access_tokens_[out.access_token] =
      std::chrono::steady_clock::now() + std::chrono::seconds(seed_.token_ttl_seconds);
  refresh_tokens_[out.refresh_token] = true;
  return out;
}

bool State::refresh_token_known(const std::string& refresh_token) {
  std::lock_guard<std::mutex> lock(mutex_);
  return refresh_tokens_.count(refresh_token) > 0;
}

State::TokenCheck State::check_token(const std::string& access_token) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = access_tokens_.find(access_token);
  if (it == access_tokens_.end()) return TokenCheck::unknown;
  if (std::chrono::steady_clock::now() >= it->second) return TokenCheck::expired;
  return TokenCheck::ok;
}

nlohmann::json State::state_json() {
  nlohmann::json tenants = nlohmann::json::array();
  for (const auto& t : seed_.tenants)
    tenants.push_back({{"id", t.id},
                       {"name", t.name},
                       {"dataRegion", t.data_region},
                       {"billingType", t.billing_type},
                       {"licenses", t.licenses.size()}});
  nlohmann::json usage = nlohmann::json::object();
  for (const auto& [month, items] : seed_.usage) usage[month] = items.size();
  nlohmann::json out = {{"base_url", base_url_},
                        {"partner", {{"id", seed_.partner_id}, {"name", seed_.partner_name}}},
                        {"client_id", seed_.client_id},
                        {"token_ttl_seconds", seed_.token_ttl_seconds},
                        {"max_page_size", seed_.max_page_size},
                        {"tenants", tenants},
                        {"usage_items", usage}};
  std::lock_guard<std::mutex> lock(mutex_);
  out["access_tokens_issued"] = access_tokens_.size();
  return out;  // the fault control adds faults and requests_logged
}

}  // namespace sophos_emu
