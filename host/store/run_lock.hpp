// One writer to the PSAs at a time per billing store. Two syncs running at once (a scheduled
// run and a send-now, say) could both read "no addition" and both create one: billed twice.
// The lock is an flock on "<store>.lock", released by the kernel when the process ends, however
// it ends, so a killed sync never leaves a stale lock.
#pragma once

#include <filesystem>
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

}  // namespace meterbridge::host::store
