// Plugin state: a real SQLite file, 0600, a table per instance, surviving a reopen.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "services/state_store.hpp"

using meterbridge::host::StateStore;

TEST_CASE("state survives reopening, is private to the owner and isolated per instance") {
  auto dir = std::filesystem::temp_directory_path() / ("mb-state-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  const auto file = dir / "nested" / "state.sqlite";
  const mode_t old = umask(0);  // even a permissive umask must give 0600
  {
    StateStore s(file);
    s.put("sophos-eu", "cursor", "page-7");
    s.put("sophos-eu", "cursor", "page-8");
    s.put("cw-main", "cursor", "other");
  }
  umask(old);
  struct stat st {};
  REQUIRE(stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  StateStore again(file);
  CHECK(again.get("sophos-eu", "cursor") == std::optional<std::string>("page-8"));
  CHECK(again.get("cw-main", "cursor") == std::optional<std::string>("other"));
  CHECK_FALSE(again.get("sophos-eu", "missing"));
  CHECK_FALSE(again.get("new-instance", "cursor"));

  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(
      db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name LIKE 'state:%'", -1,
      &stmt, nullptr);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(sqlite3_column_int(stmt, 0) == 3);  // sophos-eu, cw-main, new-instance
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_CASE("an instance id that could escape its table is refused") {
  auto dir = std::filesystem::temp_directory_path() / ("mb-state-bad-" + std::to_string(getpid()));
  StateStore s(dir / "state.sqlite");
  CHECK_THROWS_WITH(s.put("x\"; DROP TABLE y; --", "k", "v"),
                    Catch::Contains("must be 1-64 characters"));
  CHECK_THROWS(s.get("UPPER", "k"));
}
