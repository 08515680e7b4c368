// HTTP side of the Datto RMM emulator.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <string>

#include "state.hpp"

namespace rmm_emu {

// The API proper (/api/...); 404 for anything else.
void route_api(State& state, const httplib::Request& req, httplib::Response& res);

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// The spec's ErrorResponse {timestamp, status, error (reason phrase), path}.
void send_error(httplib::Response& res, int status, const std::string& path);

}  // namespace rmm_emu
