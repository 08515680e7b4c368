// HTTP side of the ConnectWise PSA emulator.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "fault_control.hpp"

#include "state.hpp"

namespace cw_emu {

// Registers the catch-all handlers: control endpoints, fault injection, the emulated API. The
// returned control (pending faults, request log) must live while the server serves.
std::shared_ptr<emulator_kit::FaultControl> install_routes(httplib::Server& server, State& state);

// The API proper (companyinfo and /v4_6_release/apis/3.0/...); 404 for anything else.
void route_api(State& state, const httplib::Request& req, httplib::Response& res);

// ConnectWise's ErrorResponseMessage {code, message[, errors]}.
void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const nlohmann::json& errors = nullptr);
void send_json(httplib::Response& res, int status, const nlohmann::json& body);

}  // namespace cw_emu
