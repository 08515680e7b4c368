#include "runner/host_channel.hpp"

namespace meterbridge::host::runner {

bool HostChannel::read_one(std::unique_lock<std::mutex>& lock, bool block) {
  reading_ = true;
  lock.unlock();
  Frame f;
  std::string why;
  bool got = false;
  try {
    if (block || wait_readable(calls_fd_, std::chrono::steady_clock::now())) {
      f = read_frame(calls_fd_);
      got = true;
    }
  } catch (const PeerClosed&) {
    why = "closed";
  } catch (const std::exception& e) {
    why = e.what();
  }
  lock.lock();
  reading_ = false;
  if (!why.empty()) {
    closed_ = true;
    why_ = why;
  } else if (got && f.type() == "answer") {
    answers_[f.header.value("id", int64_t{0})] = std::move(f);
  } else if (got && f.type() == "cancel") {
    cancelled_.store(true);
  } else if (got) {
    calls_.push_back(std::move(f));
  }
  changed_.notify_all();
  return got;
}

std::optional<Frame> HostChannel::next_call() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!calls_.empty()) {
      Frame f = std::move(calls_.front());
      calls_.pop_front();
      return f;
    }
    if (closed_) return std::nullopt;
    if (!reading_) {
      read_one(lock, true);
      continue;
    }
    changed_.wait(lock);
  }
}

void HostChannel::send(const nlohmann::json& header, std::string_view body) {
  std::lock_guard lock(write_mutex_);
  write_frame(answers_fd_, header, body);
}

std::optional<Frame> HostChannel::request(nlohmann::json header, std::string_view body) {
  int64_t id;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return std::nullopt;
    id = next_id_++;
    // Tells the host this request overlaps others, so it answers it without holding up theirs.
    if (in_flight_ > 0) header["overlap"] = true;
    ++in_flight_;
  }
  header["id"] = id;
  struct Done {
    HostChannel& c;
    ~Done() {
      std::lock_guard lock(c.mutex_);
      --c.in_flight_;
    }
  } done{*this};
  try {
    send(header, body);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::unique_lock lock(mutex_);
  for (;;) {
    if (auto it = answers_.find(id); it != answers_.end()) {
      Frame f = std::move(it->second);
      answers_.erase(it);
      return f;
    }
    if (closed_) return std::nullopt;
    if (!reading_) {
      // Nobody is reading: read for everyone (most often this is the one answer waited for,
      // and no other thread has to wake up to hand it over).
      read_one(lock, true);
      continue;
    }
    changed_.wait(lock);
  }
}

bool HostChannel::cancelled() {
  if (cancelled_.load()) return true;
  // A plugin that polls between its own work reads a "cancel" nobody else is reading for.
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (lock.owns_lock() && !reading_ && !closed_) read_one(lock, false);
  return cancelled_.load();
}

std::string HostChannel::why() const {
  std::lock_guard lock(mutex_);
  return why_;
}

}  // namespace meterbridge::host::runner
