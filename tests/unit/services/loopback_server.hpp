// A cpp-httplib server on 127.0.0.1 with a port picked by the kernel, stopped on destruction.
#pragma once

#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

template <class Server = httplib::Server>
class LoopbackServer {
 public:
  template <class... Args>
  explicit LoopbackServer(Args&&... args) : server_(std::forward<Args>(args)...) {}
  ~LoopbackServer() { stop(); }
  Server& server() { return server_; }
  void start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Connections queue on the bound socket already; wait so stop() never races listen().
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }

 private:
  Server server_;
  std::thread thread_;
  int port_ = 0;
};
