// The journal of summaries sent to a PSA (`meterbridge summaries`): one row per (sink, company,
// kind, period). The row is written before the sink is asked and its id is the intent the sink
// marks the ticket with; a retry after a crash or a failure reuses that id, so the sink finds
// the ticket it may already have opened instead of opening a second one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite_db.hpp"

namespace meterbridge::host::store {

struct SummaryRecord {
  int64_t id = 0;  // the intent id
  std::string psa;
  std::string company_id;
  std::string kind;    // detection or executive
  std::string period;  // a day, a week "START..END" or a month YYYY-MM
  std::string state;   // intent (asked, no answer recorded), sent, failed
  std::string created_at;
  std::optional<std::string> sent_at;
  int64_t attempts = 1;
  std::string delivery;  // ticket or management_report (sent)
  std::string ref;       // the PSA object's id (sent)
  std::string summary;   // the ticket summary as written (sent)
  std::string message;   // why it failed (failed)
};

class SummaryStore {
 public:
  explicit SummaryStore(Database& db) : db_(db) {}

  std::optional<SummaryRecord> find(const std::string& psa, const std::string& company_id,
                                    const std::string& kind, const std::string& period);
  // The intent to send: a new row, or one more attempt on an unsent one (same id). Must not be
  // called for a summary already sent.
  SummaryRecord begin(const std::string& psa, const std::string& company_id,
                      const std::string& kind, const std::string& period);
  void mark_sent(int64_t id, const std::string& delivery, const std::string& ref,
                 const std::string& summary);
  void mark_failed(int64_t id, const std::string& message);
  // Newest first; kind "" for all.
  std::vector<SummaryRecord> list(const std::string& kind, int64_t limit);

 private:
  Database& db_;
};

}  // namespace meterbridge::host::store
