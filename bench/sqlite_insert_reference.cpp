// The reference for bench/billing_collect_plan.sh: the rate of plain SQLite inserts of the same
// rows meterbridge collects. Reads every *.csv file of a folder (in path order), parses each line
// with a plain split on commas (the generated data has no quotes) and inserts every row into a
// fresh SQLite file with one prepared INSERT per row, WAL mode, synchronous=NORMAL and one
// transaction per file (meterbridge commits one transaction per day; the generator writes one
// file per day). The CSV reading and parsing is inside the timed part: meterbridge parses too.
//
// Usage: bench_sqlite_insert_reference FOLDER DB_FILE
// Prints rows, seconds, rows/s and the database's size on disk (file + -wal).
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::cerr << "bench_sqlite_insert_reference: " << what << '\n';
  std::exit(1);
}

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    die(std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    die(std::string(sql) + ": " + msg);
  }
}

uint64_t size_or_zero(const fs::path& p) {
  std::error_code ec;
  auto s = fs::file_size(p, ec);
  return ec ? 0 : s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: bench_sqlite_insert_reference FOLDER DB_FILE\n";
    return 2;
  }
  const fs::path folder = argv[1];
  const fs::path db_file = argv[2];
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ec;
    fs::remove(db_file.string() + suffix, ec);
  }

  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.is_regular_file() && e.path().extension() == ".csv") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) die("no .csv file in " + folder.string());

  sqlite3* db = nullptr;
  if (sqlite3_open(db_file.c_str(), &db) != SQLITE_OK) die("cannot open " + db_file.string());
  exec(db, "PRAGMA journal_mode = WAL");
  exec(db, "PRAGMA synchronous = NORMAL");
  exec(db,
       "CREATE TABLE usage (date TEXT NOT NULL, customer_id TEXT NOT NULL, "
       "customer_name TEXT NOT NULL, sku TEXT NOT NULL, product_name TEXT NOT NULL, "
       "metric TEXT NOT NULL, quantity REAL NOT NULL)");
  sqlite3_stmt* insert = nullptr;
  check(sqlite3_prepare_v2(db, "INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &insert,
                           nullptr),
        db, "prepare");

  const auto start = std::chrono::steady_clock::now();
  uint64_t rows = 0;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) die("cannot read " + file.string());
    std::ostringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();

    exec(db, "BEGIN");
    size_t pos = 0;
    bool header = true;
    std::string_view f[7];
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + pos, end - pos);
      pos = end + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      if (header) {
        header = false;
        continue;
      }
      size_t n = 0, from = 0;
      while (n < 7) {
        size_t comma = line.find(',', from);
        if (comma == std::string_view::npos) {
          f[n++] = line.substr(from);
          break;
        }
        f[n++] = line.substr(from, comma - from);
        from = comma + 1;
      }
      if (n != 7) die(file.string() + ": a line without 7 fields");
      char* endp = nullptr;
      const std::string q(f[6]);
      const double quantity = std::strtod(q.c_str(), &endp);
      if (endp == q.c_str()) die(file.string() + ": a quantity that is not a number");
      for (int i = 0; i < 6; ++i) {
        check(sqlite3_bind_text(insert, i + 1, f[i].data(), static_cast<int>(f[i].size()),
                                SQLITE_STATIC),
              db, "bind");
      }
      check(sqlite3_bind_double(insert, 7, quantity), db, "bind");
      check(sqlite3_step(insert), db, "insert");
      sqlite3_reset(insert);
      ++rows;
    }
    exec(db, "COMMIT");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sqlite3_finalize(insert);
  sqlite3_close(db);  // checkpoints the WAL, as meterbridge's store is after its process ends
  const uint64_t bytes = size_or_zero(db_file) + size_or_zero(db_file.string() + "-wal");

  std::printf("files %zu\nrows %llu\nseconds %.3f\nrows_per_second %.0f\nbytes %llu\n",
              files.size(), static_cast<unsigned long long>(rows), seconds,
              seconds > 0 ? static_cast<double>(rows) / seconds : 0.0,
              static_cast<unsigned long long>(bytes));
  return 0;
}
