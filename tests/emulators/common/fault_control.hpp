// What every API emulator shares in front of its API: the loopback-only /_emulator control
// endpoints (faults, request log, state), fault injection, and the request log. An emulator hands
// in its flavour (which headers to log, how its API spells an error, its routes and its state).
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace emulator_kit {

// One queued fault: of the requests whose path starts with path_prefix (and whose method is
// `method`, when set), the first `skip` pass untouched and the next `remaining` fail as `kind`.
struct Fault {
  std::string path_prefix = "/";
  std::string method;  // "" = any method
  std::string kind;    // "401", "403", "429", "500", "slow", "malformed", "drop"
  int skip = 0;
  int remaining = 1;
  int retry_after = 1;
  int delay_ms = 1000;
};

struct ApiFlavour {
  // Request headers kept in the log; Authorization's value is always replaced by "<scheme>
  // REDACTED".
  std::vector<std::string> logged_headers;
  // POST bodies that are forms land in httplib's params too (a client secret): log only the URL's
  // raw query for POSTs.
  bool post_query_raw_only = false;
  // Writes the API's own error body. `name` is e.g. "TooManyRequests", "BadRequest".
  std::function<void(httplib::Response&, int status, const std::string& name,
                     const std::string& message)>
      send_error;
  // Body of a "malformed" answer when the real one is too short to cut in half.
  std::string malformed_fallback = "{\"id\":";
  // GET /_emulator/state: the emulator's records; the kit adds "faults" and "requests_logged".
  std::function<nlohmann::json()> state;
  // The emulated API proper.
  std::function<void(const httplib::Request&, httplib::Response&)> route_api;
};

class FaultControl {
 public:
  explicit FaultControl(ApiFlavour flavour);

  // Registers the catch-all handlers (every method, every path) on server.
  void install(httplib::Server& server);

 private:
  void dispatch(const httplib::Request& req, httplib::Response& res);
  void control(const httplib::Request& req, httplib::Response& res);
  nlohmann::json log_entry(const httplib::Request& req) const;
  std::optional<Fault> take_fault(const std::string& method, const std::string& path);
  nlohmann::json faults_json();
  // Appends a request to the log on arrival; returns its sequence number.
  int64_t log_arrival(nlohmann::json entry);
  // Records how the request numbered seq was answered (status null: dropped).
  void log_answer(int64_t seq, nlohmann::json status, bool dropped);
  void send_json(httplib::Response& res, int status, const nlohmann::json& body) const;

  const ApiFlavour flavour_;
  std::mutex mutex_;
  std::vector<Fault> faults_;
  nlohmann::json log_ = nlohmann::json::array();
  int64_t next_seq_ = 1;
};

}  // namespace emulator_kit
