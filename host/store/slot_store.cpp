#include "store/slot_store.hpp"

#include "store/clock.hpp"

namespace meterbridge::host::store {
namespace {

constexpr const char* kColumns =
    "job, slot, due_at, started_at, finished_at, result, attempts, duration_ms, detail";

SlotRecord read_record(Statement& s) {
  SlotRecord r;
  r.job = s.text(0);
  r.slot = s.text(1);
  r.due_at = s.text(2);
  r.started_at = s.text(3);
  r.finished_at = s.optional_text(4);
  r.result = s.optional_text(5);
  r.attempts = s.int64(6);
  r.duration_ms = s.optional_int64(7);
  r.detail = s.optional_text(8).value_or("");
  return r;
}

}  // namespace

std::optional<SlotRecord> SlotStore::find(const std::string& job, const std::string& slot) {
  Statement s = db_.prepare(std::string("SELECT ") + kColumns +
                            " FROM service_slots WHERE job = ?1 AND slot = ?2");
  s.bind(1, job).bind(2, slot);
  if (!s.step()) return std::nullopt;
  return read_record(s);
}

void SlotStore::start(const std::string& job, const std::string& slot, const std::string& due_at) {
  Statement s = db_.prepare(
      "INSERT INTO service_slots (job, slot, due_at, started_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (job, slot) DO UPDATE SET started_at = ?4, finished_at = NULL, "
      "result = NULL, duration_ms = NULL, attempts = attempts + 1");
  s.bind(1, job).bind(2, slot).bind(3, due_at).bind(4, utc_now_iso()).run();
}

void SlotStore::finish(const std::string& job, const std::string& slot, const std::string& result,
                       int64_t duration_ms, const std::string& detail) {
  Statement s = db_.prepare(
      "UPDATE service_slots SET finished_at = ?3, result = ?4, duration_ms = ?5, detail = ?6 "
      "WHERE job = ?1 AND slot = ?2");
  s.bind(1, job).bind(2, slot).bind(3, utc_now_iso()).bind(4, result).bind(5, duration_ms);
  s.bind(6, detail).run();
}

std::vector<SlotRecord> SlotStore::latest(const std::string& job, int64_t limit) {
  Statement s = db_.prepare(std::string("SELECT ") + kColumns +
                            " FROM service_slots WHERE job = ?1 ORDER BY slot DESC LIMIT ?2");
  s.bind(1, job).bind(2, limit);
  std::vector<SlotRecord> out;
  while (s.step()) out.push_back(read_record(s));
  return out;
}

std::vector<std::pair<std::string, int64_t>> SlotStore::result_counts(const std::string& job) {
  Statement s = db_.prepare(
      "SELECT result, COUNT(*) FROM service_slots WHERE job = ?1 AND result IS NOT NULL "
      "GROUP BY result ORDER BY result");
  s.bind(1, job);
  std::vector<std::pair<std::string, int64_t>> out;
  while (s.step()) out.emplace_back(s.text(0), s.int64(1));
  return out;
}

std::string SlotStore::first_start(const std::string& now_iso) {
  Statement put = db_.prepare(
      "INSERT INTO meta (key, value) VALUES ('service_first_start', ?1) "
      "ON CONFLICT (key) DO NOTHING");
  put.bind(1, now_iso).run();
  Statement s = db_.prepare("SELECT value FROM meta WHERE key = 'service_first_start'");
  s.step();
  return s.text(0);
}

}  // namespace meterbridge::host::store
