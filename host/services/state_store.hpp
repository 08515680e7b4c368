// Persistent key/value state of plugin instances: a SQLite file, one table per instance.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

struct sqlite3;

namespace meterbridge::host {

class StateStore {
 public:
  // Opens (creating with mode 0600, and its directory) the database file.
  explicit StateStore(const std::filesystem::path& file);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  std::optional<std::string> get(const std::string& instance, const std::string& key);
  void put(const std::string& instance, const std::string& key, const std::string& value);

 private:
  std::string table_for(const std::string& instance);

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

}  // namespace meterbridge::host
