// The emulated Autotask PSA API: zoneInformation, the auth headers, the limits (thread limit,
// hourly threshold, --latency-ms), ThresholdInformation and the create-only adjustments; entity
// reads and queries are in entities.cpp.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>
#include <vector>

#include "records.hpp"
#include "routes.hpp"

namespace at_emu {

namespace {

const std::string kPrefix = "/atservicesrest/v1.0/";

std::vector<std::string> split_lower(const std::string& p) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : p + "/") {
    if (c != '/') {
      cur.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  return out;
}

void zone_information(State& st, const httplib::Request& req, httplib::Response& res) {
  if (req.method != "GET") return send_405(res, req.method);
  const std::string user = req.get_param_value("user");
  const auto& users = st.users();
  if (std::none_of(users.begin(), users.end(),
                   [&](const ApiUser& u) { return u.user_name == user; }))
    return send_errors(res, 404,
                       user.empty() ? "The user parameter is required."
                                    : "No zone information for user " + user + ".");
  send_json(res, 200, st.zone());
}

// Checks ApiIntegrationCode, UserName, Secret and ImpersonationResourceId; answers 401 when one is
// missing or wrong. Returns the integration code (the tracking identifier) or "".
std::string authorized(State& st, const httplib::Request& req, httplib::Response& res) {
  const std::string user = req.get_header_value("UserName");
  const std::string secret = req.get_header_value("Secret");
  const std::string code = req.get_header_value("ApiIntegrationCode");
  if (user.empty() || secret.empty() || code.empty()) {
    send_errors(res, 401, "ApiIntegrationCode, UserName and Secret headers are required.");
    return "";
  }
  const auto& users = st.users();
  const auto it = std::find_if(users.begin(), users.end(), [&](const ApiUser& u) {
    return u.user_name == user && u.secret == secret && u.integration_code == code;
  });
  if (it == users.end()) {
    send_errors(res, 401, "The API user, secret or integration code is not valid.");
    return "";
  }
  if (req.has_header("ImpersonationResourceId")) {
    const std::string r = req.get_header_value("ImpersonationResourceId");
    const auto& ids = st.resources();
    if (std::none_of(ids.begin(), ids.end(),
                     [&](long long id) { return std::to_string(id) == r; })) {
      send_errors(res, 401, "ImpersonationResourceId " + r + " is not a valid resource.");
      return "";
    }
  }
  return code;
}

void adjustments(State& st, const httplib::Request& req, httplib::Response& res,
                 std::optional<long long> contract) {
  if (req.method != "POST") return send_405(res, req.method);
  const auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return send_errors(res, 500, "The request body is not valid JSON.");
  std::lock_guard<std::mutex> lock(st.data_mutex());
  const Created made = create_adjustment(st.data(), body, contract);
  if (!made.error.empty()) return send_errors(res, 500, made.error);
  send_json(res, 200, {{"itemId", made.id}});
}

void answer(State& st, const httplib::Request& req, httplib::Response& res,
            const std::vector<std::string>& seg) {
  if (seg[0] == "thresholdinformation") {
    if (seg.size() != 1) return send_errors(res, 404, "No route for " + req.path);
    if (req.method != "GET") return send_405(res, req.method);
    return send_json(res, 200, st.limits().threshold_info());
  }
  if (seg[0] == "contractserviceadjustments") {
    // Create-only: no query, no GET by id, no update or delete (modules-and-notifications.md 4.1).
    if (seg.size() != 1) return send_405(res, req.method);
    return adjustments(st, req, res, std::nullopt);
  }
  if (seg[0] == "contracts" && seg.size() == 3 && seg[2] == "serviceadjustments") {
    long long id = 0;
    try {
      id = std::stoll(seg[1]);
    } catch (const std::exception&) {
      return send_errors(res, 404, "No route for " + req.path);
    }
    return adjustments(st, req, res, id);
  }
  route_entities(st, req, res, seg);
}

}  // namespace

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

void send_errors(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"errors", nlohmann::json::array({message})}});
}

void send_405(httplib::Response& res, const std::string& method) {
  send_json(res, 405,
            {{"Message", "The requested resource does not support http method '" + method + "'."}});
}

void route_api(State& st, const httplib::Request& req, httplib::Response& res) {
  const auto all = split_lower(req.path);
  if (all.size() < 3 || all[0] != "atservicesrest" || all[1] != "v1.0")
    return send_errors(res, 404, "No route for " + req.method + " " + req.path);
  const std::vector<std::string> seg(all.begin() + 2, all.end());
  const auto latency = std::chrono::milliseconds(st.latency_ms());
  if (seg.size() == 1 && seg[0] == "zoneinformation") {  // no auth, no thread limit
    std::this_thread::sleep_for(latency);
    return zone_information(st, req, res);
  }
  const std::string code = authorized(st, req, res);
  if (code.empty()) return;
  // The thread limit is per tracking identifier and object endpoint (ThreadLimiting page).
  ThreadSlot slot(st.limits(), code, seg[0]);
  if (!slot.held())
    return send_errors(res, 429,
                       "Thread limit exceeded: at most 3 concurrent requests per integration "
                       "code and endpoint (" +
                           seg[0] + ").");
  if (!st.limits().count_request())
    return send_errors(res, 429, "The hourly request threshold of this database has been reached.");
  std::this_thread::sleep_for(latency);
  answer(st, req, res, seg);
}

}  // namespace at_emu
