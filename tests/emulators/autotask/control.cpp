// The Autotask flavour of the emulators' shared front (fault injection, request log, control
// endpoints: ../common/fault_control.hpp) around the emulated API (api.cpp).
#include "routes.hpp"

namespace at_emu {

std::shared_ptr<emulator_kit::FaultControl> install_routes(httplib::Server& server, State& state) {
  emulator_kit::ApiFlavour flavour;
  // Never Secret.
  flavour.logged_headers = {"ApiIntegrationCode", "UserName",   "ImpersonationResourceId",
                            "Content-Type",       "User-Agent", "Accept"};
  flavour.send_error = [](httplib::Response& res, int status, const std::string&,
                          const std::string& message) { send_errors(res, status, message); };
  flavour.malformed_fallback = "{\"items\":[{\"id\":";
  flavour.state = [&state] { return state.state_json(); };
  flavour.route_api = [&state](const httplib::Request& req, httplib::Response& res) {
    route_api(state, req, res);
  };
  auto control = std::make_shared<emulator_kit::FaultControl>(std::move(flavour));
  control->install(server);
  return control;
}

}  // namespace at_emu
