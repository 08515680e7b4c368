// Repairing duplicates: a sync found several owned PSA lines for one (company, line) (a create
// whose answer was lost landed beside a second one, say) and journaled it. This asks the sink to
// remove the extra ones it created itself (remove_duplicates, PROTOCOL.md section 6) and
// journals what was removed. Lines the sink did not create are never candidates.
#pragma once

#include <string>
#include <vector>

#include "engine/sink_sync.hpp"
#include "store/billing_store.hpp"

namespace meterbridge::host::engine {

struct DuplicateRepair {
  std::string psa;
  std::string company_id;
  std::string line_id;
  std::string period;
  std::string kept;                  // the owned line kept
  std::vector<std::string> removed;  // "ref (quantity)" of each removed duplicate
  double removed_quantity = 0;
  std::string action;  // removed, none (already gone), would-remove (dry run), error
  std::string message;
};

// The open duplicate findings of `period` (latest outcome per line), filtered by company and
// line ("" = all).
std::vector<store::JournalEntry> open_duplicates(store::BillingStore& store,
                                                 const std::string& period,
                                                 const std::string& company_id,
                                                 const std::string& line_id);

// Removes the duplicates of `findings` (all of PSA `psa`) through `call` and journals one
// outcome per line (action remove-duplicate). dry_run: calls nothing, journals nothing.
std::vector<DuplicateRepair> repair_duplicates(store::BillingStore& store,
                                               const std::vector<store::JournalEntry>& findings,
                                               const std::string& psa, const SinkCall& call,
                                               bool dry_run, int64_t run_id);

}  // namespace meterbridge::host::engine
