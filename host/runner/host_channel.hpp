// The runner's end of the pipe pair once the handshake is done: one reader thread takes every
// frame the host sends and hands calls to the main loop and answers to the plugin thread that
// asked (by id), so plugin threads can have several host services in flight at once, as they
// can in process (the autotask sink overlaps its writes). Writes are serialised whole frames.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "isolation/runner_protocol.hpp"

namespace meterbridge::host::runner {

class HostChannel {
 public:
  HostChannel(int calls_fd, int answers_fd) : calls_fd_(calls_fd), answers_fd_(answers_fd) {}
  ~HostChannel();  // joins the reader, which ends when the host closes its end
  HostChannel(const HostChannel&) = delete;
  HostChannel& operator=(const HostChannel&) = delete;

  // Starts the reader; before it, read_frame() on calls_fd is the caller's (the handshake).
  void start();
  // The next "call" (or "bye") frame; nullopt once the host closed the pipe or broke the
  // protocol (why() says which).
  std::optional<Frame> next_call();
  // Sends one frame. Throws PeerClosed when the host is gone.
  void send(const nlohmann::json& header, std::string_view body);
  // Sends a "service" frame with a fresh id and waits for the "answer" with that id; nullopt
  // when the host went away first.
  std::optional<Frame> request(nlohmann::json header, std::string_view body);
  std::string why() const;

 private:
  void read_loop();

  int calls_fd_, answers_fd_;
  std::mutex write_mutex_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Frame> calls_;
  std::map<int64_t, Frame> answers_;
  bool closed_ = false;
  std::string why_;
  int64_t next_id_ = 1;
  std::thread reader_;
};

}  // namespace meterbridge::host::runner
