#include "store/usage_store.hpp"

#include <cmath>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "store/clock.hpp"

namespace meterbridge::host::store {
namespace {

bool same_quantity(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(a));
}

std::string series_key(const std::string& customer, const std::string& sku,
                       const std::string& metric) {
  std::string k;
  k.reserve(customer.size() + sku.size() + metric.size() + 2);
  k.append(customer).push_back('\x1f');
  k.append(sku).push_back('\x1f');
  k.append(metric);
  return k;
}

struct Nearby {
  std::optional<UsageRun> cover;  // the run containing the day
  std::optional<UsageRun> prev;   // the run ending the day before
  std::optional<UsageRun> next;   // the run starting the day after
};

// The run edits of one day, on prepared statements reused for every series.
class RunEditor {
 public:
  RunEditor(Database& db, Day day)
      : day_(day),
        insert_(db.prepare("INSERT INTO usage_runs (series_id, first_day, last_day, quantity) "
                           "VALUES (?, ?, ?, ?)")),
        set_last_(db.prepare("UPDATE usage_runs SET last_day = ? WHERE series_id = ? AND "
                             "first_day = ?")),
        set_first_(db.prepare("UPDATE usage_runs SET first_day = ? WHERE series_id = ? AND "
                              "first_day = ?")),
        erase_(db.prepare("DELETE FROM usage_runs WHERE series_id = ? AND first_day = ?")) {}

  // Gives `day` the quantity q, merging with equal neighbours.
  void add(int64_t sid, double q, const std::optional<UsageRun>& prev,
           const std::optional<UsageRun>& next) {
    bool merge_prev = prev && same_quantity(prev->quantity, q);
    bool merge_next = next && same_quantity(next->quantity, q);
    if (merge_prev && merge_next) {
      erase_.bind(1, sid).bind(2, next->first_day).run();
      set_last_.bind(1, next->last_day).bind(2, sid).bind(3, prev->first_day).run();
    } else if (merge_prev) {
      set_last_.bind(1, day_).bind(2, sid).bind(3, prev->first_day).run();
    } else if (merge_next) {
      set_first_.bind(1, day_).bind(2, sid).bind(3, next->first_day).run();
    } else {
      insert_.bind(1, sid).bind(2, day_).bind(3, day_).bind(4, q).run();
    }
  }

  // Takes `day` out of run c; returns the pieces left before and after it.
  std::pair<std::optional<UsageRun>, std::optional<UsageRun>> remove(int64_t sid,
                                                                     const UsageRun& c) {
    std::optional<UsageRun> left, right;
    if (c.first_day == day_ && c.last_day == day_) {
      erase_.bind(1, sid).bind(2, c.first_day).run();
    } else if (c.first_day == day_) {
      set_first_.bind(1, day_ + 1).bind(2, sid).bind(3, c.first_day).run();
      right = UsageRun{day_ + 1, c.last_day, c.quantity};
    } else if (c.last_day == day_) {
      set_last_.bind(1, day_ - 1).bind(2, sid).bind(3, c.first_day).run();
      left = UsageRun{c.first_day, day_ - 1, c.quantity};
    } else {
      set_last_.bind(1, day_ - 1).bind(2, sid).bind(3, c.first_day).run();
      insert_.bind(1, sid).bind(2, day_ + 1).bind(3, c.last_day).bind(4, c.quantity).run();
      left = UsageRun{c.first_day, day_ - 1, c.quantity};
      right = UsageRun{day_ + 1, c.last_day, c.quantity};
    }
    return {left, right};
  }

 private:
  Day day_;
  Statement insert_, set_last_, set_first_, erase_;
};

}  // namespace

void UsageStore::upsert_customers(const std::string& source, Day day,
                                  const std::vector<VendorCustomer>& customers) {
  Statement s = db_.prepare(
      "INSERT INTO vendor_customers (source, customer_id, name, first_seen_day, last_seen_day) "
      "VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (source, customer_id) DO UPDATE SET "
      "name = CASE WHEN excluded.last_seen_day >= last_seen_day AND excluded.name <> '' "
      "THEN excluded.name ELSE name END, "
      "first_seen_day = min(first_seen_day, excluded.first_seen_day), "
      "last_seen_day = max(last_seen_day, excluded.last_seen_day)");
  for (const auto& c : customers) {
    s.bind(1, source).bind(2, c.id).bind(3, c.name.empty() ? c.id : c.name).bind(4, day).run();
  }
}

void UsageStore::upsert_products(const std::string& source,
                                 const std::vector<VendorProduct>& products) {
  Statement s = db_.prepare(
      "INSERT INTO vendor_products (source, sku, name) VALUES (?, ?, ?) "
      "ON CONFLICT (source, sku) DO UPDATE SET name = excluded.name WHERE excluded.name <> ''");
  for (const auto& p : products) {
    s.bind(1, source).bind(2, p.sku).bind(3, p.name.empty() ? p.sku : p.name).run();
  }
}

DayChanges UsageStore::store_day(const std::string& source, Day day,
                                 const std::vector<UsageRecord>& records,
                                 const std::vector<SeriesKey>& rejected, int64_t run_id) {
  DayChanges changes;
  Transaction transaction(db_);
  {
    Statement s = db_.prepare("SELECT 1 FROM collections WHERE source = ? AND day = ?");
    s.bind(1, source).bind(2, day);
    changes.first_collection = !s.step();
  }

  // The catalog learns every customer and product the day mentions, in the same transaction.
  {
    std::vector<VendorCustomer> customers;
    std::vector<VendorProduct> products;
    std::unordered_set<std::string> seen_customers, seen_products;
    for (const UsageRecord& r : records) {
      if (seen_customers.insert(r.customer_id).second) {
        customers.push_back({source, r.customer_id, r.customer_name});
      }
      if (seen_products.insert(r.sku).second) products.push_back({source, r.sku, r.product_name});
    }
    upsert_customers(source, day, customers);
    upsert_products(source, products);
  }

  // Series ids of this source, cached for the life of the store object: a series row is never
  // deleted, so an id never changes. Ids given inside this transaction leave the cache again if
  // it rolls back.
  std::unordered_map<std::string, int64_t>& ids = series_ids(source);
  std::vector<std::string> fresh_keys;
  struct Forget {
    std::unordered_map<std::string, int64_t>& ids;
    std::vector<std::string>& keys;
    bool committed = false;
    ~Forget() {
      if (!committed) {
        for (const auto& k : keys) ids.erase(k);
      }
    }
  } forget{ids, fresh_keys};
  Statement new_series = db_.prepare(
      "INSERT INTO usage_series (source, customer_id, sku, metric) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (source, customer_id, sku, metric) DO NOTHING");
  Statement find_series = db_.prepare(
      "SELECT id FROM usage_series WHERE source = ? AND customer_id = ? AND sku = ? AND "
      "metric = ?");

  // The runs around the day: containing it, ending the day before, starting the day after.
  std::unordered_map<int64_t, Nearby> nearby;
  {
    // Three primary-key seeks per series, whatever the length of its history: the last run
    // starting on or before the day (it covers the day or ends the day before), the last one
    // starting before the day if it ends the day before, and the run starting the day after.
    Statement s = db_.prepare(
        "SELECT s.id, r.first_day, r.last_day, r.quantity FROM usage_series s "
        "JOIN usage_runs r ON r.series_id = s.id AND r.first_day = (SELECT max(x.first_day) "
        "FROM usage_runs x WHERE x.series_id = s.id AND x.first_day <= ?2) "
        "WHERE s.source = ?1 AND r.last_day >= ?2 - 1 "
        "UNION ALL "
        "SELECT s.id, r.first_day, r.last_day, r.quantity FROM usage_series s "
        "JOIN usage_runs r ON r.series_id = s.id AND r.first_day = (SELECT max(x.first_day) "
        "FROM usage_runs x WHERE x.series_id = s.id AND x.first_day <= ?2 - 1) "
        "WHERE s.source = ?1 AND r.last_day = ?2 - 1 "
        "UNION ALL "
        "SELECT s.id, r.first_day, r.last_day, r.quantity FROM usage_series s "
        "JOIN usage_runs r ON r.series_id = s.id AND r.first_day = ?2 + 1 WHERE s.source = ?1");
    s.bind(1, source).bind(2, day);
    while (s.step()) {
      UsageRun run{static_cast<Day>(s.int64(1)), static_cast<Day>(s.int64(2)), s.real(3)};
      Nearby& n = nearby[s.int64(0)];
      if (run.first_day <= day && run.last_day >= day) {
        n.cover = run;
      } else if (run.last_day == day - 1) {
        n.prev = run;
      } else if (run.first_day == day + 1) {
        n.next = run;
      }
    }
  }

  RunEditor editor(db_, day);
  std::unordered_map<int64_t, double> reported;  // series -> quantity of the day
  reported.reserve(records.size());
  for (const UsageRecord& r : records) {
    if (!(r.quantity >= 0) || !std::isfinite(r.quantity)) {
      throw std::invalid_argument("quantity of customer " + r.customer_id + " sku " + r.sku +
                                  " is not a non-negative number");
    }
    std::string key = series_key(r.customer_id, r.sku, r.metric);
    auto it = ids.find(key);
    if (it == ids.end()) {
      new_series.bind(1, source).bind(2, r.customer_id).bind(3, r.sku).bind(4, r.metric).run();
      int64_t id = db_.last_insert_rowid();
      if (db_.changes() == 0) {  // another process added it since the cache was loaded
        find_series.bind(1, source).bind(2, r.customer_id).bind(3, r.sku).bind(4, r.metric);
        find_series.step();
        id = find_series.int64(0);
        find_series.reset();
      }
      fresh_keys.push_back(key);
      it = ids.emplace(std::move(key), id).first;
    }
    int64_t sid = it->second;
    auto [seen, first_time] = reported.try_emplace(sid, r.quantity);
    if (!first_time) {
      if (same_quantity(seen->second, r.quantity)) continue;  // the same record twice
      throw std::invalid_argument("two records for customer " + r.customer_id + ", sku " + r.sku +
                                  ", metric " + r.metric + " on one day with different quantities");
    }
    auto found = nearby.find(sid);
    if (found == nearby.end()) {
      editor.add(sid, r.quantity, std::nullopt, std::nullopt);
      ++changes.added;
      continue;
    }
    const Nearby& n = found->second;
    if (!n.cover) {
      editor.add(sid, r.quantity, n.prev, n.next);
      ++changes.added;
    } else if (same_quantity(n.cover->quantity, r.quantity)) {
      ++changes.unchanged;
    } else {
      auto [left, right] = editor.remove(sid, *n.cover);
      editor.add(sid, r.quantity, left ? left : n.prev, right ? right : n.next);
      ++changes.changed;
    }
  }

  std::unordered_set<int64_t> keep;
  for (const SeriesKey& k : rejected) {
    auto it = ids.find(series_key(k.customer_id, k.sku, k.metric));
    if (it != ids.end()) keep.insert(it->second);
  }
  for (const auto& [sid, n] : nearby) {
    if (!n.cover || reported.count(sid) != 0) continue;
    if (keep.count(sid) != 0) {
      ++changes.kept;
      continue;
    }
    editor.remove(sid, *n.cover);
    ++changes.removed;
  }

  Statement c = db_.prepare(
      "INSERT INTO collections (source, day, run_id, collected_at, records, rejected) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (source, day) DO UPDATE SET "
      "run_id = ?3, collected_at = ?4, records = ?5, rejected = ?6");
  c.bind(1, source)
      .bind(2, day)
      .bind(3, run_id)
      .bind(4, utc_now_iso())
      .bind(5, static_cast<int64_t>(records.size()))
      .bind(6, static_cast<int64_t>(rejected.size()))
      .run();
  transaction.commit();
  forget.committed = true;
  return changes;
}

std::unordered_map<std::string, int64_t>& UsageStore::series_ids(const std::string& source) {
  auto [it, fresh] = series_ids_.try_emplace(source);
  if (fresh) {
    Statement s =
        db_.prepare("SELECT id, customer_id, sku, metric FROM usage_series WHERE source = ?");
    s.bind(1, source);
    while (s.step()) it->second.emplace(series_key(s.text(1), s.text(2), s.text(3)), s.int64(0));
  }
  return it->second;
}

std::vector<SeriesUsage> UsageStore::usage_between(Day from, Day to) {
  Statement s = db_.prepare(
      "SELECT r.series_id, s.source, s.customer_id, s.sku, s.metric, r.first_day, r.last_day, "
      "r.quantity FROM usage_runs r JOIN usage_series s ON s.id = r.series_id "
      "WHERE r.last_day >= ?1 AND r.first_day <= ?2 ORDER BY r.series_id, r.first_day");
  s.bind(1, from).bind(2, to);
  std::vector<SeriesUsage> out;
  int64_t current = -1;
  while (s.step()) {
    int64_t sid = s.int64(0);
    if (sid != current) {
      out.push_back(SeriesUsage{s.text(1), s.text(2), s.text(3), s.text(4), {}});
      current = sid;
    }
    out.back().runs.push_back(
        UsageRun{static_cast<Day>(s.int64(5)), static_cast<Day>(s.int64(6)), s.real(7)});
  }
  return out;
}

std::vector<Day> UsageStore::collected_days(const std::string& source, Day from, Day to) {
  Statement s = db_.prepare(
      "SELECT day FROM collections WHERE source = ? AND day BETWEEN ? AND ? ORDER BY day");
  s.bind(1, source).bind(2, from).bind(3, to);
  std::vector<Day> out;
  while (s.step()) out.push_back(static_cast<Day>(s.int64(0)));
  return out;
}

std::optional<double> UsageStore::value_on(const std::string& source, const SeriesKey& key,
                                           Day day) {
  Statement s = db_.prepare(
      "SELECT r.quantity FROM usage_runs r JOIN usage_series s ON s.id = r.series_id "
      "WHERE s.source = ? AND s.customer_id = ? AND s.sku = ? AND s.metric = ? "
      "AND r.first_day <= ?5 AND r.last_day >= ?5");
  s.bind(1, source).bind(2, key.customer_id).bind(3, key.sku).bind(4, key.metric).bind(5, day);
  if (!s.step()) return std::nullopt;
  return s.real(0);
}

std::vector<VendorCustomer> UsageStore::customers(const std::string& source) {
  Statement s = db_.prepare(
      "SELECT source, customer_id, name FROM vendor_customers WHERE ?1 = '' OR source = ?1 "
      "ORDER BY source, name, customer_id");
  s.bind(1, source);
  std::vector<VendorCustomer> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2)});
  return out;
}

std::vector<VendorProduct> UsageStore::products(const std::string& source) {
  Statement s = db_.prepare(
      "SELECT source, sku, name FROM vendor_products WHERE ?1 = '' OR source = ?1 "
      "ORDER BY source, sku");
  s.bind(1, source);
  std::vector<VendorProduct> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2)});
  return out;
}

std::vector<std::string> UsageStore::metrics_of(const std::string& source, const std::string& sku) {
  Statement s = db_.prepare(
      "SELECT DISTINCT metric FROM usage_series WHERE source = ? AND sku = ? ORDER BY metric");
  s.bind(1, source).bind(2, sku);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

int64_t UsageStore::run_count() {
  Statement s = db_.prepare("SELECT count(*) FROM usage_runs");
  s.step();
  return s.int64(0);
}

}  // namespace meterbridge::host::store
