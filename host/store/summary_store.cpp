#include "store/summary_store.hpp"

#include "store/clock.hpp"

namespace meterbridge::host::store {

namespace {

constexpr const char* kColumns =
    "SELECT id, psa, company_id, kind, period, state, created_at, sent_at, attempts, "
    "coalesce(delivery, ''), coalesce(ref, ''), coalesce(summary, ''), coalesce(message, '') "
    "FROM summaries ";

SummaryRecord read_row(const Statement& s) {
  SummaryRecord r;
  r.id = s.int64(0);
  r.psa = s.text(1);
  r.company_id = s.text(2);
  r.kind = s.text(3);
  r.period = s.text(4);
  r.state = s.text(5);
  r.created_at = s.text(6);
  r.sent_at = s.optional_text(7);
  r.attempts = s.int64(8);
  r.delivery = s.text(9);
  r.ref = s.text(10);
  r.summary = s.text(11);
  r.message = s.text(12);
  return r;
}

}  // namespace

std::optional<SummaryRecord> SummaryStore::find(const std::string& psa,
                                                const std::string& company_id,
                                                const std::string& kind,
                                                const std::string& period) {
  Statement s = db_.prepare(std::string(kColumns) +
                            "WHERE psa = ? AND company_id = ? AND kind = ? AND period = ?");
  s.bind(1, psa).bind(2, company_id).bind(3, kind).bind(4, period);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

SummaryRecord SummaryStore::begin(const std::string& psa, const std::string& company_id,
                                  const std::string& kind, const std::string& period) {
  Transaction t(db_);
  Statement s = db_.prepare(
      "INSERT INTO summaries (psa, company_id, kind, period, state, created_at) "
      "VALUES (?, ?, ?, ?, 'intent', ?) ON CONFLICT (psa, company_id, kind, period) DO UPDATE "
      "SET attempts = attempts + 1, state = 'intent', message = NULL WHERE state <> 'sent'");
  s.bind(1, psa).bind(2, company_id).bind(3, kind).bind(4, period).bind(5, utc_now_iso()).run();
  auto r = find(psa, company_id, kind, period);
  t.commit();
  return *r;
}

void SummaryStore::mark_sent(int64_t id, const std::string& delivery, const std::string& ref,
                             const std::string& summary) {
  Statement s = db_.prepare(
      "UPDATE summaries SET state = 'sent', sent_at = ?, delivery = ?, ref = ?, summary = ?, "
      "message = NULL WHERE id = ?");
  s.bind(1, utc_now_iso()).bind(2, delivery).bind(3, ref).bind(4, summary).bind(5, id).run();
}

void SummaryStore::mark_failed(int64_t id, const std::string& message) {
  Statement s = db_.prepare(
      "UPDATE summaries SET state = 'failed', message = ? WHERE id = ? AND state <> 'sent'");
  s.bind(1, message).bind(2, id).run();
}

std::vector<SummaryRecord> SummaryStore::list(const std::string& kind, int64_t limit) {
  Statement s =
      db_.prepare(std::string(kColumns) + "WHERE (? = '' OR kind = ?) ORDER BY id DESC LIMIT ?");
  s.bind(1, kind).bind(2, kind).bind(3, limit);
  std::vector<SummaryRecord> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

}  // namespace meterbridge::host::store
