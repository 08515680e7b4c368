// Vendor catalog and daily usage snapshots in the billing store.
//
// Usage is stored as runs: (series, first_day, last_day, quantity) where a series is
// (source, customer, sku, metric). A day's snapshot extends the run that ends the day before
// when the quantity is unchanged, so an unchanged line costs no new row per day, while every
// day's value stays exactly recoverable. Late and corrected days split and merge runs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/sqlite_db.hpp"

namespace meterbridge::host::store {

struct Tails;

using Day = int32_t;  // days since 1970-01-01

struct UsageRecord {
  std::string customer_id;
  std::string customer_name;
  std::string sku;
  std::string product_name;
  std::string metric;
  double quantity = 0;
};

// The same record as views into text that the caller keeps alive for the call: a large day is
// stored without copying its strings.
struct UsageRecordView {
  std::string_view customer_id;
  std::string_view customer_name;
  std::string_view sku;
  std::string_view product_name;
  std::string_view metric;
  double quantity = 0;
};

// A (customer, sku, metric) the source could not report cleanly for the day (a rejected row):
// its stored value for the day is kept rather than removed.
struct SeriesKey {
  std::string customer_id;
  std::string sku;
  std::string metric;
  auto operator<=>(const SeriesKey&) const = default;
};

struct DayChanges {
  int64_t added = 0;             // series that had no snapshot for the day
  int64_t changed = 0;           // snapshot replaced by a different quantity (a correction)
  int64_t removed = 0;           // snapshot no longer reported by the source for the day
  int64_t unchanged = 0;         // same quantity as stored
  int64_t kept = 0;              // not reported because rejected: stored value kept
  bool first_collection = true;  // the (source, day) had never been collected
};

struct UsageRun {
  Day first_day;
  Day last_day;
  double quantity;
};

struct SeriesUsage {
  std::string source;
  std::string customer_id;
  std::string sku;
  std::string metric;
  std::vector<UsageRun> runs;  // sorted by first_day, clipped to nothing: whole runs
};

// The source's own link of a customer to a PSA company (catalog.v1 `psa_hint`): Datto RMM sites
// carry an Autotask company id, say.
struct PsaHint {
  std::string psa;  // "autotask" or "connectwise"
  std::string company_id;
  std::string company_name;  // "" when the source did not say
  bool operator==(const PsaHint&) const = default;
};

struct VendorCustomer {
  std::string source;
  std::string id;
  std::string name;
  std::optional<PsaHint> psa_hint{};
};
struct VendorProduct {
  std::string source;
  std::string sku;
  std::string name;
};

class UsageStore {
 public:
  explicit UsageStore(Database& db);
  ~UsageStore();

  // Adds or renames customers and products (names: the latest seen). Call inside a transaction.
  // set_hints: the customers come from the source's catalog, so their psa_hint (or its absence)
  // replaces the stored one; usage records say nothing of hints and leave them as they are.
  void upsert_customers(const std::string& source, Day day,
                        const std::vector<VendorCustomer>& customers, bool set_hints = false);
  void upsert_products(const std::string& source, const std::vector<VendorProduct>& products);

  // Replaces the source's snapshot of `day` with `records` (one per series; the caller merged
  // duplicates) in one transaction, records the collection, and says what changed. Storing the
  // same day twice stores the same state.
  DayChanges store_day(const std::string& source, Day day,
                       const std::vector<UsageRecordView>& records,
                       const std::vector<SeriesKey>& rejected, int64_t run_id);
  DayChanges store_day(const std::string& source, Day day, const std::vector<UsageRecord>& records,
                       const std::vector<SeriesKey>& rejected, int64_t run_id);

  // Every series with a run that overlaps [from, to].
  std::vector<SeriesUsage> usage_between(Day from, Day to);
  // Days of [from, to] on which `source` was collected.
  std::vector<Day> collected_days(const std::string& source, Day from, Day to);
  // The value of one series on one day, when it had a snapshot.
  std::optional<double> value_on(const std::string& source, const SeriesKey& key, Day day);

  std::vector<VendorCustomer> customers(const std::string& source = "");
  std::vector<VendorProduct> products(const std::string& source = "");
  // Metrics seen for (source, sku), sorted.
  std::vector<std::string> metrics_of(const std::string& source, const std::string& sku);
  int64_t run_count();

 private:
  std::unordered_map<std::string, int64_t>& series_ids(const std::string& source);
  Tails& tails_of(const std::string& source);
  int64_t max_series_id_ = 0;  // of the ids loaded or given: sizes per-day arrays
  void load_tails(const std::string& source, Tails& tails);

  Database& db_;
  // source -> (customer, sku, metric key) -> series id
  std::unordered_map<std::string, std::unordered_map<std::string, int64_t>> series_ids_;
  // source -> the last run of each series (see usage_store.cpp)
  std::unordered_map<std::string, std::unique_ptr<Tails>> tails_;
};

}  // namespace meterbridge::host::store
