#include "store/insights_store.hpp"

#include "store/clock.hpp"

namespace meterbridge::host::store {

std::optional<std::string> InsightsStore::last_run() {
  Statement s = db_.prepare("SELECT value FROM meta WHERE key = 'insights_last_run'");
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

std::set<std::pair<std::string, std::string>> InsightsStore::known_customers() {
  Statement s = db_.prepare("SELECT source, customer_id FROM insights_known");
  std::set<std::pair<std::string, std::string>> out;
  while (s.step()) out.emplace(s.text(0), s.text(1));
  return out;
}

void InsightsStore::record_run() {
  Transaction t(db_);
  db_.exec(
      "INSERT OR IGNORE INTO insights_known (source, customer_id) "
      "SELECT source, customer_id FROM vendor_customers");
  Statement s = db_.prepare(
      "INSERT INTO meta (key, value) VALUES ('insights_last_run', ?1) "
      "ON CONFLICT (key) DO UPDATE SET value = ?1");
  s.bind(1, utc_now_iso()).run();
  t.commit();
}

std::vector<JournalEntry> InsightsStore::open_findings(const std::string& status) {
  Statement s = db_.prepare(
      "SELECT j.psa, j.company_id, j.line_id, j.period, j.desired_qty, j.before_qty, j.message "
      "FROM journal j WHERE j.id IN (SELECT id FROM (SELECT id, status, ROW_NUMBER() OVER "
      "(PARTITION BY psa, company_id, line_id, period ORDER BY id DESC) AS n FROM journal "
      "WHERE entry = 'outcome') WHERE n = 1 AND status = ?1) "
      "AND NOT (?1 = 'held' AND EXISTS (SELECT 1 FROM journal a WHERE a.entry = 'approval' AND "
      "a.psa = j.psa AND a.company_id = j.company_id AND a.line_id = j.line_id AND "
      "a.period = j.period AND a.id > j.id)) "
      "ORDER BY j.period, j.psa, j.company_id, j.line_id");
  s.bind(1, status);
  std::vector<JournalEntry> out;
  while (s.step()) {
    JournalEntry e;
    e.psa = s.text(0);
    e.company_id = s.text(1);
    e.line_id = s.text(2);
    e.period = s.text(3);
    e.desired_qty = s.optional_real(4);
    e.before_qty = s.optional_real(5);
    e.message = s.text(6);
    e.status = status;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace meterbridge::host::store
