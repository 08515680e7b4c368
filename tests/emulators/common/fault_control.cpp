// Catch-all dispatch shared by the emulators: the /_emulator control endpoints, fault injection,
// the request log, then the emulator's API.
#include "fault_control.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

namespace emulator_kit {

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

}  // namespace

FaultControl::FaultControl(ApiFlavour flavour) : flavour_(std::move(flavour)) {}

void FaultControl::install(httplib::Server& server) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    dispatch(req, res);
  };
  server.Get(".*", handler);
  server.Post(".*", handler);
  server.Put(".*", handler);
  server.Patch(".*", handler);
  server.Delete(".*", handler);
  server.Options(".*", handler);
}

void FaultControl::send_json(httplib::Response& res, int status, const nlohmann::json& body) const {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

nlohmann::json FaultControl::log_entry(const httplib::Request& req) const {
  nlohmann::json query = nlohmann::json::object();
  if (flavour_.post_query_raw_only && req.method == "POST") {
    const auto q = req.target.find('?');
    if (q != std::string::npos) query["_raw"] = req.target.substr(q + 1);
  } else {
    for (const auto& [k, v] : req.params) query[k] = v;
  }
  nlohmann::json headers = nlohmann::json::object();
  for (const std::string& h : flavour_.logged_headers) {
    if (!req.has_header(h.c_str())) continue;
    std::string v = req.get_header_value(h.c_str());
    if (h == "Authorization") {
      const auto space = v.find(' ');
      v = (space == std::string::npos ? std::string() : v.substr(0, space + 1)) + "REDACTED";
    }
    headers[h] = v;
  }
  // When it arrived, so that a test can see a client wait for Retry-After.
  const auto received_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  return {{"method", req.method},
          {"path", req.path},
          {"query", query},
          {"headers", headers},
          {"received_ms", received_ms}};
}

std::optional<Fault> FaultControl::take_fault(const std::string& method, const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (path.compare(0, it->path_prefix.size(), it->path_prefix) != 0) continue;
    if (!it->method.empty() && it->method != method) continue;
    if (it->skip > 0) {
      --it->skip;
      return std::nullopt;  // this one passes; later faults do not see it either
    }
    Fault f = *it;
    if (--it->remaining <= 0) faults_.erase(it);
    return f;
  }
  return std::nullopt;
}

nlohmann::json FaultControl::faults_json() {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : faults_) {
    out.push_back(
        {{"path_prefix", f.path_prefix},
         {"method", f.method.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.method)},
         {"kind", f.kind},
         {"count", f.remaining},
         {"retry_after", f.retry_after},
         {"delay_ms", f.delay_ms}});
  }
  return out;
}

void FaultControl::control(const httplib::Request& req, httplib::Response& res) {
  if (!is_loopback(req.remote_addr))
    return flavour_.send_error(res, 403, "Forbidden", "Control endpoints are loopback-only");
  const std::string& p = req.path;
  if (p == "/_emulator/requests" && req.method == "GET") {
    std::lock_guard<std::mutex> lock(mutex_);
    return send_json(res, 200, log_);
  }
  if (p == "/_emulator/requests" && req.method == "DELETE") {
    std::lock_guard<std::mutex> lock(mutex_);
    log_ = nlohmann::json::array();
    return send_json(res, 200, {{"cleared", true}});
  }
  if (p == "/_emulator/state" && req.method == "GET") {
    nlohmann::json state = flavour_.state();
    state["faults"] = faults_json();
    std::lock_guard<std::mutex> lock(mutex_);
    state["requests_logged"] = log_.size();
    return send_json(res, 200, state);
  }
  if (p == "/_emulator/faults" && req.method == "GET") return send_json(res, 200, faults_json());
  if (p == "/_emulator/faults" && req.method == "DELETE") {
    std::lock_guard<std::mutex> lock(mutex_);
    faults_.clear();
    return send_json(res, 200, {{"cleared", true}});
  }
  if (p == "/_emulator/faults" && req.method == "POST") {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (!j.is_object() || !j.contains("kind"))
      return flavour_.send_error(res, 400, "BadRequest", "Body must be a JSON object with kind");
    Fault f;
    try {
      f.path_prefix = j.value("path_prefix", "/");
      f.method = j.value("method", "");
      f.kind = j["kind"].is_number() ? std::to_string(j["kind"].get<int>())
                                     : j["kind"].get<std::string>();
      f.skip = j.value("skip", 0);
      f.remaining = j.value("count", 1);
      f.retry_after = j.value("retry_after", 1);
      f.delay_ms = j.value("delay_ms", 1000);
    } catch (const nlohmann::json::exception& e) {
      return flavour_.send_error(res, 400, "BadRequest", e.what());
    }
    if (f.kind != "401" && f.kind != "403" && f.kind != "429" && f.kind != "500" &&
        f.kind != "slow" && f.kind != "malformed" && f.kind != "drop")
      return flavour_.send_error(res, 400, "BadRequest",
                                 "kind must be 401, 403, 429, 500, slow, malformed or drop");
    if (f.remaining < 1 || f.skip < 0 || f.delay_ms < 0 || f.retry_after < 0)
      return flavour_.send_error(res, 400, "BadRequest",
                                 "count >= 1; skip, delay_ms and retry_after >= 0");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      faults_.push_back(f);
    }
    return send_json(res, 201, faults_json());
  }
  flavour_.send_error(res, 404, "NotFound", "No such control endpoint: " + req.method + " " + p);
}

void FaultControl::dispatch(const httplib::Request& req, httplib::Response& res) {
  if (req.path.rfind("/_emulator/", 0) == 0) return control(req, res);
  // Logged on arrival (in_flight, status null), so that a test sees a request still being answered.
  nlohmann::json entry = log_entry(req);
  auto fault = take_fault(req.method, req.path);
  if (fault) entry["fault"] = fault->kind;
  entry["status"] = nullptr;
  entry["in_flight"] = true;
  const int64_t seq = log_arrival(std::move(entry));
  bool malformed = false;
  if (fault) {
    // 401/403: a credential revoked or a permission withdrawn between two calls of one run.
    if (fault->kind == "401") {
      flavour_.send_error(res, 401, "Unauthorized", "Injected fault: credentials refused");
    } else if (fault->kind == "403") {
      flavour_.send_error(res, 403, "Forbidden", "Injected fault: access denied");
    } else if (fault->kind == "429") {
      flavour_.send_error(res, 429, "TooManyRequests", "Rate limit exceeded");
      res.set_header("Retry-After", std::to_string(fault->retry_after));
    } else if (fault->kind == "500") {
      flavour_.send_error(res, 500, "InternalServerError", "Unexpected error");
    } else if (fault->kind == "drop") {
      log_answer(seq, nullptr, drop_connection(req));  // dropped: false if no socket was found
      res.status = 500;
      res.set_header("Connection", "close");
      return;
    } else if (fault->kind == "slow") {
      std::this_thread::sleep_for(std::chrono::milliseconds(fault->delay_ms));
    } else if (fault->kind == "malformed") {
      malformed = true;
    }
  }
  // A slow or malformed answer is the real one, acted on: the write happened even if the client
  // gave up waiting or could not read the answer.
  if (!fault || fault->kind == "slow" || fault->kind == "malformed") flavour_.route_api(req, res);
  if (malformed) {
    std::string body = res.body.size() >= 4 ? res.body.substr(0, res.body.size() / 2)
                                            : flavour_.malformed_fallback;
    res.status = 200;
    res.set_content(body, "application/json");
  }
  log_answer(seq, res.status, false);
}

int64_t FaultControl::log_arrival(nlohmann::json entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t seq = next_seq_++;
  entry["seq"] = seq;
  log_.push_back(std::move(entry));
  return seq;
}

void FaultControl::log_answer(int64_t seq, nlohmann::json status, bool dropped) {
  std::lock_guard<std::mutex> lock(mutex_);
  // From the back: the entry is recent, and may be gone if a test cleared the log meanwhile.
  for (auto it = log_.rbegin(); it != log_.rend(); ++it) {
    if ((*it)["seq"] != seq) continue;
    (*it)["status"] = std::move(status);
    if (dropped) (*it)["dropped"] = true;
    it->erase("in_flight");
    return;
  }
}

}  // namespace emulator_kit
