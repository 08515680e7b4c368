// The Trend Micro flavour of the emulators' shared front (fault injection, request log, control
// endpoints: ../common/fault_control.hpp) around the emulated API (routes.cpp).
#include "routes.hpp"

namespace trendmicro_emu {

std::shared_ptr<emulator_kit::FaultControl> install_routes(httplib::Server& server, State& state) {
  emulator_kit::ApiFlavour flavour;
  // x-access-token is a credential: it is checked, never logged.
  flavour.logged_headers = {"x-posix-time", "x-signature", "x-traceid",
                            "content-type", "User-Agent",  "Accept"};
  flavour.send_error = [](httplib::Response& res, int status, const std::string& name,
                          const std::string& message) { send_error(res, status, name, message); };
  flavour.malformed_fallback = "{\"customers\":[{\"id\":";
  flavour.state = [&state] { return state.state_json(); };
  flavour.route_api = [&state](const httplib::Request& req, httplib::Response& res) {
    route_api(state, req, res);
  };
  auto control = std::make_shared<emulator_kit::FaultControl>(std::move(flavour));
  control->install(server);
  return control;
}

}  // namespace trendmicro_emu
