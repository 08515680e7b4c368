// One writer to the PSAs at a time per billing store. Two syncs running at once (a scheduled
// run and a send-now, say) could both read "no addition" and both create one: billed twice.
// The lock is an flock on "<store>.lock", released by the kernel when the process ends, however
// it ends, so a killed sync never leaves a stale lock.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace meterbridge::host::store {

class RunLockBusy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RunLock {
 public:
  // Takes the lock or throws RunLockBusy naming the holder (its pid and what it runs).
  RunLock(const std::filesystem::path& store_file, const std::string& what);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

// Takes the lock, waiting up to `wait` while another run holds it: calls on_wait once with the
// busy message when it starts waiting, and gives up early when `cancelled` answers true. Throws
// RunLockBusy when the wait ends without the lock.
std::unique_ptr<RunLock> wait_for_run_lock(const std::filesystem::path& store_file,
                                           const std::string& what, std::chrono::milliseconds wait,
                                           const std::function<void(const std::string&)>& on_wait,
                                           const std::function<bool()>& cancelled = {});

}  // namespace meterbridge::host::store
