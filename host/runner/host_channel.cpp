#include "runner/host_channel.hpp"

namespace meterbridge::host::runner {

HostChannel::~HostChannel() {
  if (reader_.joinable()) reader_.join();
}

void HostChannel::start() {
  reader_ = std::thread([this] { read_loop(); });
}

void HostChannel::read_loop() {
  for (;;) {
    Frame f;
    std::string why;
    try {
      f = read_frame(calls_fd_);
    } catch (const PeerClosed&) {
      why = "closed";
    } catch (const std::exception& e) {
      why = e.what();
    }
    std::lock_guard lock(mutex_);
    if (!why.empty()) {
      closed_ = true;
      why_ = why;
      changed_.notify_all();
      return;
    }
    if (f.type() == "answer") {
      answers_[f.header.value("id", int64_t{0})] = std::move(f);
    } else {
      calls_.push_back(std::move(f));
    }
    changed_.notify_all();
  }
}

std::optional<Frame> HostChannel::next_call() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !calls_.empty() || closed_; });
  if (calls_.empty()) return std::nullopt;
  Frame f = std::move(calls_.front());
  calls_.pop_front();
  return f;
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
  }
  header["id"] = id;
  try {
    send(header, body);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return answers_.count(id) > 0 || closed_; });
  auto it = answers_.find(id);
  if (it == answers_.end()) return std::nullopt;
  Frame f = std::move(it->second);
  answers_.erase(it);
  return f;
}

std::string HostChannel::why() const {
  std::lock_guard lock(mutex_);
  return why_;
}

}  // namespace meterbridge::host::runner
