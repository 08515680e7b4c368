// What a sync reports and records beside the sync itself: approvals of held lines, the JSON
// report and the per-line delta, and the journal entries for plan lines (sink_journal.hpp).
#include "engine/sink_journal.hpp"
#include "engine/sink_sync.hpp"

namespace meterbridge::host::engine {

using nlohmann::json;

json line_provenance(const PlanLine& l) {
  json sources = json::array();
  for (const auto& s : l.sources) sources.push_back(plan_source_to_json(s));
  return {{"method", l.method},
          {"rounding", l.rounding},
          {"measured", l.measured},
          {"included", l.included},
          {"sources", sources}};
}

store::JournalEntry journal_entry_for(const PlanLine& l, int64_t run_id, const char* kind) {
  store::JournalEntry e;
  e.run_id = run_id;
  e.entry = kind;
  e.psa = l.psa;
  e.company_id = l.company_id;
  e.line_id = l.line_id;
  e.period = l.period;
  e.period_start = l.dates.start;
  e.period_end = l.dates.end;
  e.desired_qty = l.quantity;
  return e;
}

int64_t approve_lines(store::BillingStore& store, const Plan& plan, const std::string& company_id,
                      const std::string& line_id, int64_t run_id) {
  int64_t n = 0;
  store::Transaction t(store.db());
  for (const auto& l : plan.lines) {
    if (!company_id.empty() && l.company_id != company_id) continue;
    if (!line_id.empty() && l.line_id != line_id) continue;
    store::JournalEntry e = journal_entry_for(l, run_id, "approval");
    e.status = "ok";
    e.action = "approve";
    e.message = "approved by the operator";
    e.provenance = line_provenance(l).dump();
    store.journal().append(e);
    ++n;
  }
  t.commit();
  return n;
}

std::optional<double> sync_line_delta(const SyncLineResult& r) {
  if (r.action == "create" || r.action == "update" || r.action == "cancel") {
    // A write: what it changed (a create starts from nothing).
    if (!r.after) return std::nullopt;
    return *r.after - r.before.value_or(0);
  }
  if (r.action == "error" || r.action == "not-attempted") {
    // The read may have failed: a missing `before` is then unknown, not "no line".
    if (!r.before) return std::nullopt;
    return r.planned - *r.before;
  }
  // none, held, pending, duplicate: what a write would change.
  return r.planned - r.before.value_or(0);
}

nlohmann::json sync_report_to_json(const SyncReport& report) {
  auto optional_number = [](const std::optional<double>& v) {
    return v ? json(*v) : json(nullptr);
  };
  json lines = json::array();
  for (const auto& r : report.lines) {
    lines.push_back({{"psa", r.psa},
                     {"company", r.company_id},
                     {"company_name", r.company_name},
                     {"line", r.line_id},
                     {"period", r.period},
                     {"before", optional_number(r.before)},
                     {"delta", optional_number(sync_line_delta(r))},
                     {"planned", r.planned},
                     {"after", optional_number(r.after)},
                     {"action", r.action},
                     {"message", r.message},
                     {"ref", r.ref}});
  }
  return {{"psa", report.psa},
          {"lines", lines},
          {"writes", report.writes},
          {"held", report.held},
          {"errors", report.errors},
          {"recovered", report.recovered},
          {"pending", report.pending},
          {"duplicates", report.duplicates},
          {"not_attempted", report.not_attempted},
          {"stopped", report.stopped.empty() ? json(nullptr) : json(report.stopped)}};
}

}  // namespace meterbridge::host::engine
