#include "store/journal_store.hpp"

#include "services/redactor.hpp"
#include "store/clock.hpp"

namespace meterbridge::host::store {
namespace {

constexpr const char* kColumns =
    "SELECT id, run_id, at, entry, psa, company_id, line_id, period, period_start, period_end, "
    "before_qty, desired_qty, after_qty, action, status, ref, message, provenance, intent_id "
    "FROM journal ";

JournalEntry read_entry(const Statement& s) {
  JournalEntry e;
  e.id = s.int64(0);
  e.run_id = s.int64(1);
  e.at = s.text(2);
  e.entry = s.text(3);
  e.psa = s.text(4);
  e.company_id = s.text(5);
  e.line_id = s.text(6);
  e.period = s.text(7);
  e.period_start = static_cast<int32_t>(s.int64(8));
  e.period_end = static_cast<int32_t>(s.int64(9));
  e.before_qty = s.optional_real(10);
  e.desired_qty = s.optional_real(11);
  e.after_qty = s.optional_real(12);
  e.action = s.text(13);
  e.status = s.text(14);
  e.ref = s.text(15);
  e.message = s.text(16);
  e.provenance = s.text(17);
  e.intent_id = s.optional_int64(18);
  return e;
}

}  // namespace

std::optional<JournalEntry> JournalStore::latest_where(const std::string& condition,
                                                       const std::string& psa,
                                                       const std::string& company_id,
                                                       const std::string& line_id,
                                                       const std::string& period) {
  Statement s = db_.prepare(std::string(kColumns) + "WHERE " + condition +
                            " AND psa = ? AND company_id = ? AND line_id = ? AND period = ? "
                            "ORDER BY id DESC LIMIT 1");
  s.bind(1, psa).bind(2, company_id).bind(3, line_id).bind(4, period);
  if (!s.step()) return std::nullopt;
  return read_entry(s);
}

int64_t JournalStore::begin_run(const std::string& command) {
  Statement s =
      db_.prepare("INSERT INTO runs (command, started_at, status) VALUES (?, ?, 'running')");
  s.bind(1, command).bind(2, utc_now_iso()).run();
  return db_.last_insert_rowid();
}

void JournalStore::finish_run(int64_t run_id, const std::string& status,
                              const std::string& summary_json) {
  Statement s =
      db_.prepare("UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?");
  s.bind(1, utc_now_iso())
      .bind(2, status)
      .bind(3, Redactor::global().redact_json(summary_json))
      .bind(4, run_id)
      .run();
}

std::vector<RunInfo> JournalStore::runs(int64_t limit) {
  Statement s = db_.prepare(
      "SELECT id, command, started_at, finished_at, status, coalesce(summary, '') FROM runs "
      "ORDER BY id DESC LIMIT ?");
  s.bind(1, limit);
  std::vector<RunInfo> out;
  while (s.step()) {
    out.push_back({s.int64(0), s.text(1), s.text(2), s.optional_text(3), s.text(4), s.text(5)});
  }
  return out;
}

int64_t JournalStore::append(JournalEntry e) {
  // The texts come from plugins (already redacted where the host received them) and from the
  // engine; redacted again here so that the journal, which outlives every run, never holds a
  // secret whatever path a text took.
  const Redactor& redactor = Redactor::global();
  e.ref = redactor.redact(e.ref);
  e.message = redactor.redact(e.message);
  e.provenance = redactor.redact_json(std::move(e.provenance));
  Statement s = db_.prepare(
      "INSERT INTO journal (run_id, at, entry, psa, company_id, line_id, period, period_start, "
      "period_end, before_qty, desired_qty, after_qty, action, status, ref, message, provenance, "
      "intent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, e.run_id)
      .bind(2, utc_now_iso())
      .bind(3, e.entry)
      .bind(4, e.psa)
      .bind(5, e.company_id)
      .bind(6, e.line_id)
      .bind(7, e.period)
      .bind(8, e.period_start)
      .bind(9, e.period_end)
      .bind(10, e.before_qty)
      .bind(11, e.desired_qty)
      .bind(12, e.after_qty)
      .bind(13, e.action)
      .bind(14, e.status)
      .bind(15, e.ref)
      .bind(16, e.message)
      .bind(17, e.provenance)
      .bind(18, e.intent_id)
      .run();
  return db_.last_insert_rowid();
}

std::vector<JournalEntry> JournalStore::entries(const Filter& f) {
  Statement s = db_.prepare(std::string(kColumns) +
                            "WHERE (?1 = '' OR period = ?1) AND (?2 = '' OR company_id = ?2) "
                            "AND (?3 = '' OR line_id = ?3) AND (?4 = 0 OR run_id = ?4) "
                            "ORDER BY id LIMIT CASE WHEN ?5 > 0 THEN ?5 ELSE -1 END");
  s.bind(1, f.period).bind(2, f.company_id).bind(3, f.line_id).bind(4, f.run_id).bind(5, f.limit);
  std::vector<JournalEntry> out;
  while (s.step()) out.push_back(read_entry(s));
  return out;
}

std::vector<JournalEntry> JournalStore::pending_intents() {
  Statement s = db_.prepare(std::string(kColumns) +
                            "WHERE entry = 'intent' AND NOT EXISTS (SELECT 1 FROM journal o "
                            "WHERE o.intent_id = journal.id) ORDER BY id");
  std::vector<JournalEntry> out;
  while (s.step()) out.push_back(read_entry(s));
  return out;
}

std::optional<JournalEntry> JournalStore::last_known(const std::string& psa,
                                                     const std::string& company_id,
                                                     const std::string& line_id,
                                                     const std::string& period) {
  return latest_where(
      "entry IN ('outcome', 'recovered') AND status = 'ok' AND after_qty IS NOT NULL", psa,
      company_id, line_id, period);
}

std::optional<JournalEntry> JournalStore::latest(const std::string& psa,
                                                 const std::string& company_id,
                                                 const std::string& line_id,
                                                 const std::string& period) {
  return latest_where("1 = 1", psa, company_id, line_id, period);
}

std::optional<JournalEntry> JournalStore::latest_outcome(const std::string& psa,
                                                         const std::string& company_id,
                                                         const std::string& line_id,
                                                         const std::string& period) {
  return latest_where("entry = 'outcome'", psa, company_id, line_id, period);
}

namespace {
// An intent is settled by an outcome of its own that is not 'uncertain'.
constexpr const char* kUnsettled =
    "NOT EXISTS (SELECT 1 FROM journal o WHERE o.intent_id = journal.id AND o.entry = 'outcome' "
    "AND o.status <> 'uncertain')";
}  // namespace

void JournalStore::set_unsettled_time(JournalEntry& intent) {
  Statement s = db_.prepare(
      "SELECT max(at) FROM journal WHERE id = ?1 OR (intent_id = ?1 AND entry = 'outcome')");
  s.bind(1, intent.id);
  if (s.step() && s.optional_text(0)) intent.at = *s.optional_text(0);
}

std::optional<JournalEntry> JournalStore::unsettled_create(const std::string& psa,
                                                           const std::string& company_id,
                                                           const std::string& line_id,
                                                           const std::string& period) {
  std::optional<JournalEntry> intent =
      latest_where(std::string("entry = 'intent' AND action = 'create' AND ") + kUnsettled, psa,
                   company_id, line_id, period);
  if (intent) set_unsettled_time(*intent);
  return intent;
}

std::optional<JournalEntry> JournalStore::unsettled_write(const std::string& psa,
                                                          const std::string& company_id,
                                                          const std::string& line_id,
                                                          const std::string& period) {
  // Only the latest write counts: a later settled write was decided from a fresh read that
  // already showed whether the earlier one had landed.
  std::optional<JournalEntry> intent =
      latest_where("entry = 'intent' AND action IN ('create', 'update', 'cancel')", psa, company_id,
                   line_id, period);
  if (!intent) return intent;
  Statement s = db_.prepare(std::string("SELECT 1 FROM journal WHERE id = ? AND ") + kUnsettled);
  s.bind(1, intent->id);
  if (!s.step()) return std::nullopt;
  set_unsettled_time(*intent);
  return intent;
}

std::vector<JournalEntry> JournalStore::open_duplicates(const std::string& period) {
  Statement s = db_.prepare(
      std::string(kColumns) +
      "WHERE id IN (SELECT id FROM (SELECT id, status, ROW_NUMBER() OVER (PARTITION BY psa, "
      "company_id, line_id ORDER BY id DESC) AS n FROM journal WHERE entry = 'outcome' AND "
      "period = ?) WHERE n = 1 AND status = 'duplicate') ORDER BY psa, company_id, line_id");
  s.bind(1, period);
  std::vector<JournalEntry> out;
  while (s.step()) out.push_back(read_entry(s));
  return out;
}

std::vector<JournalEntry> JournalStore::last_known_lines(const std::string& period) {
  Statement s = db_.prepare(
      std::string(kColumns) +
      "WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY psa, company_id, "
      "line_id ORDER BY period DESC, id DESC) AS n FROM journal WHERE entry IN ('outcome', "
      "'recovered') AND status = 'ok' AND after_qty IS NOT NULL AND period <= ?) WHERE n = 1) "
      "ORDER BY psa, company_id, line_id");
  s.bind(1, period);
  std::vector<JournalEntry> out;
  while (s.step()) out.push_back(read_entry(s));
  return out;
}

std::optional<JournalEntry> JournalStore::last_approval(const std::string& psa,
                                                        const std::string& company_id,
                                                        const std::string& line_id,
                                                        const std::string& period) {
  return latest_where("entry = 'approval'", psa, company_id, line_id, period);
}

}  // namespace meterbridge::host::store
