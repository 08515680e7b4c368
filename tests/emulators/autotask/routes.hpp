// HTTP side of the Autotask PSA emulator.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "fault_control.hpp"

#include "state.hpp"

namespace at_emu {

// Registers the catch-all handlers: control endpoints, fault injection, the emulated API. The
// returned control (pending faults, request log) must live while the server serves.
std::shared_ptr<emulator_kit::FaultControl> install_routes(httplib::Server& server, State& state);

// The API proper (/atservicesrest/v1.0/..., any case); 404 for anything else.
void route_api(State& state, const httplib::Request& req, httplib::Response& res);

// Entity reads and queries under /atservicesrest/v1.0/{Entity}/... (entities.cpp); seg is the
// path after v1.0, lower-cased.
void route_entities(State& state, const httplib::Request& req, httplib::Response& res,
                    const std::vector<std::string>& seg);

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// Autotask's error body {"errors": [message]}.
void send_errors(httplib::Response& res, int status, const std::string& message);
// ASP.NET's 405 {"Message": "The requested resource does not support http method 'X'."}.
void send_405(httplib::Response& res, const std::string& method);

}  // namespace at_emu
