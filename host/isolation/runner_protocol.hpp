// The runner protocol (sdk/PROTOCOL.md, "Runner protocol"): how `meterbridge` and one
// `meterbridge-runner` talk over a pipe pair. One frame is
//   u32 header length (big-endian) | u32 body length (big-endian) | header | body
// where the header is one JSON object ("t" names the message) and the body is raw bytes: the
// plugin's JSON texts (settings, requests, answers) travel as they are, never escaped into the
// header, so a 30 MB collect answer costs one copy through the pipe and no re-parse.
// Shared by both sides; no host state, no threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace meterbridge::host::runner {

// Bumped on any change of the messages below; both sides must agree exactly.
inline constexpr int kProtocolVersion = 1;
// Anything larger is not a frame of ours: a runner writing garbage, not a big answer.
inline constexpr uint32_t kMaxHeaderBytes = 1u << 20;
inline constexpr uint32_t kMaxBodyBytes = 1u << 30;
// The runner's ends of the pipe pair: the host writes to kCallsFd, reads from kAnswersFd.
inline constexpr int kCallsFd = 3;
inline constexpr int kAnswersFd = 4;

struct Frame {
  nlohmann::json header = nlohmann::json::object();
  std::string body;
  std::string type() const { return header.value("t", ""); }
};

// The peer closed its end before (or in the middle of) a frame.
class PeerClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// What arrived is not a frame of this protocol (lengths out of range, header not a JSON object).
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The deadline passed before a whole frame arrived.
class FrameTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

// Writes one whole frame; throws PeerClosed when the reader is gone (EPIPE; SIGPIPE is never
// raised: it is blocked and consumed on the writing thread).
void write_frame(int fd, const nlohmann::json& header, std::string_view body = {});

// Waits until fd is readable or the deadline passes (no deadline: forever). True when readable
// (which includes end of file).
bool wait_readable(int fd, Deadline deadline);

// How long the rest of a frame may take once its first byte arrived.
inline constexpr std::chrono::seconds kFrameCompletion{30};

// Reads one whole frame. Throws PeerClosed, ProtocolError, or FrameTimeout: the deadline applies
// to the first byte; a frame that then stalls for kFrameCompletion is a ProtocolError.
Frame read_frame(int fd, Deadline deadline = std::nullopt);

}  // namespace meterbridge::host::runner
