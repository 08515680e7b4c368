// Catch-all dispatch: the /_emulator control endpoints, fault injection, the request log, then
// the emulated API (api.cpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "routes.hpp"

namespace cw_emu {

namespace {

bool is_loopback(const std::string& addr) {
  return addr.rfind("127.", 0) == 0 || addr == "::1" || addr.rfind("::ffff:127.", 0) == 0;
}

int port_of(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  return -1;
}

// cpp-httplib 0.11 gives handlers no access to the socket, and any status it is handed is still
// written out. To drop a connection for real, find the accepted socket whose local and peer ports
// are the request's and shut it down: the client sees the connection closed with no answer, and
// httplib's own write then fails and it closes (it still owns the descriptor).
bool drop_connection(const httplib::Request& req) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  const int max_fd = lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > 65536
                         ? 65536
                         : static_cast<int>(lim.rlim_cur);
  for (int fd = 0; fd < max_fd; ++fd) {
    sockaddr_storage local{}, peer{};
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;
    if (port_of(local) == req.local_port && port_of(peer) == req.remote_port) {
      shutdown(fd, SHUT_RDWR);
      return true;
    }
  }
  return false;
}

nlohmann::json log_entry(const httplib::Request& req) {
  nlohmann::json query = nlohmann::json::object();
  for (const auto& [k, v] : req.params) query[k] = v;
  nlohmann::json headers = nlohmann::json::object();
  for (const char* h :
       {"Authorization", "clientId", "Content-Type", "User-Agent", "Accept", "pagination-type"}) {
    if (!req.has_header(h)) continue;
    std::string v = req.get_header_value(h);
    if (std::string(h) == "Authorization") {
      const auto space = v.find(' ');
      v = (space == std::string::npos ? std::string() : v.substr(0, space + 1)) + "REDACTED";
    }
    headers[h] = v;
  }
  return {{"method", req.method}, {"path", req.path}, {"query", query}, {"headers", headers}};
}

void control(State& st, const httplib::Request& req, httplib::Response& res) {
  if (!is_loopback(req.remote_addr))
    return send_error(res, 403, "Forbidden", "Control endpoints are loopback-only");
  const std::string& p = req.path;
  if (p == "/_emulator/requests" && req.method == "GET") return send_json(res, 200, st.log_json());
  if (p == "/_emulator/requests" && req.method == "DELETE") {
    st.clear_log();
    return send_json(res, 200, {{"cleared", true}});
  }
  if (p == "/_emulator/state" && req.method == "GET") return send_json(res, 200, st.state_json());
  if (p == "/_emulator/faults" && req.method == "GET") return send_json(res, 200, st.faults_json());
  if (p == "/_emulator/faults" && req.method == "DELETE") {
    st.clear_faults();
    return send_json(res, 200, {{"cleared", true}});
  }
  if (p == "/_emulator/faults" && req.method == "POST") {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (!j.is_object() || !j.contains("kind"))
      return send_error(res, 400, "BadRequest", "Body must be a JSON object with kind");
    Fault f;
    try {
      f.path_prefix = j.value("path_prefix", "/");
      f.kind = j["kind"].is_number() ? std::to_string(j["kind"].get<int>())
                                     : j["kind"].get<std::string>();
      f.remaining = j.value("count", 1);
      f.retry_after = j.value("retry_after", 1);
      f.delay_ms = j.value("delay_ms", 1000);
    } catch (const nlohmann::json::exception& e) {
      return send_error(res, 400, "BadRequest", e.what());
    }
    if (f.kind != "429" && f.kind != "500" && f.kind != "slow" && f.kind != "malformed" &&
        f.kind != "drop")
      return send_error(res, 400, "BadRequest", "kind must be 429, 500, slow, malformed or drop");
    if (f.remaining < 1 || f.delay_ms < 0 || f.retry_after < 0)
      return send_error(res, 400, "BadRequest", "count >= 1, delay_ms and retry_after >= 0");
    st.add_fault(f);
    return send_json(res, 201, st.faults_json());
  }
  send_error(res, 404, "NotFound", "No such control endpoint: " + req.method + " " + p);
}

void dispatch(State& st, const httplib::Request& req, httplib::Response& res) {
  if (req.path.rfind("/_emulator/", 0) == 0) return control(st, req, res);
  nlohmann::json entry = log_entry(req);
  auto fault = st.take_fault(req.path);
  bool malformed = false;
  if (fault) {
    entry["fault"] = fault->kind;
    if (fault->kind == "429") {
      send_error(res, 429, "TooManyRequests", "Rate limit exceeded");
      res.set_header("Retry-After", std::to_string(fault->retry_after));
    } else if (fault->kind == "500") {
      send_error(res, 500, "InternalServerError", "Unexpected error");
    } else if (fault->kind == "drop") {
      entry["status"] = nullptr;
      entry["dropped"] = drop_connection(req);
      st.log_request(std::move(entry));
      res.status = 500;
      res.set_header("Connection", "close");
      return;
    } else if (fault->kind == "slow") {
      std::this_thread::sleep_for(std::chrono::milliseconds(fault->delay_ms));
    } else if (fault->kind == "malformed") {
      malformed = true;
    }
  }
  if (!fault || fault->kind == "slow" || fault->kind == "malformed") route_api(st, req, res);
  if (malformed) {
    std::string body =
        res.body.size() >= 4 ? res.body.substr(0, res.body.size() / 2) : std::string("[{\"id\":");
    res.status = 200;
    res.set_content(body, "application/json");
  }
  entry["status"] = res.status;
  st.log_request(std::move(entry));
}

}  // namespace

void install_routes(httplib::Server& server, State& state) {
  auto handler = [&state](const httplib::Request& req, httplib::Response& res) {
    dispatch(state, req, res);
  };
  server.Get(".*", handler);
  server.Post(".*", handler);
  server.Put(".*", handler);
  server.Patch(".*", handler);
  server.Delete(".*", handler);
  server.Options(".*", handler);
}

}  // namespace cw_emu
