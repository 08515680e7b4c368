// file-drop: a source plugin that reads usage exports (CSV or JSON) dropped into a folder.
//
// The instance keeps a small index per file (size, mtime, the dates it holds, and the
// rejections that belong to no date) so that collect(date) reads only the files holding that
// date; files whose size or mtime changed are read again, vanished files are forgotten. Rows are
// never kept beyond the call that reads them.
#include <meterbridge/plugin.hpp>

#include "file_drop_format.hpp"
#include "kaseya_modules.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

using meterbridge::json;

namespace file_drop {
namespace {

namespace fs = std::filesystem;

// A rejection kept beyond the scan that found it.
struct StoredRejection {
  uint32_t file = 0;  // index into the call's file list
  uint32_t line = 0;
  std::string reason;
  Date date = 0;
  std::string customer_id, sku, metric;

  static StoredRejection from(uint32_t file, const Rejection& r) {
    return {file,
            r.line,
            r.reason,
            r.date,
            std::string(r.customer_id),
            std::string(r.sku),
            std::string(r.metric)};
  }
};

struct IndexEntry {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::vector<Date> dates;               // sorted, of valid and rejected rows
  std::vector<StoredRejection> undated;  // rejections without a parseable date (file = 0)
  uint64_t valid_rows = 0;

  bool holds(Date d) const { return std::binary_search(dates.begin(), dates.end(), d); }
};

struct ListedFile {
  std::string path;
  bool json = false;
  bool stat_ok = false;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char c = s[s.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

int64_t mtime_ns_of(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// Owns a file descriptor.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads a whole regular file into buf; any failure is transient (a later run retries) and names
// the file. Returns the size and mtime of what was read.
void read_file(const std::string& path, std::string& buf, uint64_t& size, int64_t& mtime_ns) {
  auto fail = [&](const std::string& what) -> meterbridge::Error {
    return meterbridge::transient_error("cannot read '" + path + "': " + what +
                                        "; nothing was collected");
  };
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (f.fd < 0) throw fail(std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw fail(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw fail("not a regular file");
  buf.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  for (;;) {
    if (got == buf.size()) buf.resize(buf.size() + 65536);  // the file grew while reading
    ssize_t n = ::read(f.fd, buf.data() + got, buf.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw fail(std::strerror(errno));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  buf.resize(got);
  size = static_cast<uint64_t>(st.st_size);
  mtime_ns = mtime_ns_of(st);
}

// The dates of a plain CSV export (no quote anywhere) without parsing its rows, so that a
// backfill parses only the files holding the day asked for. Returns false when the file needs
// the full scan (quotes, or a header or date that does not read): the full scan then reports
// the problem with its line.
bool quick_dates(std::string_view text, IndexEntry& entry) {
  if (text.find('"') != std::string_view::npos) return false;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<Date> dates;
  bool header = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    if (header) {
      header = false;
      std::string compact;
      for (char c : line) {
        if (c != ' ' && c != '\t') compact += c;
      }
      if (compact != kCsvHeader) return false;
      continue;
    }
    Date d = parse_date(trim(line.substr(0, line.find(','))));
    if (d == 0) return false;
    if (dates.empty() || dates.back() != d) dates.push_back(d);
    ++entry.valid_rows;
  }
  std::sort(dates.begin(), dates.end());
  dates.erase(std::unique(dates.begin(), dates.end()), dates.end());
  entry.dates = std::move(dates);
  return true;
}

// The rows of one requested date, kept compactly until the answer is built.
class DayCollector {
 public:
  explicit DayCollector(Date date) : date_(date) {}

  Date date() const { return date_; }

  void add_row(uint32_t file, const Row& r) {
    Rec rec;
    rec.file = file;
    rec.line = r.line;
    rec.quantity = r.quantity;
    const std::string_view parts[5] = {r.customer_id, r.customer_name, r.sku, r.product_name,
                                       r.metric};
    for (size_t i = 0; i < 5; ++i) {
      rec.off[i] = static_cast<uint32_t>(arena_.size());
      rec.len[i] = static_cast<uint32_t>(parts[i].size());
      arena_.append(parts[i]);
    }
    if (arena_.size() > UINT32_MAX) throw meterbridge::internal_error("day too large to collect");
    recs_.push_back(rec);
  }
  void add_rejection(StoredRejection r) { rejected_.push_back(std::move(r)); }

  // Sorts, applies the duplicate rule and writes the records and rejections into `out`.
  void finish(const std::vector<ListedFile>& files, meterbridge::UsageWriter& out) {
    std::sort(recs_.begin(), recs_.end(), [&](const Rec& a, const Rec& b) {
      for (size_t k : {0, 2, 4}) {  // customer_id, sku, metric
        int c = view(a, k).compare(view(b, k));
        if (c != 0) return c < 0;
      }
      if (a.file != b.file) return a.file < b.file;
      return a.line < b.line;
    });
    const Rec* first = nullptr;
    for (const Rec& r : recs_) {
      if (first != nullptr && same_key(*first, r)) {
        if (r.quantity != first->quantity) {
          StoredRejection rej;
          rej.file = r.file;
          rej.line = r.line;
          rej.reason = "conflicting duplicate of " + files[first->file].path + ":" +
                       std::to_string(first->line) + " (same date, customer_id, sku and metric; " +
                       "quantity " + number_text(first->quantity) + " there, " +
                       number_text(r.quantity) + " here)";
          rej.date = date_;
          rej.customer_id = std::string(view(r, 0));
          rej.sku = std::string(view(r, 2));
          rej.metric = std::string(view(r, 4));
          rejected_.push_back(std::move(rej));
        }
        continue;  // an identical duplicate is silently the same record
      }
      first = &r;
      out.add(view(r, 0), view(r, 1), view(r, 2), view(r, 3), view(r, 4), r.quantity);
    }
    for (auto& rejection : rejections_json(rejected_, files)) out.reject(std::move(rejection));
  }

  static json number(double q) {
    if (q == std::floor(q) && q < 9007199254740992.0) return json(static_cast<uint64_t>(q));
    return json(q);
  }
  static std::string number_text(double q) { return number(q).dump(); }

  static json rejections_json(std::vector<StoredRejection>& rejected,
                              const std::vector<ListedFile>& files) {
    std::stable_sort(rejected.begin(), rejected.end(),
                     [](const StoredRejection& a, const StoredRejection& b) {
                       if (a.file != b.file) return a.file < b.file;
                       return a.line < b.line;
                     });
    json list = json::array();
    list.get_ref<json::array_t&>().reserve(rejected.size());
    for (auto& r : rejected) {
      json o = {{"file", files[r.file].path}, {"line", r.line}, {"reason", std::move(r.reason)}};
      if (r.date != 0) o["date"] = format_date(r.date);
      if (!r.customer_id.empty()) o["customer_id"] = std::move(r.customer_id);
      if (!r.sku.empty()) o["sku"] = std::move(r.sku);
      if (!r.metric.empty()) o["metric"] = std::move(r.metric);
      list.push_back(std::move(o));
    }
    return list;
  }

 private:
  struct Rec {
    uint32_t off[5];
    uint32_t len[5];
    double quantity;
    uint32_t file;
    uint32_t line;
  };
  std::string_view view(const Rec& r, size_t k) const {
    return std::string_view(arena_.data() + r.off[k], r.len[k]);
  }
  bool same_key(const Rec& a, const Rec& b) const {
    return view(a, 0) == view(b, 0) && view(a, 2) == view(b, 2) && view(a, 4) == view(b, 4);
  }

  Date date_;
  std::string arena_;
  std::vector<Rec> recs_;
  std::vector<StoredRejection> rejected_;
};

// What discover gathers over every file.
struct Catalog {
  struct Named {
    Date date = 0;
    std::string name;
  };
  std::map<std::string, Named, std::less<>> customers, products;
  // One entry per valid row, for the duplicate rule over all dates without keeping the rows.
  struct KeyHash {
    uint64_t hash;
    double quantity;
    uint32_t file;
    uint32_t line;
  };
  std::vector<KeyHash> keys;
  std::vector<StoredRejection> rejected;

  static void note(std::map<std::string, Named, std::less<>>& m, std::string_view id, Date d,
                   std::string_view name) {
    auto it = m.find(id);
    if (it == m.end()) {
      m.emplace(std::string(id), Named{d, std::string(name)});
    } else if (d >= it->second.date) {  // the latest-dated row names it
      it->second.date = d;
      if (it->second.name != name) it->second.name.assign(name);
    }
  }
};

uint64_t key_hash(Date date, std::string_view a, std::string_view b, std::string_view c) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char ch : s) {
      h ^= ch;
      h *= 1099511628211ull;
    }
    h ^= 0xff;  // separator: never a byte of valid UTF-8 text
    h *= 1099511628211ull;
  };
  for (int i = 0; i < 4; ++i) {
    h ^= (date >> (8 * i)) & 0xff;
    h *= 1099511628211ull;
  }
  mix(a);
  mix(b);
  mix(c);
  return h;
}

// Receives the rows of one file: rebuilds its index entry, and feeds a day or the catalog.
class FileScan : public Sink {
 public:
  FileScan(uint32_t file, IndexEntry& entry, DayCollector* day, Catalog* catalog)
      : file_(file), entry_(entry), day_(day), catalog_(catalog) {}

  void row(const Row& r) override {
    note_date(r.date);
    ++entry_.valid_rows;
    if (day_ != nullptr && r.date == day_->date()) day_->add_row(file_, r);
    if (catalog_ != nullptr) {
      Catalog::note(catalog_->customers, r.customer_id, r.date, r.customer_name);
      Catalog::note(catalog_->products, r.sku, r.date, r.product_name);
      catalog_->keys.push_back(
          {key_hash(r.date, r.customer_id, r.sku, r.metric), r.quantity, file_, r.line});
    }
  }
  void reject(const Rejection& r) override {
    if (r.date == 0) {
      entry_.undated.push_back(StoredRejection::from(0, r));
      return;  // the caller adds undated rejections from the index entry
    }
    note_date(r.date);
    if (day_ != nullptr && r.date == day_->date())
      day_->add_rejection(StoredRejection::from(file_, r));
    if (catalog_ != nullptr) catalog_->rejected.push_back(StoredRejection::from(file_, r));
  }

 private:
  void note_date(Date d) {
    if (d == last_date_) return;
    last_date_ = d;
    auto it = std::lower_bound(entry_.dates.begin(), entry_.dates.end(), d);
    if (it == entry_.dates.end() || *it != d) entry_.dates.insert(it, d);
  }

  uint32_t file_;
  IndexEntry& entry_;
  DayCollector* day_;
  Catalog* catalog_;
  Date last_date_ = 0;
};

const char* const kSchema = R"schema({
  "type": "object",
  "required": ["folder"],
  "additionalProperties": false,
  "properties": {
    "folder": {"type": "string", "minLength": 1,
               "description": "Absolute path of the directory holding the usage exports (*.csv, *.json)"},
    "recursive": {"type": "boolean", "default": false,
                  "description": "Also read files in sub-directories"},
    "module": {"type": "string",
               "enum": ["bullphish-id", "compliance-manager", "cyber-hawk", "dark-web-id",
                        "datto-edr", "datto-file-protection", "datto-networking",
                        "datto-saas-defense", "graphus", "network-detective-pro", "passly",
                        "rocketcyber", "spanning-o365", "spanning-google", "traverse", "uniview",
                        "vsa-10", "vulscan", "workplace"],
               "description": "The Kaseya module the exports come from: its billing types are the only SKUs accepted and give product names and metrics"}
  }
})schema";

}  // namespace

class FileDropSource : public meterbridge::SourcePlugin {
 public:
  FileDropSource(meterbridge::Host host, const json& settings) : host_(host) {
    validate_settings(settings);
    folder_ = settings.at("folder").get<std::string>();
    recursive_ = settings.value("recursive", false);
    if (settings.contains("module")) module_ = find_module(settings["module"].get<std::string>());
  }

  static void validate_settings(const json& settings) {
    if (!settings.is_object() || !settings.contains("folder") || !settings["folder"].is_string())
      throw meterbridge::config_error("setting 'folder' is required (a string)");
    const auto& folder = settings["folder"].get_ref<const std::string&>();
    if (folder.empty() || folder.front() != '/') {
      throw meterbridge::config_error("setting 'folder' must be an absolute path, found '" +
                                      folder + "' (relative paths are not resolved)");
    }
    if (settings.contains("recursive") && !settings["recursive"].is_boolean())
      throw meterbridge::config_error("setting 'recursive' must be true or false");
    if (settings.contains("module") &&
        (!settings["module"].is_string() || !find_module(settings["module"].get<std::string>()))) {
      throw meterbridge::config_error(
          "setting 'module' names no Kaseya module file-drop knows, "
          "found " +
          settings["module"].dump());
    }
  }

  // Exports are dated: a past day is answered from its own files.
  bool answers_past_days() const override { return true; }

  json check() override {
    std::vector<ListedFile> files = list_files();
    return {{"folder", folder_}, {"files", files.size()}};
  }

  json collect(const std::string& date_text) override {
    meterbridge::UsageWriter writer;
    collect_into(date_text, writer);
    return json::parse(writer.finish(date_text));
  }

  // Writes the day's records as text: a day can hold hundreds of thousands of them.
  bool collect_into(const std::string& date_text, meterbridge::UsageWriter& writer) override {
    Date date = parse_date(date_text);
    if (date == 0) {
      throw meterbridge::Error(MB_E_INVALID_ARGUMENT,
                               "collect: date '" + date_text + "' is not a valid YYYY-MM-DD date");
    }
    std::vector<ListedFile> files = list_files();
    forget_vanished(files);
    DayCollector day(date);
    size_t read = 0;     // files parsed in full
    size_t indexed = 0;  // files whose dates were read without parsing their rows
    for (uint32_t i = 0; i < files.size(); ++i) {
      host_.throw_if_cancelled();
      const ListedFile& f = files[i];
      auto it = index_.find(f.path);
      bool stale = it == index_.end() || !f.stat_ok || it->second.size != f.size ||
                   it->second.mtime_ns != f.mtime_ns;
      bool in_buffer = false;
      if (stale && !f.json) {
        // Index the file cheaply first; most files of a backfill hold other days.
        IndexEntry entry;
        read_file(f.path, buffer_, read_size_, read_mtime_ns_);
        entry.size = read_size_;
        entry.mtime_ns = read_mtime_ns_;
        in_buffer = true;
        if (quick_dates(buffer_, entry)) {
          it = index_.insert_or_assign(f.path, std::move(entry)).first;
          stale = false;
          ++indexed;
        }
      }
      if (stale || it->second.holds(date)) {
        it = scan(f, i, &day, nullptr, in_buffer);
        ++read;
      }
      for (const auto& r : it->second.undated) {
        StoredRejection copy = r;
        copy.file = i;
        day.add_rejection(std::move(copy));
      }
    }
    day.finish(files, writer);
    const size_t n_records = writer.records(), n_rejected = writer.rejections();
    std::string summary = "collect " + date_text + ": " + std::to_string(files.size()) +
                          " files, " + std::to_string(read) + " read, " +
                          std::to_string(n_records) + " records, " + std::to_string(n_rejected) +
                          " rejected, " + std::to_string(indexed) + " indexed by date only";
    if (n_rejected > 0) {
      host_.warn(summary);
    } else {
      host_.info(summary);
    }
    return true;
  }

  json discover() override {
    std::vector<ListedFile> files = list_files();
    forget_vanished(files);
    Catalog catalog;
    uint64_t expected_rows = 0;
    for (const auto& f : files) {
      auto it = index_.find(f.path);
      if (it != index_.end()) expected_rows += it->second.valid_rows;
    }
    catalog.keys.reserve(expected_rows);
    for (uint32_t i = 0; i < files.size(); ++i) {
      host_.throw_if_cancelled();
      auto it = scan(files[i], i, nullptr, &catalog);
      for (const auto& r : it->second.undated) {
        StoredRejection copy = r;
        copy.file = i;
        catalog.rejected.push_back(std::move(copy));
      }
    }
    add_duplicate_rejections(files, catalog);

    json customers = json::array();
    for (auto& [id, named] : catalog.customers)
      customers.push_back({{"id", id}, {"name", std::move(named.name)}});
    json products = json::array();
    for (auto& [sku, named] : catalog.products)
      products.push_back({{"sku", sku}, {"name", std::move(named.name)}});
    size_t n_rejected = catalog.rejected.size();
    json answer = {{"customers", std::move(customers)}, {"products", std::move(products)}};
    answer["rejected"] = DayCollector::rejections_json(catalog.rejected, files);
    host_.info("discover: " + std::to_string(files.size()) + " files read, " +
               std::to_string(answer["customers"].size()) + " customers, " +
               std::to_string(answer["products"].size()) + " products, " +
               std::to_string(n_rejected) + " rejected");
    return answer;
  }

 private:
  // The files to read, sorted by path. Folder problems are the operator's (config); a failure
  // while listing is transient.
  std::vector<ListedFile> list_files() const {
    std::error_code ec;
    fs::file_status st = fs::status(folder_, ec);
    if (ec || !fs::exists(st)) {
      throw meterbridge::config_error("folder '" + folder_ +
                                      "' does not exist (setting 'folder', an absolute path)");
    }
    if (!fs::is_directory(st))
      throw meterbridge::config_error("folder '" + folder_ + "' is not a directory");
    std::vector<ListedFile> files;
    auto consider = [&](const fs::directory_entry& e, bool recurse_dirs) {
      std::string name = e.path().filename().string();
      if (name.empty() || name.front() == '.') return;
      if (recurse_dirs) {
        std::error_code dec;
        if (e.is_directory(dec) && !e.is_symlink(dec)) return;  // recursed into, not read
      }
      bool is_csv = ends_with_ci(name, ".csv");
      bool is_json = ends_with_ci(name, ".json");
      if (!is_csv && !is_json) return;  // also *.tmp and *.part: still being written
      ListedFile f;
      f.path = e.path().string();
      f.json = is_json;
      struct stat s {};
      if (::stat(f.path.c_str(), &s) == 0 && S_ISREG(s.st_mode)) {
        f.stat_ok = true;
        f.size = static_cast<uint64_t>(s.st_size);
        f.mtime_ns = mtime_ns_of(s);
      }
      files.push_back(std::move(f));
    };
    auto listing_failed = [&](const std::error_code& e) {
      return meterbridge::transient_error("cannot list folder '" + folder_ + "': " + e.message() +
                                          "; nothing was collected");
    };
    if (recursive_) {
      fs::recursive_directory_iterator it(folder_, ec), end;
      if (ec) throw unreadable(ec);
      for (; it != end; it.increment(ec)) {
        if (ec) throw listing_failed(ec);
        std::string name = it->path().filename().string();
        std::error_code dec;
        if (!name.empty() && name.front() == '.' && it->is_directory(dec)) {
          it.disable_recursion_pending();
          continue;
        }
        consider(*it, true);
      }
      if (ec) throw listing_failed(ec);
    } else {
      fs::directory_iterator it(folder_, ec), end;
      if (ec) throw unreadable(ec);
      for (; it != end; it.increment(ec)) {
        if (ec) throw listing_failed(ec);
        consider(*it, false);
      }
      if (ec) throw listing_failed(ec);
    }
    std::sort(files.begin(), files.end(),
              [](const ListedFile& a, const ListedFile& b) { return a.path < b.path; });
    return files;
  }

  meterbridge::Error unreadable(const std::error_code& ec) const {
    return meterbridge::config_error("folder '" + folder_ + "' is not readable: " + ec.message());
  }

  void forget_vanished(const std::vector<ListedFile>& files) {
    std::set<std::string_view> present;
    for (const auto& f : files) present.insert(f.path);
    for (auto it = index_.begin(); it != index_.end();) {
      if (present.count(it->first) == 0) {
        it = index_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Reads and scans one file, replacing its index entry.
  // in_buffer: buffer_ already holds the file as just read (size and time are read again).
  std::map<std::string, IndexEntry>::iterator scan(const ListedFile& f, uint32_t file,
                                                   DayCollector* day, Catalog* catalog,
                                                   bool in_buffer = false) {
    IndexEntry entry;
    if (in_buffer) {
      entry.size = read_size_;
      entry.mtime_ns = read_mtime_ns_;
    } else {
      read_file(f.path, buffer_, entry.size, entry.mtime_ns);
    }
    FileScan sink(file, entry, day, catalog);
    scan_text(f.json, sink);
    if (buffer_.capacity() > (64u << 20)) {
      std::string().swap(buffer_);  // do not keep a huge buffer between calls
    }
    return index_.insert_or_assign(f.path, std::move(entry)).first;
  }

  // The duplicate rule over every date: equal key hashes are confirmed by reading the keys of
  // just those rows again, so a hash collision can never reject a row.
  void add_duplicate_rejections(const std::vector<ListedFile>& files, Catalog& catalog) {
    auto& keys = catalog.keys;
    std::sort(keys.begin(), keys.end(), [](const Catalog::KeyHash& a, const Catalog::KeyHash& b) {
      if (a.hash != b.hash) return a.hash < b.hash;
      if (a.file != b.file) return a.file < b.file;
      return a.line < b.line;
    });
    struct Candidate {
      uint32_t first_file, first_line, file, line;
      double first_quantity, quantity;
    };
    std::vector<Candidate> candidates;
    std::map<uint32_t, std::set<uint32_t>> wanted;  // file -> lines whose keys are needed
    for (size_t i = 0; i < keys.size();) {
      size_t j = i + 1;
      while (j < keys.size() && keys[j].hash == keys[i].hash) {
        if (keys[j].quantity != keys[i].quantity) {
          candidates.push_back({keys[i].file, keys[i].line, keys[j].file, keys[j].line,
                                keys[i].quantity, keys[j].quantity});
          wanted[keys[i].file].insert(keys[i].line);
          wanted[keys[j].file].insert(keys[j].line);
        }
        ++j;
      }
      i = j;
    }
    std::vector<Catalog::KeyHash>().swap(keys);
    if (candidates.empty()) return;

    struct Key {
      Date date;
      std::string customer_id, sku, metric;
      bool operator==(const Key&) const = default;
    };
    std::map<std::pair<uint32_t, uint32_t>, Key> found;
    struct KeyGrab : Sink {
      uint32_t file;
      const std::set<uint32_t>* lines;
      std::map<std::pair<uint32_t, uint32_t>, Key>* found;
      void row(const Row& r) override {
        if (lines->count(r.line) != 0) {
          (*found)[{file, r.line}] =
              Key{r.date, std::string(r.customer_id), std::string(r.sku), std::string(r.metric)};
        }
      }
      void reject(const Rejection&) override {}
    };
    for (const auto& [file, lines] : wanted) {
      uint64_t size = 0;
      int64_t mtime = 0;
      read_file(files[file].path, buffer_, size, mtime);
      KeyGrab grab;
      grab.file = file;
      grab.lines = &lines;
      grab.found = &found;
      scan_text(files[file].json, grab);
    }
    for (const auto& c : candidates) {
      auto a = found.find({c.first_file, c.first_line});
      auto b = found.find({c.file, c.line});
      if (a == found.end() || b == found.end() || !(a->second == b->second)) continue;
      StoredRejection rej;
      rej.file = c.file;
      rej.line = c.line;
      rej.reason = "conflicting duplicate of " + files[c.first_file].path + ":" +
                   std::to_string(c.first_line) +
                   " (same date, customer_id, sku and metric; quantity " +
                   DayCollector::number_text(c.first_quantity) + " there, " +
                   DayCollector::number_text(c.quantity) + " here)";
      rej.date = b->second.date;
      rej.customer_id = b->second.customer_id;
      rej.sku = b->second.sku;
      rej.metric = b->second.metric;
      catalog.rejected.push_back(std::move(rej));
    }
  }

  // Scans buffer_ into sink, through the module's checks when one is set.
  void scan_text(bool is_json, Sink& sink) {
    if (module_ == nullptr) {
      is_json ? scan_json(buffer_, sink) : scan_csv(buffer_, sink);
      return;
    }
    ModuleRows rows(*module_, sink);
    is_json ? scan_json(buffer_, rows, true) : scan_csv(buffer_, rows, true);
  }

  meterbridge::Host host_;
  std::string folder_;
  bool recursive_ = false;
  const KaseyaModule* module_ = nullptr;  // the `module` setting, if any
  std::map<std::string, IndexEntry> index_;
  std::string buffer_;
  uint64_t read_size_ = 0;     // of the file in buffer_
  int64_t read_mtime_ns_ = 0;  // the file being scanned; reused between files
};

}  // namespace file_drop

MB_PLUGIN(file_drop::FileDropSource, "Usage exports (CSV or JSON) dropped into a folder",
          file_drop::kSchema)
