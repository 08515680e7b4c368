// HTTP side of the Sophos Central emulator.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "fault_control.hpp"

#include "state.hpp"

namespace sophos_emu {

// Registers the catch-all handlers: control endpoints, fault injection, the emulated API. The
// returned control (pending faults, request log) must live while the server serves.
std::shared_ptr<emulator_kit::FaultControl> install_routes(httplib::Server& server, State& state);

// The API proper (token, whoami, tenants, billing usage, licences); 404 for anything else.
void route_api(State& state, const httplib::Request& req, httplib::Response& res);

// Sophos' non-OAuth error body: {error, message, correlationId, code, createdAt, requestId,
// docUrl}.
void send_error(httplib::Response& res, int status, const std::string& error,
                const std::string& message, const std::string& code);
void send_json(httplib::Response& res, int status, const nlohmann::json& body);

}  // namespace sophos_emu
