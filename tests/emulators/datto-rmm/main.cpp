// emulator-datto-rmm: a Datto RMM API v2 emulator for tests. See README.md.
//   emulator-datto-rmm --listen 127.0.0.1:0 --seed seed.json [--tls-cert C --tls-key K]
// Prints its base URL as the first stdout line, serves until SIGTERM/SIGINT, exits 0.
#include <memory>
#include <string>
#include <utility>

#include "api.hpp"
#include "emulator_main.hpp"
#include "fault_control.hpp"
#include "state.hpp"

int main(int argc, char** argv) {
  return emulator_kit::run(
      argc, argv, "emulator-datto-rmm",
      [](httplib::Server& server, const std::string& seed_file,
         const std::string& base) -> std::shared_ptr<void> {
        auto state = std::make_shared<rmm_emu::State>(rmm_emu::load_seed_file(seed_file), base);
        emulator_kit::ApiFlavour flavour;
        flavour.logged_headers = {"Authorization", "Content-Type",
                                  "Accept"};  // redacted by the kit
        flavour.post_query_raw_only = true;   // the token request's form holds the API secret
        flavour.send_error = [](httplib::Response& res, int status, const std::string&,
                                const std::string&) { rmm_emu::send_error(res, status, ""); };
        flavour.malformed_fallback = "{\"pageDetails\":";
        flavour.state = [state] { return state->state_json(); };
        flavour.route_api = [state](const httplib::Request& req, httplib::Response& res) {
          rmm_emu::route_api(*state, req, res);
        };
        auto control = std::make_shared<emulator_kit::FaultControl>(std::move(flavour));
        control->install(server);
        return std::make_shared<std::pair<decltype(state), decltype(control)>>(state, control);
      });
}
