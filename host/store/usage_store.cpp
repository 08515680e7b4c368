#include "store/usage_store.hpp"

#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "store/clock.hpp"

namespace meterbridge::host::store {

// The last run (greatest first_day) of each series of a source, kept between days so that the
// usual collect of the next day needs no query to find the runs around it.
struct Tails {
  bool valid = false;
  int64_t generation = -1;  // the source's usage generation the tails match
  Day max_first = std::numeric_limits<Day>::min();
  std::unordered_map<int64_t, UsageRun> last;
};

namespace {

std::string hint_to_json(const PsaHint& h) {
  nlohmann::json j = {{"psa", h.psa}, {"company_id", h.company_id}};
  if (!h.company_name.empty()) j["company_name"] = h.company_name;
  return j.dump();
}

// A hint the store cannot read (hand-edited) is treated as none rather than failing listings.
std::optional<PsaHint> hint_from_json(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.value("psa", nlohmann::json()).is_string() ||
      !j.value("company_id", nlohmann::json()).is_string()) {
    return std::nullopt;
  }
  return PsaHint{j["psa"].get<std::string>(), j["company_id"].get<std::string>(),
                 j.value("company_name", "")};
}

bool same_quantity(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(a));
}

// Writes the series key into `out`, reusing its buffer (no allocation per record).
void series_key_into(std::string& out, std::string_view customer, std::string_view sku,
                     std::string_view metric) {
  out.clear();
  out.append(customer).push_back('\x1f');
  out.append(sku).push_back('\x1f');
  out.append(metric);
}

std::string series_key(std::string_view customer, std::string_view sku, std::string_view metric) {
  std::string k;
  series_key_into(k, customer, sku, metric);
  return k;
}

struct Nearby {
  std::optional<UsageRun> cover;  // the run containing the day
  std::optional<UsageRun> prev;   // the run ending the day before
  std::optional<UsageRun> next;   // the run starting the day after
};

// The run edits of one day, on prepared statements reused for every series. Every edit also
// updates the tails; an edit it cannot follow marks them invalid (they are reloaded).
class RunEditor {
 public:
  RunEditor(Database& db, Day day, Tails& tails)
      : day_(day),
        tails_(tails),
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
      erase(sid, next->first_day);
      set_last(sid, prev->first_day, next->last_day);
    } else if (merge_prev) {
      set_last(sid, prev->first_day, day_);
    } else if (merge_next) {
      set_first(sid, next->first_day, day_);
    } else {
      insert(sid, {day_, day_, q});
    }
  }

  // Takes `day` out of run c; returns the pieces left before and after it.
  std::pair<std::optional<UsageRun>, std::optional<UsageRun>> remove(int64_t sid,
                                                                     const UsageRun& c) {
    std::optional<UsageRun> left, right;
    if (c.first_day == day_ && c.last_day == day_) {
      erase(sid, c.first_day);
    } else if (c.first_day == day_) {
      set_first(sid, c.first_day, day_ + 1);
      right = UsageRun{day_ + 1, c.last_day, c.quantity};
    } else if (c.last_day == day_) {
      set_last(sid, c.first_day, day_ - 1);
      left = UsageRun{c.first_day, day_ - 1, c.quantity};
    } else {
      set_last(sid, c.first_day, day_ - 1);
      insert(sid, {day_ + 1, c.last_day, c.quantity});
      left = UsageRun{c.first_day, day_ - 1, c.quantity};
      right = UsageRun{day_ + 1, c.last_day, c.quantity};
    }
    return {left, right};
  }

 private:
  void insert(int64_t sid, UsageRun run) {
    insert_.bind(1, sid).bind(2, run.first_day).bind(3, run.last_day).bind(4, run.quantity).run();
    auto [it, fresh] = tails_.last.try_emplace(sid, run);
    if (!fresh && run.first_day >= it->second.first_day) it->second = run;
    tails_.max_first = std::max(tails_.max_first, run.first_day);
  }
  void set_last(int64_t sid, Day first, Day last) {
    set_last_.bind(1, last).bind(2, sid).bind(3, first).run();
    auto it = tails_.last.find(sid);
    if (it != tails_.last.end() && it->second.first_day == first) it->second.last_day = last;
  }
  void set_first(int64_t sid, Day old_first, Day new_first) {
    set_first_.bind(1, new_first).bind(2, sid).bind(3, old_first).run();
    auto it = tails_.last.find(sid);
    if (it != tails_.last.end() && it->second.first_day == old_first) {
      it->second.first_day = new_first;
    }
    tails_.max_first = std::max(tails_.max_first, new_first);
  }
  void erase(int64_t sid, Day first) {
    erase_.bind(1, sid).bind(2, first).run();
    auto it = tails_.last.find(sid);
    if (it != tails_.last.end() && it->second.first_day == first) tails_.valid = false;
  }

  Day day_;
  Tails& tails_;
  Statement insert_, set_last_, set_first_, erase_;
};

}  // namespace

void UsageStore::upsert_customers(const std::string& source, Day day,
                                  const std::vector<VendorCustomer>& customers, bool set_hints) {
  Statement s = db_.prepare(
      std::string("INSERT INTO vendor_customers (source, customer_id, name, first_seen_day, "
                  "last_seen_day, psa_hint) VALUES (?1, ?2, ?3, ?4, ?4, ?5) ON CONFLICT (source, "
                  "customer_id) DO UPDATE SET "
                  "name = CASE WHEN excluded.last_seen_day >= last_seen_day AND excluded.name <> "
                  "'' THEN excluded.name ELSE name END, "
                  "first_seen_day = min(first_seen_day, excluded.first_seen_day), "
                  "last_seen_day = max(last_seen_day, excluded.last_seen_day)") +
      (set_hints ? ", psa_hint = excluded.psa_hint" : ""));
  for (const auto& c : customers) {
    std::optional<std::string> hint;
    if (set_hints && c.psa_hint) hint = hint_to_json(*c.psa_hint);
    s.bind(1, source)
        .bind(2, c.id)
        .bind(3, c.name.empty() ? c.id : c.name)
        .bind(4, day)
        .bind(5, hint)
        .run();
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
  std::vector<UsageRecordView> views;
  views.reserve(records.size());
  for (const UsageRecord& r : records) {
    views.push_back({r.customer_id, r.customer_name, r.sku, r.product_name, r.metric, r.quantity});
  }
  return store_day(source, day, views, rejected, run_id);
}

DayChanges UsageStore::store_day(const std::string& source, Day day,
                                 const std::vector<UsageRecordView>& records,
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
    std::unordered_set<std::string_view> seen_customers, seen_products;
    for (const UsageRecordView& r : records) {
      if (seen_customers.insert(r.customer_id).second) {
        customers.push_back({source, std::string(r.customer_id), std::string(r.customer_name)});
      }
      if (seen_products.insert(r.sku).second) {
        products.push_back({source, std::string(r.sku), std::string(r.product_name)});
      }
    }
    upsert_customers(source, day, customers);
    upsert_products(source, products);
  }

  // Series ids and run tails of this source, cached for the life of the store object. A series
  // row is never deleted, so an id never changes; the tails are checked against the source's
  // usage generation, which every stored day bumps (another process may have written). If the
  // transaction rolls back, ids given in it are forgotten and the tails are reloaded.
  std::unordered_map<std::string, int64_t>& ids = series_ids(source);
  Tails& tails = tails_of(source);
  std::vector<std::string> fresh_keys;
  struct Forget {
    std::unordered_map<std::string, int64_t>& ids;
    std::vector<std::string>& keys;
    Tails& tails;
    bool committed = false;
    ~Forget() {
      if (committed) return;
      for (const auto& k : keys) ids.erase(k);
      tails.valid = false;
    }
  } forget{ids, fresh_keys, tails};
  const std::string generation_key = "usage_generation/" + source;
  int64_t generation = 0;
  {
    Statement g = db_.prepare("SELECT value FROM meta WHERE key = ?");
    g.bind(1, generation_key);
    if (g.step()) generation = std::stoll(g.text(0));
  }
  if (!tails.valid || tails.generation != generation) load_tails(source, tails);
  // The usual case, the day after every stored run started: the tails say all about the day.
  const bool from_tails = day > tails.max_first;

  // Otherwise (a late day, a re-collected day) the runs around the day come from the store.
  std::unordered_map<int64_t, Nearby> nearby;
  if (!from_tails) {
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
  auto around = [&](int64_t sid) -> Nearby {
    Nearby n;
    if (from_tails) {
      auto t = tails.last.find(sid);
      if (t == tails.last.end()) return n;
      if (t->second.last_day >= day) {
        n.cover = t->second;
      } else if (t->second.last_day == day - 1) {
        n.prev = t->second;
      }
      return n;
    }
    auto f = nearby.find(sid);
    return f == nearby.end() ? n : f->second;
  };

  Statement new_series = db_.prepare(
      "INSERT INTO usage_series (source, customer_id, sku, metric) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (source, customer_id, sku, metric) DO NOTHING");
  Statement find_series = db_.prepare(
      "SELECT id FROM usage_series WHERE source = ? AND customer_id = ? AND sku = ? AND "
      "metric = ?");
  RunEditor editor(db_, day, tails);
  // The quantity each series reported today, by series id (ids are dense): -1 for none.
  std::vector<double> reported(static_cast<size_t>(max_series_id_) + records.size() + 1, -1.0);
  auto was_reported = [&](int64_t sid) {
    return static_cast<size_t>(sid) < reported.size() && reported[static_cast<size_t>(sid)] >= 0;
  };
  std::string key;
  for (const UsageRecordView& r : records) {
    if (!(r.quantity >= 0) || !std::isfinite(r.quantity)) {
      throw std::invalid_argument("quantity of customer " + std::string(r.customer_id) + " sku " +
                                  std::string(r.sku) + " is not a non-negative number");
    }
    series_key_into(key, r.customer_id, r.sku, r.metric);
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
      it = ids.emplace(key, id).first;
      max_series_id_ = std::max(max_series_id_, id);
      if (static_cast<size_t>(id) >= reported.size()) {
        reported.resize(static_cast<size_t>(id) + records.size() + 1, -1.0);
      }
    }
    int64_t sid = it->second;
    double& today = reported[static_cast<size_t>(sid)];
    if (today >= 0) {
      if (same_quantity(today, r.quantity)) continue;  // the same record twice
      throw std::invalid_argument("two records for customer " + std::string(r.customer_id) +
                                  ", sku " + std::string(r.sku) + ", metric " +
                                  std::string(r.metric) + " on one day with different quantities");
    }
    today = r.quantity;
    const Nearby n = around(sid);
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

  // Series with a snapshot on the day that the source no longer reports lose it, unless a
  // rejected row names them.
  std::unordered_set<int64_t> keep;
  for (const SeriesKey& k : rejected) {
    series_key_into(key, k.customer_id, k.sku, k.metric);
    if (auto found = ids.find(key); found != ids.end()) keep.insert(found->second);
  }
  std::vector<std::pair<int64_t, UsageRun>> gone;
  auto consider = [&](int64_t sid, const std::optional<UsageRun>& cover) {
    if (!cover || was_reported(sid)) return;
    if (keep.count(sid) != 0) {
      ++changes.kept;
    } else {
      gone.emplace_back(sid, *cover);
    }
  };
  if (from_tails) {
    for (const auto& [sid, t] : tails.last) {
      if (t.first_day <= day && t.last_day >= day) consider(sid, t);
    }
  } else {
    for (const auto& [sid, n] : nearby) consider(sid, n.cover);
  }
  for (const auto& [sid, cover] : gone) {
    editor.remove(sid, cover);
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
  Statement bump = db_.prepare(
      "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2");
  bump.bind(1, generation_key).bind(2, std::to_string(generation + 1)).run();
  transaction.commit();
  forget.committed = true;
  // The query path edits runs the tails do not hold; reload them next time.
  if (!from_tails) tails.valid = false;
  tails.generation = generation + 1;
  return changes;
}

UsageStore::UsageStore(Database& db) : db_(db) {}
UsageStore::~UsageStore() = default;

Tails& UsageStore::tails_of(const std::string& source) {
  auto [it, fresh] = tails_.try_emplace(source, nullptr);
  if (fresh) it->second = std::make_unique<Tails>();
  return *it->second;
}

void UsageStore::load_tails(const std::string& source, Tails& tails) {
  tails.last.clear();
  tails.max_first = std::numeric_limits<Day>::min();
  Statement s = db_.prepare(
      "SELECT s.id, r.first_day, r.last_day, r.quantity FROM usage_series s "
      "JOIN usage_runs r ON r.series_id = s.id AND r.first_day = (SELECT max(x.first_day) "
      "FROM usage_runs x WHERE x.series_id = s.id) WHERE s.source = ?");
  s.bind(1, source);
  while (s.step()) {
    UsageRun run{static_cast<Day>(s.int64(1)), static_cast<Day>(s.int64(2)), s.real(3)};
    tails.last.emplace(s.int64(0), run);
    tails.max_first = std::max(tails.max_first, run.first_day);
  }
  Statement g = db_.prepare("SELECT value FROM meta WHERE key = ?");
  g.bind(1, "usage_generation/" + source);
  tails.generation = g.step() ? std::stoll(g.text(0)) : 0;
  tails.valid = true;
}

std::unordered_map<std::string, int64_t>& UsageStore::series_ids(const std::string& source) {
  auto [it, fresh] = series_ids_.try_emplace(source);
  if (fresh) {
    Statement s =
        db_.prepare("SELECT id, customer_id, sku, metric FROM usage_series WHERE source = ?");
    s.bind(1, source);
    while (s.step()) {
      it->second.emplace(series_key(s.text(1), s.text(2), s.text(3)), s.int64(0));
      max_series_id_ = std::max(max_series_id_, s.int64(0));
    }
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
      "SELECT source, customer_id, name, psa_hint FROM vendor_customers "
      "WHERE ?1 = '' OR source = ?1 ORDER BY source, name, customer_id");
  s.bind(1, source);
  std::vector<VendorCustomer> out;
  while (s.step()) {
    out.push_back({s.text(0), s.text(1), s.text(2), hint_from_json(s.optional_text(3))});
  }
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
