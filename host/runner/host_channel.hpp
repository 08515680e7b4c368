// The runner's end of the pipe pair once the handshake is done. Whichever thread needs a frame
// reads it (the main loop between hooks, a plugin thread waiting for its answer), and hands
// what is not its own to its owner: calls to the main loop, answers to the plugin thread that
// asked (by id), "cancel" to a flag. So plugin threads can have several host services in flight
// at once, as they can in process (the autotask sink overlaps its writes), and the common
// request-answer needs no second thread to wake. Writes are serialised whole frames.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "isolation/runner_protocol.hpp"

namespace meterbridge::host::runner {

class HostChannel {
 public:
  HostChannel(int calls_fd, int answers_fd) : calls_fd_(calls_fd), answers_fd_(answers_fd) {}
  HostChannel(const HostChannel&) = delete;
  HostChannel& operator=(const HostChannel&) = delete;
  // The next "call" (or "bye") frame; nullopt once the host closed the pipe or broke the
  // protocol (why() says which).
  std::optional<Frame> next_call();
  // Sends one frame. Throws PeerClosed when the host is gone.
  void send(const nlohmann::json& header, std::string_view body);
  // Sends a "service" frame with a fresh id and waits for the "answer" with that id; nullopt
  // when the host went away first.
  std::optional<Frame> request(nlohmann::json header, std::string_view body);
  std::string why() const;
  // Whether the host said "cancel" during the current call (reading what is waiting when no
  // thread is reading); a new call clears it.
  bool cancelled();
  void clear_cancel() { cancelled_.store(false); }

 private:
  // Reads one frame (waiting for it when block) and files it; lock held on entry and exit,
  // released while reading. False when nothing was read.
  bool read_one(std::unique_lock<std::mutex>& lock, bool block);

  int calls_fd_, answers_fd_;
  std::mutex write_mutex_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Frame> calls_;
  std::map<int64_t, Frame> answers_;
  bool closed_ = false;
  std::string why_;
  int64_t next_id_ = 1;
  std::atomic<bool> cancelled_{false};
  bool reading_ = false;
  int in_flight_ = 0;  // service requests sent and not answered yet
};

}  // namespace meterbridge::host::runner
