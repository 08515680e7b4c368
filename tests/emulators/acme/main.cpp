// emulator-acme: the API of "Acme", the fictitious vendor of the SDK's reference plugin
// (sdk/examples/acme_source.cpp), so that the example runs against real HTTP on loopback.
//   emulator-acme --listen 127.0.0.1:0 --seed seed.json [--tls-cert C --tls-key K]
//
// The API (all of it):
//   GET /v1/clients?page=N   header X-Api-Key: <key>. N >= 1, default 1. Answers
//     {"clients": [{"id", "name", "seats"}], "page": N, "total_pages": T, "total": C}
//     with `page_size` clients per page (a page past the end has no clients).
//   Errors: {"error": "<text>"} with 401 (key missing or wrong), 400 (page not a positive
//   integer), 404 (any other path), 405 (any other method). Faults (429 with Retry-After, 500,
//   malformed, drop) and the request log come from the emulators' shared kit (/_emulator/...).
//
// Seed: {"api_key": "...", "page_size": 2, "clients": [{"id", "name", "seats"}]}.
#include <fstream>
#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "emulator_main.hpp"
#include "fault_control.hpp"

namespace {

using nlohmann::json;

struct Acme {
  std::string api_key;
  int64_t page_size = 2;
  json clients = json::array();
};

Acme load_seed(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read seed " + file);
  json seed = json::parse(in);
  Acme a;
  a.api_key = seed.at("api_key").get<std::string>();
  a.page_size = seed.value("page_size", int64_t{2});
  a.clients = seed.at("clients");
  if (a.api_key.empty() || a.page_size < 1 || !a.clients.is_array())
    throw std::runtime_error(file + ": api_key, page_size >= 1 and a clients array are required");
  return a;
}

void send(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void route(const Acme& acme, const httplib::Request& req, httplib::Response& res) {
  if (req.path != "/v1/clients") return send(res, 404, {{"error", "no such resource"}});
  if (req.method != "GET") return send(res, 405, {{"error", "method not allowed"}});
  if (req.get_header_value("X-Api-Key") != acme.api_key)
    return send(res, 401, {{"error", "invalid api key"}});
  int64_t page = 1;
  if (req.has_param("page")) {
    const std::string text = req.get_param_value("page");
    try {
      size_t used = 0;
      page = std::stoll(text, &used);
      if (used != text.size()) page = 0;
    } catch (const std::exception&) {
      page = 0;
    }
    if (page < 1) return send(res, 400, {{"error", "page must be a positive integer"}});
  }
  const auto total = static_cast<int64_t>(acme.clients.size());
  const int64_t pages = std::max<int64_t>(1, (total + acme.page_size - 1) / acme.page_size);
  json slice = json::array();
  for (int64_t i = (page - 1) * acme.page_size; i < std::min(total, page * acme.page_size); ++i)
    slice.push_back(acme.clients[static_cast<size_t>(i)]);
  send(res, 200, {{"clients", slice}, {"page", page}, {"total_pages", pages}, {"total", total}});
}

}  // namespace

int main(int argc, char** argv) {
  return emulator_kit::run(
      argc, argv, "emulator-acme",
      [](httplib::Server& server, const std::string& seed_file,
         const std::string&) -> std::shared_ptr<void> {
        auto acme = std::make_shared<Acme>(load_seed(seed_file));
        emulator_kit::ApiFlavour flavour;
        flavour.logged_headers = {"Accept", "User-Agent"};  // never X-Api-Key
        flavour.send_error = [](httplib::Response& res, int status, const std::string&,
                                const std::string& message) {
          send(res, status, {{"error", message}});
        };
        flavour.state = [acme] { return json{{"clients", acme->clients.size()}}; };
        flavour.route_api = [acme](const httplib::Request& req, httplib::Response& res) {
          route(*acme, req, res);
        };
        auto control = std::make_shared<emulator_kit::FaultControl>(std::move(flavour));
        control->install(server);
        return std::make_shared<std::pair<std::shared_ptr<Acme>, decltype(control)>>(acme, control);
      });
}
