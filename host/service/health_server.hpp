// The health and metrics endpoint of `meterbridge serve`: a small HTTP server in its own threads
// answering liveness and readiness probes, Prometheus scrapes and `meterbridge status`.
//
// Routes (GET, and HEAD as GET without a body; other methods on these paths get 405, other
// paths 404, both with a short text body):
//   /healthz  200 "ok\n" as long as the server answers; never calls the status handler.
//   /readyz   200 "ready\n" when status()["ready"]["ok"] is true, else 503 with
//             status()["ready"]["reasons"], one per line.
//   /metrics  200 text/plain; version=0.0.4; charset=utf-8, render_metrics(status()).
//   /status   200 application/json, the status document itself.
// A status handler that throws gives 500 with the exception's message; the server keeps serving.
//
// Listen address: "HOST:PORT" (parse_listen_address). The service's default is loopback only
// (127.0.0.1, set by the config): the endpoint has no authentication and /status names paths
// and instances, so listening beyond loopback is the operator's explicit choice.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "service/listen_address.hpp"

namespace meterbridge::host::service {

class HealthServer {
 public:
  struct Handlers {
    // Builds the "service-status.v1" document. Called on the server's worker threads, possibly
    // several at once (concurrent scrapes and probes), so it must be thread-safe and should be
    // quick: it runs once per request to /readyz, /metrics and /status. The server keeps this
    // copy; whatever it captures must outlive the server (or its stop()).
    std::function<nlohmann::json()> status;
  };

  // Parses `listen` (throws std::invalid_argument, see parse_listen_address) and checks that the
  // status handler is set (std::invalid_argument). Binds nothing yet.
  HealthServer(std::string listen, Handlers handlers);
  // Calls stop().
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // Binds the address and serves until stop(): one accept thread of its own and a pool of four
  // worker threads that answer requests and call the handler. Throws std::runtime_error
  // "cannot listen on HOST:PORT: <reason>" when the bind fails (port in use, address not on this
  // machine), std::logic_error when already serving (start again after stop() is fine). Unlike
  // cpp-httplib's default, the socket is not SO_REUSEPORT: a second service on the same port is
  // refused rather than sharing it.
  void start();
  // The bound port (the kernel's pick when the configured port is 0); 0 when not serving.
  // Any thread.
  int port() const;
  // Stops serving and joins the server thread; in-flight requests finish first. Idempotent,
  // callable from any thread except the server's own (that is, not from the status handler).
  void stop();
  // The parsed listen address, as configured (port 0 stays 0 here; see port()).
  const ListenAddress& address() const { return address_; }

 private:
  struct Impl;
  ListenAddress address_;
  Handlers handlers_;
  std::mutex lifecycle_;  // serializes start() and stop()
  std::atomic<int> port_{0};
  std::unique_ptr<Impl> impl_;
};

}  // namespace meterbridge::host::service
