// emulator-datto: the Datto BCDR and SaaS Protection partner API (https://api.datto.com/v1) for
// tests; README.md describes the routes, the errors and the seed.
//   emulator-datto --listen 127.0.0.1:0 --seed seed.json [--tls-cert C --tls-key K]
// It follows the research facts, not the plugin's convenience: wrong Basic credentials are 401,
// bad paging parameters 400, unknown paths 404.
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "emulator_main.hpp"
#include "fault_control.hpp"

namespace {

using nlohmann::json;

struct Datto {
  std::string authorization;  // the exact Authorization value the seeded key pair makes
  int64_t max_per_page = 100;
  json devices = json::array();        // as served, without "agents"
  std::map<std::string, json> agents;  // serialNumber -> agents
  json domains = json::array();
};

std::string base64(const std::string& data) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const auto n = (static_cast<uint32_t>(static_cast<unsigned char>(data[i])) << 16) |
                   (static_cast<uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8) |
                   static_cast<unsigned char>(data[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += abc[(n >> shift) & 63];
  }
  if (i < data.size()) {
    const bool two = i + 1 < data.size();
    const auto n = (static_cast<uint32_t>(static_cast<unsigned char>(data[i])) << 16) |
                   (two ? static_cast<uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8 : 0);
    out += abc[(n >> 18) & 63];
    out += abc[(n >> 12) & 63];
    out += two ? abc[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Datto load_seed(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read seed " + file);
  json seed = json::parse(in);
  Datto d;
  const std::string pub = seed.at("credentials").at("public_key");
  const std::string secret = seed.at("credentials").at("secret_key");
  if (pub.empty() || secret.empty()) throw std::runtime_error(file + ": empty credentials");
  d.authorization = "Basic " + base64(pub + ":" + secret);
  d.max_per_page = seed.value("max_per_page", int64_t{100});
  if (d.max_per_page < 1) throw std::runtime_error(file + ": max_per_page must be >= 1");
  for (json device : seed.value("devices", json::array())) {
    const std::string serial = device.at("serialNumber");
    if (d.agents.count(serial) != 0) throw std::runtime_error(file + ": serial twice: " + serial);
    d.agents[serial] = device.value("agents", json::array());
    device.erase("agents");
    if (!device.contains("hidden")) device["hidden"] = false;
    d.devices.push_back(std::move(device));
  }
  d.domains = seed.value("domains", json::array());
  if (!d.domains.is_array()) throw std::runtime_error(file + ": domains must be an array");
  return d;
}

void send(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

// Datto's error body, {code, message} (api-notes: shape seen in a client, not confirmed).
void send_error(httplib::Response& res, int status, const std::string& message) {
  send(res, status, {{"code", status}, {"message", message}});
}

// A query parameter that must be an integer in [low, high]; nullopt (and a 400) when not.
std::optional<int64_t> int_param(const httplib::Request& req, httplib::Response& res,
                                 const char* name, int64_t fallback, int64_t low, int64_t high) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  int64_t value = low - 1;
  try {
    size_t used = 0;
    value = std::stoll(text, &used);
    if (used != text.size()) value = low - 1;
  } catch (const std::exception&) {
  }
  if (value < low || value > high) {
    send_error(res, 400,
               std::string(name) + " must be an integer from " + std::to_string(low) + " to " +
                   std::to_string(high));
    return std::nullopt;
  }
  return value;
}

void list_devices(const Datto& d, const httplib::Request& req, httplib::Response& res) {
  auto page = int_param(req, res, "_page", 1, 1, INT64_MAX);
  if (!page) return;
  auto per_page = int_param(req, res, "_perPage", 100, 1, d.max_per_page);
  if (!per_page) return;
  auto hidden = int_param(req, res, "showHiddenDevices", 1, 0, 1);
  if (!hidden) return;
  // Accepted like the real API; the emulator has no child resellers.
  if (!int_param(req, res, "showChildResellerDevices", 1, 0, 1)) return;
  json visible = json::array();
  for (const json& device : d.devices) {
    if (*hidden == 1 || !device["hidden"].get<bool>()) visible.push_back(device);
  }
  const auto count = static_cast<int64_t>(visible.size());
  const int64_t pages = (count + *per_page - 1) / *per_page;
  json items = json::array();
  for (int64_t i = (*page - 1) * *per_page; i < std::min(count, *page * *per_page); ++i)
    items.push_back(visible[static_cast<size_t>(i)]);
  send(res, 200,
       {{"pagination",
         {{"page", *page}, {"perPage", *per_page}, {"totalPages", pages}, {"count", count}}},
        {"items", items}});
}

const json* find_device(const Datto& d, const std::string& serial) {
  for (const json& device : d.devices) {
    if (device["serialNumber"] == serial) return &device;
  }
  return nullptr;
}

void route(const Datto& d, const httplib::Request& req, httplib::Response& res) {
  const std::string& p = req.path;
  if (p.rfind("/v1/", 0) != 0) return send_error(res, 404, "Not Found");
  if (req.get_header_value("Authorization") != d.authorization)
    return send_error(res, 401, "Invalid credentials");
  if (req.method != "GET") return send_error(res, 405, "Method Not Allowed");
  if (p == "/v1/bcdr/device") return list_devices(d, req, res);
  if (p == "/v1/saas/domains") return send(res, 200, d.domains);
  const std::string prefix = "/v1/bcdr/device/";
  if (p.rfind(prefix, 0) == 0) {
    std::string rest = p.substr(prefix.size());
    const std::string agent_suffix = "/asset/agent";
    const bool agents =
        rest.size() > agent_suffix.size() &&
        rest.compare(rest.size() - agent_suffix.size(), std::string::npos, agent_suffix) == 0;
    if (agents) rest.resize(rest.size() - agent_suffix.size());
    if (rest.find('/') == std::string::npos && !rest.empty()) {
      const json* device = find_device(d, rest);
      if (device == nullptr) return send_error(res, 404, "Device not found");
      return send(res, 200, agents ? d.agents.at(rest) : *device);
    }
  }
  send_error(res, 404, "Not Found");
}

}  // namespace

int main(int argc, char** argv) {
  return emulator_kit::run(
      argc, argv, "emulator-datto",
      [](httplib::Server& server, const std::string& seed_file,
         const std::string&) -> std::shared_ptr<void> {
        auto datto = std::make_shared<Datto>(load_seed(seed_file));
        emulator_kit::ApiFlavour flavour;
        flavour.logged_headers = {"Authorization", "Accept", "User-Agent"};  // value redacted
        flavour.send_error = [](httplib::Response& res, int status, const std::string&,
                                const std::string& message) { send_error(res, status, message); };
        flavour.state = [datto] {
          return json{{"devices", datto->devices.size()},
                      {"domains", datto->domains.size()},
                      {"max_per_page", datto->max_per_page}};
        };
        flavour.route_api = [datto](const httplib::Request& req, httplib::Response& res) {
          route(*datto, req, res);
        };
        auto control = std::make_shared<emulator_kit::FaultControl>(std::move(flavour));
        control->install(server);
        return std::make_shared<std::pair<std::shared_ptr<Datto>, decltype(control)>>(datto,
                                                                                      control);
      });
}
