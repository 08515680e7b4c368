#include "service/health_server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "service/metrics_text.hpp"

namespace meterbridge::host::service {
namespace {

constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kText = "text/plain; charset=utf-8";
// Enough that a slow scrape or a held keep-alive connection never starves the probes.
constexpr std::size_t kWorkerThreads = 4;

bool is_route(const std::string& path) {
  return path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/status";
}

// 405 for a known path with another method, 404 for anything else.
void refuse_method(const httplib::Request& req, httplib::Response& res) {
  if (is_route(req.path)) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("method not allowed: " + req.method + " " + req.path + " (GET only)\n", kText);
  } else {
    res.status = 404;
    res.set_content("not found: " + req.path + "\n", kText);
  }
}

// Runs `answer` with the status document; a throwing handler answers 500 instead.
template <class Answer>
void with_status(const HealthServer::Handlers& handlers, const httplib::Request& req,
                 httplib::Response& res, Answer answer) {
  nlohmann::json status;
  try {
    status = handlers.status();
  } catch (const std::exception& e) {
    spdlog::warn("health endpoint: {} failed: status handler: {}", req.path, e.what());
    res.status = 500;
    res.set_content(std::string("status handler failed: ") + e.what() + "\n", kText);
    return;
  } catch (...) {
    spdlog::warn("health endpoint: {} failed: status handler threw a non-exception", req.path);
    res.status = 500;
    res.set_content("status handler failed: unknown error\n", kText);
    return;
  }
  answer(status);
}

void answer_ready(const nlohmann::json& status, httplib::Response& res) {
  const nlohmann::json* ready = nullptr;
  if (status.is_object() && status.contains("ready") && status.at("ready").is_object())
    ready = &status.at("ready");
  if (ready != nullptr && ready->value("ok", nlohmann::json()) == true) {
    res.set_content("ready\n", kText);
    return;
  }
  std::string body;
  if (ready == nullptr) {
    body = "the status document has no ready.ok\n";
  } else if (ready->contains("reasons") && ready->at("reasons").is_array()) {
    for (const auto& reason : ready->at("reasons"))
      body += (reason.is_string() ? reason.get<std::string>() : reason.dump()) + "\n";
  }
  res.status = 503;
  res.set_content(body.empty() ? "not ready\n" : body, kText);
}

}  // namespace

struct HealthServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> finished{false};  // the server thread left listen_after_bind()
};

HealthServer::HealthServer(std::string listen, Handlers handlers)
    : address_(parse_listen_address(listen)), handlers_(std::move(handlers)) {
  if (!handlers_.status) throw std::invalid_argument("HealthServer: no status handler");
}

HealthServer::~HealthServer() {
  stop();
}

void HealthServer::start() {
  std::lock_guard lock(lifecycle_);
  if (impl_) throw std::logic_error("HealthServer::start: already serving");
  auto impl = std::make_unique<Impl>();
  auto& server = impl->server;
  server.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  // cpp-httplib sets SO_REUSEPORT by default on Linux, which lets a second process bind the same
  // port and silently split the scrapes. SO_REUSEADDR alone still allows a quick restart.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.set_read_timeout(std::chrono::seconds(5));
  server.set_write_timeout(std::chrono::seconds(5));

  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", kText);
  });
  server.Get("/readyz", [this](const httplib::Request& req, httplib::Response& res) {
    with_status(handlers_, req, res, [&](const nlohmann::json& s) { answer_ready(s, res); });
  });
  server.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    with_status(handlers_, req, res, [&](const nlohmann::json& s) {
      res.set_content(render_metrics(s), kMetricsContentType);
    });
  });
  server.Get("/status", [this](const httplib::Request& req, httplib::Response& res) {
    with_status(handlers_, req, res, [&](const nlohmann::json& s) {
      // Replace invalid UTF-8 rather than fail the whole document over one byte.
      res.set_content(s.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                      "application/json");
    });
  });
  server.Get(".*", refuse_method);
  server.Post(".*", refuse_method);
  server.Put(".*", refuse_method);
  server.Patch(".*", refuse_method);
  server.Delete(".*", refuse_method);
  server.Options(".*", refuse_method);
  // Safety net behind the handlers' own catch: answer 500, keep serving.
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
        std::string message = "unknown error";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          message = e.what();
        } catch (...) {
        }
        spdlog::warn("health endpoint: {} failed: {}", req.path, message);
        res.status = 500;
        res.set_content("internal error: " + message + "\n", kText);
      });
  server.set_default_headers({{"Cache-Control", "no-store"}});

  // cpp-httplib reports a failed bind as false only; errno still holds the bind's reason.
  errno = 0;
  int port = address_.port;
  bool bound = false;
  if (address_.port == 0) {
    port = server.bind_to_any_port(address_.host);
    bound = port > 0;
  } else {
    bound = server.bind_to_port(address_.host, address_.port);
  }
  if (!bound) {
    const int error = errno;
    throw std::runtime_error("cannot listen on " + address_.to_string() + ": " +
                             (error != 0 ? std::strerror(error) : "bind failed"));
  }

  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    if (!raw->server.listen_after_bind())
      spdlog::error("health endpoint: the server stopped with an error");
    raw->finished = true;
  });
  // Wait until the server accepts, so a stop() right after start() never races listen.
  while (!raw->server.is_running() && !raw->finished)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_ = std::move(impl);
  port_ = port;
  spdlog::info("health endpoint listening on http://{}",
               ListenAddress{address_.host, port}.to_string());
}

int HealthServer::port() const {
  return port_;
}

void HealthServer::stop() {
  std::lock_guard lock(lifecycle_);
  if (!impl_) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_.reset();
  port_ = 0;
}

}  // namespace meterbridge::host::service
