// autotask: runs n tasks with at most `width` at a time (Autotask allows three concurrent
// requests per endpoint and integration code). The host's services may be called from any
// plugin thread (PROTOCOL.md P3.2). The first exception a task throws is rethrown once every
// started task has ended; tasks not yet started then do not start.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace autotask {

template <class F>
void for_each_concurrently(size_t n, size_t width, F&& task) {
  if (n == 0) return;
  if (width <= 1 || n == 1) {
    for (size_t i = 0; i < n; ++i) task(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first;
  std::mutex mutex;
  auto worker = [&] {
    for (size_t i; !failed.load() && (i = next.fetch_add(1)) < n;) {
      try {
        task(i);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!first) first = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < std::min(width, n); ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace autotask
