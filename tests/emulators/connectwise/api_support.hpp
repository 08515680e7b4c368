// Helpers every resource of the ConnectWise emulator shares (collections.cpp): listing with
// conditions, orderBy and Link paging, /count, one item by id, JSON bodies and CW's error bodies.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "records.hpp"
#include "routes.hpp"
#include "state.hpp"

namespace cw_emu {

std::vector<std::string> split_path(const std::string& p);
// A non-empty run of at most 12 decimal digits.
bool parse_int(const std::string& s, long long& out);

// 400 InvalidObject "<resource> object is invalid" with one errors[] entry naming the field.
void send_invalid(httplib::Response& res, const FieldError& e, const std::string& resource);

// A paged listing of items honouring conditions, orderBy, page and pageSize.
void list(const httplib::Request& req, httplib::Response& res, const State& st,
          const nlohmann::json& items);
void count(const httplib::Request& req, httplib::Response& res, const nlohmann::json& items);

// GET list / count / one item: handles rest = [] / [count] / [id]. Returns false when the
// request is not one of those (another method, a deeper path).
bool read_collection(const httplib::Request& req, httplib::Response& res, const State& st,
                     const nlohmann::json& items, const std::vector<std::string>& rest,
                     const std::string& what);

// Parses a JSON body; answers 415/400 and returns false when it is not usable.
bool json_body(const httplib::Request& req, httplib::Response& res, nlohmann::json& out);

// Sets _info {lastUpdated, updatedBy} as ConnectWise does on every write.
void stamp(nlohmann::json& o);

// 404 NotFound "No route for METHOD PATH".
void no_route(const httplib::Request& req, httplib::Response& res);

}  // namespace cw_emu
