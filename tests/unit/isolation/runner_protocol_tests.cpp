// The runner protocol's frames over a real pipe: what goes in comes out byte for byte, and what
// is not a frame (lengths out of range, a header that is not a JSON object, a torn frame, a
// closed pipe, silence past the deadline) is an error of the right kind, never a hang.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "isolation/runner_health.hpp"
#include "isolation/runner_protocol.hpp"

using namespace meterbridge::host;
using namespace meterbridge::host::runner;
using nlohmann::json;

namespace {

struct Pipe {
  Pipe() { REQUIRE(pipe2(fds, O_CLOEXEC) == 0); }
  ~Pipe() {
    close_read();
    close_write();
  }
  void close_read() {
    if (fds[0] >= 0) ::close(fds[0]);
    fds[0] = -1;
  }
  void close_write() {
    if (fds[1] >= 0) ::close(fds[1]);
    fds[1] = -1;
  }
  void raw(const std::string& bytes) {
    REQUIRE(::write(fds[1], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  int fds[2] = {-1, -1};
};

std::string lengths(uint32_t head, uint32_t body) {
  std::string s(8, '\0');
  for (int i = 0; i < 4; ++i) {
    s[i] = static_cast<char>((head >> (24 - 8 * i)) & 0xff);
    s[4 + i] = static_cast<char>((body >> (24 - 8 * i)) & 0xff);
  }
  return s;
}

Deadline in_ms(int ms) {
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
}

}  // namespace

TEST_CASE("a frame crosses a pipe with its header and its raw body byte for byte") {
  Pipe p;
  std::string body = "{\"records\": [\"caf\xc3\xa9\"]}";
  body.push_back('\0');  // raw bytes, not text: a NUL survives
  body += "tail";
  std::thread writer([&] {
    write_frame(p.fds[1], {{"t", "result"}, {"status", 0}}, body);
    write_frame(p.fds[1], {{"t", "log"}, {"level", 3}});
  });
  Frame a = read_frame(p.fds[0], in_ms(5000));
  Frame b = read_frame(p.fds[0], in_ms(5000));
  writer.join();
  CHECK(a.type() == "result");
  CHECK(a.header["status"] == 0);
  CHECK(a.body == body);
  CHECK(b.type() == "log");
  CHECK(b.body.empty());
}

TEST_CASE("a large body arrives whole although the pipe holds far less") {
  Pipe p;
  const std::string body(8 * 1024 * 1024 + 3, 'x');
  std::thread writer([&] { write_frame(p.fds[1], {{"t", "result"}}, body); });
  Frame f = read_frame(p.fds[0], in_ms(20000));
  writer.join();
  CHECK(f.body.size() == body.size());
  CHECK(f.body == body);
}

TEST_CASE("what is not a frame is a protocol error naming what was wrong") {
  SECTION("text where the lengths should be") {
    Pipe p;
    p.raw("Segmentation fault\n");
    CHECK_THROWS_WITH(read_frame(p.fds[0], in_ms(1000)),
                      Catch::Contains("not a frame: header length") &&
                          Catch::Contains("(first bytes \"Segmenta\")"));
  }
  SECTION("a zero-length header") {
    Pipe p;
    p.raw(lengths(0, 0));
    CHECK_THROWS_AS(read_frame(p.fds[0], in_ms(1000)), ProtocolError);
  }
  SECTION("a body over the limit") {
    Pipe p;
    p.raw(lengths(2, kMaxBodyBytes + 1));
    CHECK_THROWS_AS(read_frame(p.fds[0], in_ms(1000)), ProtocolError);
  }
  SECTION("a header that is JSON but not an object with a type") {
    Pipe p;
    p.raw(lengths(7, 0) + "[1,2,3]");
    CHECK_THROWS_WITH(read_frame(p.fds[0], in_ms(1000)),
                      Catch::Contains("not a JSON object with a \"t\" string"));
  }
}

TEST_CASE("a closed pipe, a torn frame and silence are told apart") {
  SECTION("closed before a frame: PeerClosed") {
    Pipe p;
    p.close_write();
    CHECK_THROWS_AS(read_frame(p.fds[0], in_ms(1000)), PeerClosed);
  }
  SECTION("closed in the middle of a frame: PeerClosed naming the part") {
    Pipe p;
    p.raw(lengths(20, 0) + "{\"t\":");
    p.close_write();
    CHECK_THROWS_WITH(read_frame(p.fds[0], in_ms(1000)),
                      Catch::Contains("in the middle of a frame's header"));
  }
  SECTION("nothing before the deadline: FrameTimeout, and the pipe is still usable") {
    Pipe p;
    CHECK_THROWS_AS(read_frame(p.fds[0], in_ms(50)), FrameTimeout);
    write_frame(p.fds[1], {{"t", "answer"}});
    CHECK(read_frame(p.fds[0], in_ms(1000)).type() == "answer");
  }
  SECTION("writing to a pipe nobody reads: PeerClosed, and no SIGPIPE kills the process") {
    Pipe p;
    p.close_read();
    CHECK_THROWS_AS(write_frame(p.fds[1], {{"t", "call"}}), PeerClosed);
  }
}

TEST_CASE("runner health: restarts follow failures, backoff from the second failure in a row") {
  const std::string name = "unit-health";
  record_runner_start(name);
  CHECK(runner_counts()[name].restarts == 0);
  record_runner_failure(name, "crash");
  CHECK(runner_backoff_left(name).count() == 0);  // one failure: start again at once
  record_runner_start(name);
  CHECK(runner_counts()[name].restarts == 1);
  record_runner_failure(name, "crash");
  const auto wait = runner_backoff_left(name);
  CHECK(wait.count() > 500);
  CHECK(wait.count() <= 1000);
  record_runner_failure(name, "timeout");
  CHECK(runner_backoff_left(name).count() > 1500);  // doubled
  record_runner_answer(name);
  CHECK(runner_backoff_left(name).count() == 0);
  const RunnerCounts c = runner_counts()[name];
  CHECK(c.starts == 2);
  CHECK(c.failures.at("crash") == 2);
  CHECK(c.failures.at("timeout") == 1);
  CHECK(c.streak == 0);
}
