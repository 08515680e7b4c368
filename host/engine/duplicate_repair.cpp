#include "engine/duplicate_repair.hpp"

#include <nlohmann/json.hpp>

#include "engine/sink_answers.hpp"
#include "store/agreement_store.hpp"

namespace meterbridge::host::engine {

using nlohmann::json;

std::vector<store::JournalEntry> open_duplicates(store::BillingStore& store,
                                                 const std::string& period,
                                                 const std::string& company_id,
                                                 const std::string& line_id) {
  std::vector<store::JournalEntry> out;
  for (auto& d : store.journal().open_duplicates(period)) {
    if (!company_id.empty() && d.company_id != company_id) continue;
    if (!line_id.empty() && d.line_id != line_id) continue;
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

DuplicateRepair repair_of(const store::JournalEntry& f) {
  DuplicateRepair r;
  r.psa = f.psa;
  r.company_id = f.company_id;
  r.line_id = f.line_id;
  r.period = f.period;
  r.kept = f.ref;
  return r;
}

// Reads one answer line of remove_duplicates into r.
void read_answer(const json& a, DuplicateRepair& r) {
  r.action = a.value("action", "error");
  r.message = a.value("message", "");
  if (a.contains("kept") && a["kept"].is_string()) r.kept = a["kept"].get<std::string>();
  for (const json& d : a.value("removed", json::array())) {
    const double q = sink_number(d, "quantity").value_or(0);
    r.removed.push_back(d.value("ref", "?") + " (" + json(q).dump() + ")");
    r.removed_quantity += q;
  }
  if (r.action != "removed" && r.action != "none" && r.action != "error") {
    r.message = "the sink answered action '" + r.action + "'";
    r.action = "error";
  }
}

}  // namespace

std::vector<DuplicateRepair> repair_duplicates(store::BillingStore& store,
                                               const std::vector<store::JournalEntry>& findings,
                                               const std::string& psa, const SinkCall& call,
                                               bool dry_run, int64_t run_id) {
  std::vector<DuplicateRepair> out;
  json request = json::array();
  const store::TargetMap targets = store::AgreementStore(store.db()).targets_of(psa);
  for (size_t i = 0; i < findings.size(); ++i) {
    const store::JournalEntry& f = findings[i];
    out.push_back(repair_of(f));
    if (dry_run) {
      out.back().action = "would-remove";
      out.back().message = f.message;
      continue;
    }
    request.push_back(sink_line_address(std::to_string(i), f.company_id, f.line_id, f.period,
                                        f.period_start, f.period_end,
                                        targets.of(f.company_id, f.line_id)));
  }
  if (dry_run || request.empty()) return out;

  std::map<std::string, json> answers;
  std::string failure;
  try {
    answers = call_sink_lines(call, psa, "remove_duplicates", request);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  store::Transaction t(store.db());
  for (size_t i = 0; i < findings.size(); ++i) {
    const store::JournalEntry& f = findings[i];
    DuplicateRepair& r = out[i];
    auto it = answers.find(std::to_string(i));
    if (!failure.empty() || it == answers.end()) {
      r.action = "error";
      r.message = failure.empty() ? "the sink did not report this line" : failure;
    } else {
      read_answer(it->second, r);
    }
    if (r.action == "error" && r.removed.empty()) continue;  // nothing changed in the PSA
    store::JournalEntry e = f;
    e.id = 0;
    e.run_id = run_id;
    e.entry = "outcome";
    e.action = "remove-duplicate";
    e.status = r.action == "error" ? "duplicate" : "ok";  // partly done: still open
    e.ref = r.kept;
    e.intent_id.reset();
    std::string list;
    for (const auto& x : r.removed) list += (list.empty() ? "" : ", ") + x;
    e.message = r.removed.empty() ? "no duplicate left in the PSA; kept " + r.kept
                                  : "removed duplicate(s) " + list + "; kept " + r.kept;
    if (!r.message.empty()) e.message += "; " + r.message;
    e.provenance = json{{"removed", r.removed}, {"removed_quantity", r.removed_quantity}}.dump();
    store.journal().append(e);
  }
  t.commit();
  return out;
}

}  // namespace meterbridge::host::engine
