// The Sophos flavour of the emulators' shared front (fault injection, request log, control
// endpoints: ../common/fault_control.hpp) around the emulated API (routes.cpp).
#include "routes.hpp"

namespace sophos_emu {

std::shared_ptr<emulator_kit::FaultControl> install_routes(httplib::Server& server, State& state) {
  emulator_kit::ApiFlavour flavour;
  flavour.logged_headers = {"Authorization", "X-Partner-ID", "X-Tenant-ID", "X-Organization-ID",
                            "Content-Type",  "User-Agent",   "Accept"};
  // A form-encoded token request puts its fields (client_secret!) in params too.
  flavour.post_query_raw_only = true;
  flavour.send_error = [](httplib::Response& res, int status, const std::string& name,
                          const std::string& message) {
    // Sophos' `code` is the error name in lower camel case ("tooManyRequests").
    std::string code = name;
    if (!code.empty())
      code[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(code[0])));
    send_error(res, status, name, message, code);
  };
  flavour.malformed_fallback = "{\"items\":[{\"id\":";
  flavour.state = [&state] { return state.state_json(); };
  flavour.route_api = [&state](const httplib::Request& req, httplib::Response& res) {
    route_api(state, req, res);
  };
  auto control = std::make_shared<emulator_kit::FaultControl>(std::move(flavour));
  control->install(server);
  return control;
}

}  // namespace sophos_emu
