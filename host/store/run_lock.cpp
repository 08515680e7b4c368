#include "store/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace meterbridge::host::store {

RunLock::RunLock(const std::filesystem::path& store_file, const std::string& what) {
  const std::filesystem::path file = store_file.string() + ".lock";
  fd_ = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    throw std::runtime_error("cannot open the lock file " + file.string() + ": " +
                             std::strerror(errno));
  }
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[256] = {};
    ssize_t n = pread(fd_, buf, sizeof buf - 1, 0);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another process";
    while (!holder.empty() && holder.back() == '\n') holder.pop_back();
    close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK) {
      throw RunLockBusy("the billing store " + store_file.string() + " is being synced by " +
                        holder + "; try again when it has finished");
    }
    throw std::runtime_error("cannot lock " + file.string() + ": " + std::strerror(err));
  }
  const std::string me = "pid " + std::to_string(getpid()) + " (" + what + ")\n";
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, me.data(), me.size(), 0) < 0) {
    // The lock holds without the note; only the message of a waiting run is poorer.
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) close(fd_);  // closing releases the flock
}

std::unique_ptr<RunLock> wait_for_run_lock(const std::filesystem::path& store_file,
                                           const std::string& what, std::chrono::milliseconds wait,
                                           const std::function<void(const std::string&)>& on_wait,
                                           const std::function<bool()>& cancelled) {
  // Real time, not the host clock: the other run holds the lock for real seconds, also under a
  // test clock.
  const auto deadline = std::chrono::steady_clock::now() + wait;
  bool told = false;
  while (true) {
    try {
      return std::make_unique<RunLock>(store_file, what);
    } catch (const RunLockBusy& busy) {
      if (std::chrono::steady_clock::now() >= deadline || (cancelled && cancelled())) throw;
      if (!told && on_wait) on_wait(busy.what());
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace meterbridge::host::store
