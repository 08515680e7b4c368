#include "services/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>

#include <sqlite3.h>

namespace meterbridge::host {
namespace {

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("state store: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  void bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  int step() {
    int rc = sqlite3_step(stmt_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      throw std::runtime_error(std::string("state store: ") + sqlite3_errmsg(db_));
    return rc;
  }
  sqlite3_stmt* get() { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("state store: " + m);
  }
}

}  // namespace

StateStore::StateStore(const std::filesystem::path& file) : file_(file) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  // Create the file ourselves so it is 0600 whatever the umask: state may hold tokens.
  int fd = ::open(file.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("state store: cannot create " + file.string());
  ::fchmod(fd, 0600);
  ::close(fd);
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string m = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("state store: cannot open " + file.string() + ": " + m);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
}

StateStore::~StateStore() {
  sqlite3_close(db_);
}

std::string StateStore::table_for(const std::string& instance) {
  static const std::regex ok("^[a-z0-9][a-z0-9_-]{0,63}$");
  if (!std::regex_match(instance, ok)) {
    throw std::invalid_argument("state store: instance id '" + instance +
                                "' must be 1-64 characters of a-z, 0-9, '_' or '-'");
  }
  // The id is restricted above, so quoting it as an identifier is safe.
  std::string table = "\"state:" + instance + "\"";
  exec(db_,
       "CREATE TABLE IF NOT EXISTS " + table +
           " (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, updated_at TEXT NOT NULL DEFAULT "
           "(strftime('%Y-%m-%dT%H:%M:%fZ','now')))");
  return table;
}

std::optional<std::string> StateStore::get(const std::string& instance, const std::string& key) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT value FROM " + table_for(instance) + " WHERE key = ?1");
  s.bind(1, key);
  if (s.step() != SQLITE_ROW) return std::nullopt;
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0));
  return std::string(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(s.get(), 0)));
}

void StateStore::put(const std::string& instance, const std::string& key,
                     const std::string& value) {
  std::lock_guard lock(mutex_);
  Statement s(
      db_,
      "INSERT INTO " + table_for(instance) +
          " (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
          "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')");
  s.bind(1, key);
  s.bind(2, value);
  s.step();
}

}  // namespace meterbridge::host
