// The billing store's schema, as numbered migrations applied in order and recorded in
// PRAGMA user_version. A migration is never edited once released; a change is a new one.
#include "store/schema.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace meterbridge::host::store {
namespace {

// Days are integers (days since 1970-01-01); instants are ISO-8601 UTC text.
constexpr const char* kMigration1 = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- What sources reported, as discovered (names are the latest seen).
CREATE TABLE vendor_customers (
  source TEXT NOT NULL, customer_id TEXT NOT NULL, name TEXT NOT NULL,
  first_seen_day INTEGER NOT NULL, last_seen_day INTEGER NOT NULL,
  PRIMARY KEY (source, customer_id)) WITHOUT ROWID;
CREATE TABLE vendor_products (
  source TEXT NOT NULL, sku TEXT NOT NULL, name TEXT NOT NULL,
  PRIMARY KEY (source, sku)) WITHOUT ROWID;

-- Daily usage, kept exact but compact: one row per run of days with the same quantity for a
-- series (source, customer, sku, metric). Days not covered by any run had no snapshot.
CREATE TABLE usage_series (
  id INTEGER PRIMARY KEY, source TEXT NOT NULL, customer_id TEXT NOT NULL,
  sku TEXT NOT NULL, metric TEXT NOT NULL,
  UNIQUE (source, customer_id, sku, metric));
CREATE TABLE usage_runs (
  series_id INTEGER NOT NULL REFERENCES usage_series(id),
  first_day INTEGER NOT NULL, last_day INTEGER NOT NULL, quantity REAL NOT NULL,
  CHECK (last_day >= first_day), CHECK (quantity >= 0),
  PRIMARY KEY (series_id, first_day)) WITHOUT ROWID;
-- No index on last_day: extending a run by a day rewrites last_day, and keeping such an index
-- current tripled the cost of a collect; reads scan the runs, which stay few.

-- Which (source, day) were collected, so gaps can be told from zero usage.
CREATE TABLE collections (
  source TEXT NOT NULL, day INTEGER NOT NULL, run_id INTEGER NOT NULL REFERENCES runs(id),
  collected_at TEXT NOT NULL, records INTEGER NOT NULL, rejected INTEGER NOT NULL,
  PRIMARY KEY (source, day)) WITHOUT ROWID;

-- The PSA side, as discovered from sinks or entered by hand (psa = sink instance or 'manual').
CREATE TABLE psa_companies (
  psa TEXT NOT NULL, company_id TEXT NOT NULL, name TEXT NOT NULL, origin TEXT NOT NULL,
  PRIMARY KEY (psa, company_id)) WITHOUT ROWID;
CREATE TABLE psa_lines (
  psa TEXT NOT NULL, line_id TEXT NOT NULL, name TEXT NOT NULL, unit_price REAL,
  origin TEXT NOT NULL,
  PRIMARY KEY (psa, line_id)) WITHOUT ROWID;

-- Mappings. A vendor customer maps to at most one PSA company; a company may have many.
CREATE TABLE customer_map (
  source TEXT NOT NULL, customer_id TEXT NOT NULL, psa TEXT NOT NULL, company_id TEXT NOT NULL,
  how TEXT NOT NULL CHECK (how IN ('auto', 'manual')), mapped_at TEXT NOT NULL,
  PRIMARY KEY (source, customer_id),
  FOREIGN KEY (source, customer_id) REFERENCES vendor_customers (source, customer_id),
  FOREIGN KEY (psa, company_id) REFERENCES psa_companies (psa, company_id)) WITHOUT ROWID;
-- A product mapping whose line is NULL was removed: its sync is off until mapped again.
CREATE TABLE product_map (
  source TEXT NOT NULL, sku TEXT NOT NULL, metric TEXT NOT NULL DEFAULT '',
  psa TEXT, line_id TEXT, sync INTEGER NOT NULL CHECK (sync IN (0, 1)),
  method TEXT NOT NULL CHECK (method IN ('last', 'max', 'average', 'prorated')),
  tracking TEXT NOT NULL CHECK (tracking IN ('daily', 'monthly')),
  included REAL NOT NULL DEFAULT 0 CHECK (included >= 0),
  unit_price REAL CHECK (unit_price IS NULL OR unit_price >= 0),
  updated_at TEXT NOT NULL,
  CHECK ((line_id IS NULL) = (psa IS NULL)), CHECK (line_id IS NOT NULL OR sync = 0),
  PRIMARY KEY (source, sku),
  FOREIGN KEY (source, sku) REFERENCES vendor_products (source, sku),
  FOREIGN KEY (psa, line_id) REFERENCES psa_lines (psa, line_id)) WITHOUT ROWID;

-- Billing settings: key/value (billing_day, hold_decrease_percent) and per-company overrides.
CREATE TABLE billing_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE company_overrides (
  psa TEXT NOT NULL, company_id TEXT NOT NULL,
  billing_day INTEGER CHECK (billing_day IS NULL OR billing_day BETWEEN 1 AND 31),
  products TEXT,  -- JSON array of "source/sku" included; NULL: every mapped product
  PRIMARY KEY (psa, company_id),
  FOREIGN KEY (psa, company_id) REFERENCES psa_companies (psa, company_id)) WITHOUT ROWID;

CREATE TABLE runs (
  id INTEGER PRIMARY KEY, command TEXT NOT NULL, started_at TEXT NOT NULL,
  finished_at TEXT, status TEXT NOT NULL, summary TEXT);

-- The journal: append-only. An intent is written before a PSA write, its outcome after it;
-- approvals of held lines are journaled too.
CREATE TABLE journal (
  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), at TEXT NOT NULL,
  entry TEXT NOT NULL CHECK (entry IN ('intent', 'outcome', 'approval', 'recovered')),
  psa TEXT NOT NULL, company_id TEXT NOT NULL, line_id TEXT NOT NULL, period TEXT NOT NULL,
  period_start INTEGER NOT NULL, period_end INTEGER NOT NULL,
  before_qty REAL, desired_qty REAL, after_qty REAL,
  action TEXT, status TEXT, ref TEXT, message TEXT, provenance TEXT,
  intent_id INTEGER REFERENCES journal(id));
CREATE INDEX journal_line ON journal (psa, company_id, line_id, period);
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
  BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
  BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
)sql";

// Whole-unit rounding per product mapping; NULL: the method's default (up for prorated and
// average, none otherwise).
constexpr const char* kMigration2 = R"sql(
ALTER TABLE product_map ADD COLUMN rounding TEXT
  CHECK (rounding IS NULL OR rounding IN ('up', 'down', 'nearest', 'none'));
)sql";

// The operator's explicit target container per (sink instance, PSA company): an Autotask
// contract id or a ConnectWise agreement id that sinks must use instead of choosing the single
// active one. No foreign key to psa_companies: a target may be set before `discover` knows the
// company (the CLI warns).
constexpr const char* kMigration3 = R"sql(
CREATE TABLE psa_targets (
  psa TEXT NOT NULL, company_id TEXT NOT NULL, target TEXT NOT NULL CHECK (target <> ''),
  set_at TEXT NOT NULL,
  PRIMARY KEY (psa, company_id)) WITHOUT ROWID;
)sql";

// A source's own link of a customer to a PSA company (catalog.v1 `psa_hint`, as JSON
// {"psa", "company_id", "company_name"?}; NULL: none), replaced by every discover of the source.
// gone_since: when a sink's discover last left a discovered company out (deleted or made
// inactive in the PSA); NULL while the latest discover lists it. A hint to such a company is
// reported, never linked.
constexpr const char* kMigration4 = R"sql(
ALTER TABLE vendor_customers ADD COLUMN psa_hint TEXT;
ALTER TABLE psa_companies ADD COLUMN gone_since TEXT;
)sql";

// The vendor customers `meterbridge insights` has seen, so that its next run can tell the new
// ones; meta 'insights_last_run' holds when it last ran.
constexpr const char* kMigration5 = R"sql(
CREATE TABLE insights_known (
  source TEXT NOT NULL, customer_id TEXT NOT NULL,
  PRIMARY KEY (source, customer_id)) WITHOUT ROWID;
)sql";

// The service's schedule slots (`meterbridge serve`): one row per (job, local day), written when
// the job starts and again when it ends, so that a restart runs each missed slot once and never
// a finished one again. result NULL: started and not finished (the process stopped): it runs
// again. meta 'service_first_start' bounds the catch-up of a fresh install.
constexpr const char* kMigration6 = R"sql(
CREATE TABLE service_slots (
  job TEXT NOT NULL CHECK (job <> ''), slot TEXT NOT NULL CHECK (slot <> ''),
  due_at TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
  result TEXT CHECK (result IS NULL OR result IN ('ok', 'partial', 'failed', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  duration_ms INTEGER, detail TEXT,
  PRIMARY KEY (job, slot)) WITHOUT ROWID;
)sql";

// Issue 14. psa_agreements: the agreements (containers) a sink listed for a company, as the
// Verify on `map customer` or `psa agreements --refresh` loaded them; psa_agreement_loads tells
// "loaded, none" from "never loaded". psa_line_targets: the operator's agreement per (sink,
// company, PSA line), which wins over the company's psa_targets row; how = explicit (type and
// name or id) or default (the sink's Default candidate). summaries: one row per (sink, company,
// kind, period) summary; its id is the intent the sink marks its ticket with, so a retry after a
// crash finds the ticket instead of opening a second one.
constexpr const char* kMigration7 = R"sql(
CREATE TABLE psa_agreements (
  psa TEXT NOT NULL, company_id TEXT NOT NULL, id TEXT NOT NULL CHECK (id <> ''),
  name TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
  PRIMARY KEY (psa, company_id, id)) WITHOUT ROWID;
CREATE TABLE psa_agreement_loads (
  psa TEXT NOT NULL, company_id TEXT NOT NULL, loaded_at TEXT NOT NULL,
  PRIMARY KEY (psa, company_id)) WITHOUT ROWID;
CREATE TABLE psa_line_targets (
  psa TEXT NOT NULL, company_id TEXT NOT NULL, line_id TEXT NOT NULL,
  target TEXT NOT NULL CHECK (target <> ''),
  how TEXT NOT NULL CHECK (how IN ('explicit', 'default')),
  agreement_type TEXT NOT NULL, agreement_name TEXT NOT NULL, set_at TEXT NOT NULL,
  PRIMARY KEY (psa, company_id, line_id)) WITHOUT ROWID;
CREATE TABLE summaries (
  id INTEGER PRIMARY KEY,
  psa TEXT NOT NULL, company_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('detection', 'executive')),
  period TEXT NOT NULL CHECK (period <> ''),
  state TEXT NOT NULL CHECK (state IN ('intent', 'sent', 'failed')),
  created_at TEXT NOT NULL, sent_at TEXT, attempts INTEGER NOT NULL DEFAULT 1,
  delivery TEXT, ref TEXT, summary TEXT, message TEXT,
  UNIQUE (psa, company_id, kind, period));
)sql";

// Issue 15. journal_mark: the journal's last entry id when a target was set, so "was this write
// made under the target in force now" compares entry ids; set_at has whole seconds, and a sync
// and a `psa target` within one second were told apart wrongly. NULL for targets set before.
constexpr const char* kMigration8 = R"sql(
ALTER TABLE psa_targets ADD COLUMN journal_mark INTEGER;
ALTER TABLE psa_line_targets ADD COLUMN journal_mark INTEGER;
)sql";

constexpr std::array<const char*, 8> kMigrations = {kMigration1, kMigration2, kMigration3,
                                                    kMigration4, kMigration5, kMigration6,
                                                    kMigration7, kMigration8};

}  // namespace

int32_t schema_version() {
  return static_cast<int32_t>(kMigrations.size());
}

void migrate(Database& db) {
  migrate(db, schema_version());
}

void migrate(Database& db, int32_t up_to) {
  auto read_version = [&] {
    Statement s = db.prepare("PRAGMA user_version");
    s.step();
    return static_cast<int32_t>(s.int64(0));
  };
  int32_t current = read_version();
  if (current > schema_version()) {
    throw StoreError("billing store " + db.file().string() + " has schema version " +
                     std::to_string(current) + ", newer than this meterbridge knows (" +
                     std::to_string(schema_version()) + "): upgrade meterbridge");
  }
  for (int32_t v = current; v < std::min(up_to, schema_version()); ++v) {
    // Each migration and its version bump commit together: a crash leaves the old version.
    Transaction t(db);
    db.exec(kMigrations[static_cast<size_t>(v)]);
    db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    t.commit();
  }
}

}  // namespace meterbridge::host::store
