// HTTP side of the Trend Micro Remote Manager emulator.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "fault_control.hpp"

#include "state.hpp"

namespace trendmicro_emu {

// Registers the catch-all handlers: control endpoints, fault injection, the emulated API. The
// returned control (pending faults, request log) must live while the server serves.
std::shared_ptr<emulator_kit::FaultControl> install_routes(httplib::Server& server, State& state);

// The API proper (SMPI customers, usage, detections; LMPI subscriptions), every call checked for
// the headers and signature first; 404 for anything else.
void route_api(const State& state, const httplib::Request& req, httplib::Response& res);

// The documented error body: {"error_subject": "...", "error_message": "..."}.
void send_error(httplib::Response& res, int status, const std::string& subject,
                const std::string& message);
void send_json(httplib::Response& res, int status, const nlohmann::json& body);

}  // namespace trendmicro_emu
