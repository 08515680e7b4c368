// The notify protocol against a socket standing in for systemd: a unix datagram socket in a temp
// dir named by NOTIFY_SOCKET, as systemd sets it for a Type=notify unit.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "systemd/systemd_notify.hpp"

namespace sd = meterbridge::host::systemd;

namespace {

// Sets an environment variable for one test case and restores its absence afterwards, so the
// cases (and ctest's one process per case) never see each other's NOTIFY_SOCKET.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

// A bound unix datagram socket in a fresh temp dir; removed with the dir on destruction.
class FakeSystemd {
 public:
  FakeSystemd() {
    std::string templ = (std::filesystem::temp_directory_path() / "mb-notify-XXXXXX").string();
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    dir_ = templ;
    path_ = (dir_ / "notify.sock").string();
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~FakeSystemd() {
    if (fd_ >= 0) ::close(fd_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  FakeSystemd(const FakeSystemd&) = delete;
  FakeSystemd& operator=(const FakeSystemd&) = delete;

  const std::string& path() const { return path_; }

  // Every datagram queued so far. sd_notify sends before it returns, so nothing is in flight.
  std::vector<std::string> received() {
    std::vector<std::string> out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (n < 0) break;
      out.emplace_back(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  std::filesystem::path dir_;
  std::string path_;
  int fd_ = -1;
};

bool has_line(const std::string& datagram, const std::string& line) {
  return ("\n" + datagram + "\n").find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("under systemd, ready, status and stopping reach the notify socket") {
  FakeSystemd systemd;
  ScopedEnv socket("NOTIFY_SOCKET", systemd.path());

  REQUIRE(sd::notify_ready());
  sd::notify_status("collecting sophos-eu");
  sd::notify_reloading();
  sd::notify_watchdog();
  sd::notify_stopping();

  std::vector<std::string> got = systemd.received();
  REQUIRE(got.size() == 5);
  CHECK(has_line(got[0], "READY=1"));
  CHECK(got[0].find("STATUS=") != std::string::npos);
  CHECK(has_line(got[1], "STATUS=collecting sophos-eu"));
  CHECK(has_line(got[2], "RELOADING=1"));
  CHECK(has_line(got[3], "WATCHDOG=1"));
  CHECK(has_line(got[4], "STOPPING=1"));
}

TEST_CASE("outside systemd, notify_ready says so and the other calls do nothing") {
  ::unsetenv("NOTIFY_SOCKET");
  CHECK_FALSE(sd::notify_ready());
  sd::notify_status("ignored");
  sd::notify_watchdog();
  sd::notify_stopping();
}

TEST_CASE("the watchdog interval comes from WATCHDOG_USEC for this process only") {
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  CHECK_FALSE(sd::watchdog_interval().has_value());

  ScopedEnv usec("WATCHDOG_USEC", "120000000");
  {
    ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
    auto interval = sd::watchdog_interval();
    REQUIRE(interval.has_value());
    CHECK(*interval == std::chrono::seconds(120));
  }
  // Another process's watchdog (a child that inherited the environment) is not ours.
  ScopedEnv other_pid("WATCHDOG_PID", std::to_string(::getpid() + 1));
  CHECK_FALSE(sd::watchdog_interval().has_value());
}
