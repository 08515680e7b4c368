#include "isolation/runner_protocol.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace meterbridge::host::runner {
namespace {

void put_u32(char* out, uint32_t v) {
  out[0] = static_cast<char>((v >> 24) & 0xff);
  out[1] = static_cast<char>((v >> 16) & 0xff);
  out[2] = static_cast<char>((v >> 8) & 0xff);
  out[3] = static_cast<char>(v & 0xff);
}

uint32_t get_u32(const char* in) {
  auto b = [&](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(in[i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

// Blocks SIGPIPE on this thread while writing to a pipe whose reader may be gone, and consumes
// the signal the failed write raised, so a dead peer is an EPIPE error, never a dead process.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_);
  }
  ~SigpipeGuard() {
    if (broke_ && !was_pending_) {
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe_set_, nullptr, &zero) == -1 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  void broke() { broke_ = true; }

 private:
  sigset_t pipe_set_{}, old_{};
  bool was_pending_ = false, broke_ = false;
};

void write_all(int fd, const char* data, size_t size, SigpipeGuard& guard) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) {
        guard.broke();
        throw PeerClosed("the other side closed the pipe");
      }
      throw std::runtime_error(std::string("writing to the runner pipe failed: ") +
                               std::strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Reads exactly size bytes. what names the part for the error; started says whether a frame has
// begun (then an end of file is a torn frame).
void read_all(int fd, char* data, size_t size, Deadline deadline, const char* what) {
  size_t got = 0;
  while (got < size) {
    if (!wait_readable(fd, deadline)) {
      throw ProtocolError(std::string("a frame stalled for ") +
                          std::to_string(kFrameCompletion.count()) + " s in its " + what);
    }
    ssize_t n = ::read(fd, data + got, size - got);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw PeerClosed(std::string("reading the runner pipe failed: ") + std::strerror(errno));
    }
    if (n == 0) {
      throw PeerClosed(got == 0 && std::strcmp(what, "lengths") == 0
                           ? "the other side closed the pipe"
                           : std::string("the pipe closed in the middle of a frame's ") + what);
    }
    got += static_cast<size_t>(n);
  }
}

}  // namespace

void write_frame(int fd, const nlohmann::json& header, std::string_view body) {
  const std::string head = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (head.size() > kMaxHeaderBytes || body.size() > kMaxBodyBytes) {
    throw ProtocolError("frame too large: header " + std::to_string(head.size()) + " bytes, body " +
                        std::to_string(body.size()) + " bytes (limits " +
                        std::to_string(kMaxHeaderBytes) + " and " + std::to_string(kMaxBodyBytes) +
                        ")");
  }
  // Lengths and header in one write: the common small frame is one system call.
  std::string start(8, '\0');
  put_u32(start.data(), static_cast<uint32_t>(head.size()));
  put_u32(start.data() + 4, static_cast<uint32_t>(body.size()));
  start += head;
  SigpipeGuard guard;
  write_all(fd, start.data(), start.size(), guard);
  if (!body.empty()) write_all(fd, body.data(), body.size(), guard);
}

bool wait_readable(int fd, Deadline deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      timeout_ms =
          left.count() < 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
    }
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw PeerClosed(std::string("poll failed: ") + std::strerror(errno));
    return n > 0;
  }
}

Frame read_frame(int fd, Deadline deadline) {
  char lengths[8];
  if (!wait_readable(fd, deadline)) throw FrameTimeout("timed out waiting for a frame");
  // Once a frame has begun, the rest is the writer's next few writes: it gets its own time,
  // whatever the caller's deadline (a frame read in part cannot be resumed).
  deadline = std::chrono::steady_clock::now() + kFrameCompletion;
  read_all(fd, lengths, sizeof lengths, deadline, "lengths");
  const uint32_t head_len = get_u32(lengths);
  const uint32_t body_len = get_u32(lengths + 4);
  if (head_len == 0 || head_len > kMaxHeaderBytes || body_len > kMaxBodyBytes) {
    std::string shown;
    for (char c : std::string_view(lengths, sizeof lengths)) {
      shown += (c >= 0x20 && c < 0x7f) ? c : '.';
    }
    throw ProtocolError("not a frame: header length " + std::to_string(head_len) +
                        ", body length " + std::to_string(body_len) + " (first bytes \"" + shown +
                        "\")");
  }
  std::string head(head_len, '\0');
  read_all(fd, head.data(), head.size(), deadline, "header");
  Frame f;
  f.header = nlohmann::json::parse(head, nullptr, false);
  if (f.header.is_discarded() || !f.header.is_object() || !f.header.contains("t") ||
      !f.header["t"].is_string()) {
    throw ProtocolError("not a frame: the header is not a JSON object with a \"t\" string");
  }
  f.body.resize(body_len);
  if (body_len > 0) read_all(fd, f.body.data(), f.body.size(), deadline, "body");
  return f;
}

}  // namespace meterbridge::host::runner
