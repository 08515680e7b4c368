#include "engine/sink_sync.hpp"

#include <cmath>
#include <map>
#include <meterbridge/plugin.hpp>

namespace meterbridge::host::engine {
namespace {

using nlohmann::json;

bool same(double a, double b) {
  return std::fabs(a - b) < 1e-9;
}

json optional_number(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}
std::optional<double> number_or_absent(const json& j, const char* field) {
  if (!j.contains(field) || j[field].is_null()) return std::nullopt;
  if (!j[field].is_number()) throw std::runtime_error(std::string(field) + " is not a number");
  return j[field].get<double>();
}

json line_address(const std::string& key, const std::string& company, const std::string& line,
                  const std::string& period, Day start, Day end) {
  return {{"key", key},
          {"company_id", company},
          {"line_id", line},
          {"period", period},
          {"period_start", format_iso_date(start)},
          {"period_end", format_iso_date(end)}};
}

// Calls op and returns its "lines" answers by key; throws with the sink's message on failure.
std::map<std::string, json> call_lines(const SinkCall& call, const std::string& psa,
                                       const std::string& op, const json& lines) {
  CallResult r = call(op, {{"lines", lines}});
  if (!r.ok()) {
    throw std::runtime_error("sink '" + psa + "' " + op + " failed (" + status_name(r.status) +
                             "): " + r.text);
  }
  json answer;
  try {
    answer = json::parse(r.text);
  } catch (const json::exception& e) {
    throw std::runtime_error("sink '" + psa + "' answered " + op +
                             " with invalid JSON: " + e.what());
  }
  if (!answer.contains("lines") || !answer["lines"].is_array()) {
    throw std::runtime_error("sink '" + psa + "' answered " + op + " without a 'lines' array");
  }
  std::map<std::string, json> by_key;
  for (const auto& l : answer["lines"]) {
    if (l.is_object() && l.contains("key") && l["key"].is_string()) {
      by_key[l["key"].get<std::string>()] = l;
    }
  }
  return by_key;
}

json provenance(const PlanLine& l) {
  json sources = json::array();
  for (const auto& s : l.sources) sources.push_back(plan_source_to_json(s));
  return {{"method", l.method},
          {"measured", l.measured},
          {"included", l.included},
          {"sources", sources}};
}

store::JournalEntry entry_for(const PlanLine& l, int64_t run_id, const char* kind) {
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

}  // namespace

SyncReport sync_sink(store::BillingStore& store, const Plan& plan, const std::string& psa,
                     const SinkCall& call, const SyncOptions& options, int64_t run_id) {
  SyncReport report;
  report.psa = psa;
  store::JournalStore& journal = store.journal();

  std::vector<const PlanLine*> lines;
  for (const auto& l : plan.lines) {
    if (l.psa == psa) lines.push_back(&l);
  }
  std::vector<store::JournalEntry> pending;
  for (auto& p : journal.pending_intents()) {
    if (p.psa == psa) pending.push_back(std::move(p));
  }

  // 1. Read what the PSA holds for every planned line and every interrupted intent.
  json read_request = json::array();
  for (size_t i = 0; i < lines.size(); ++i) {
    const PlanLine& l = *lines[i];
    read_request.push_back(line_address(std::to_string(i), l.company_id, l.line_id, l.period,
                                        l.dates.start, l.dates.end));
  }
  for (const auto& p : pending) {
    read_request.push_back(line_address("intent-" + std::to_string(p.id), p.company_id, p.line_id,
                                        p.period, p.period_start, p.period_end));
  }
  auto fail_all = [&](const std::string& message) {
    for (const PlanLine* l : lines) {
      report.lines.push_back({l->psa, l->company_id, l->company_name, l->line_id, l->period,
                              std::nullopt, l->quantity, std::nullopt, "error", message, ""});
      ++report.errors;
    }
    return report;
  };
  if (read_request.empty()) return report;
  std::map<std::string, json> state;
  try {
    state = call_lines(call, psa, "read", read_request);
  } catch (const std::exception& e) {
    return fail_all(e.what());
  }

  // 2. Complete interrupted intents: the PSA's state is the truth of what happened.
  if (!options.dry_run) {
    for (const auto& p : pending) {
      auto it = state.find("intent-" + std::to_string(p.id));
      if (it == state.end() || it->second.contains("error")) continue;
      store::JournalEntry e = p;
      e.run_id = run_id;
      e.entry = "recovered";
      e.intent_id = p.id;
      e.before_qty = p.before_qty;
      e.after_qty = number_or_absent(it->second, "quantity").value_or(0);
      e.status = "ok";
      e.action = "none";
      e.ref = it->second.value("ref", "");
      e.message = "run " + std::to_string(p.run_id) +
                  " stopped between intent and outcome; the PSA was read again";
      journal.append(e);
      ++report.recovered;
    }
  }

  // 3. Decide per line.
  struct Write {
    size_t index;
    std::optional<double> before;
    int64_t intent_id = 0;
  };
  std::vector<Write> writes;
  std::vector<SyncLineResult> results(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const PlanLine& l = *lines[i];
    SyncLineResult& r = results[i];
    r = {l.psa,
         l.company_id,
         l.company_name,
         l.line_id,
         l.period,
         std::nullopt,
         l.quantity,
         std::nullopt,
         "",
         "",
         ""};
    auto it = state.find(std::to_string(i));
    if (it == state.end()) {
      r.action = "error";
      r.message = "the sink did not report this line";
      continue;
    }
    const json& s = it->second;
    if (s.contains("error")) {
      r.action = "error";
      r.message = s["error"].is_string() ? s["error"].get<std::string>() : s["error"].dump();
      continue;
    }
    try {
      r.before = number_or_absent(s, "quantity");
    } catch (const std::exception& e) {
      r.action = "error";
      r.message = std::string("the sink's read answer is wrong: ") + e.what();
      continue;
    }
    r.ref = s.value("ref", "");
    const double held_now = r.before.value_or(0);
    if (same(held_now, l.quantity)) {
      r.action = "none";
      r.after = r.before;
      if (!options.dry_run) {
        // Record what the PSA holds when it is news, so the report knows the billed quantity
        // without a journal row per unchanged line per run.
        auto known = journal.last_known(l.psa, l.company_id, l.line_id, l.period);
        if (!known || !known->after_qty || !same(*known->after_qty, held_now)) {
          store::JournalEntry e = entry_for(l, run_id, "outcome");
          e.before_qty = r.before;
          e.after_qty = held_now;
          e.action = "none";
          e.status = "ok";
          e.ref = r.ref;
          e.message = "the PSA already holds the planned quantity";
          journal.append(e);
        }
      }
      continue;
    }
    bool decrease = held_now > 0 && l.quantity < held_now;
    bool to_zero = decrease && same(l.quantity, 0);
    bool steep =
        decrease && (held_now - l.quantity) / held_now * 100.0 > options.hold_decrease_percent;
    if (to_zero || steep) {
      auto approval = journal.last_approval(l.psa, l.company_id, l.line_id, l.period);
      if (!approval || !approval->desired_qty || !same(*approval->desired_qty, l.quantity)) {
        r.action = "held";
        r.after = r.before;
        r.message = to_zero ? "drop to zero held for approval"
                            : "decrease of more than " +
                                  std::to_string(static_cast<int>(options.hold_decrease_percent)) +
                                  "% held for approval";
        r.message += " (meterbridge approve --period " + l.period + " --company " + l.company_id +
                     " --line " + l.line_id + ")";
        ++report.held;
        if (!options.dry_run) {
          auto last = journal.latest(l.psa, l.company_id, l.line_id, l.period);
          if (!last || last->action != "held" || !last->desired_qty ||
              !same(*last->desired_qty, l.quantity)) {
            store::JournalEntry e = entry_for(l, run_id, "outcome");
            e.before_qty = r.before;
            e.after_qty = r.before;
            e.action = "held";
            e.status = "held";
            e.message = r.message;
            journal.append(e);
          }
        }
        continue;
      }
    }
    r.action = !r.before ? "create" : same(l.quantity, 0) ? "cancel" : "update";
    r.after = l.quantity;
    writes.push_back({i, r.before, 0});
  }

  if (options.dry_run || writes.empty()) {
    for (auto& r : results) {
      if (r.action == "error") ++report.errors;
    }
    report.lines = std::move(results);
    return report;
  }

  // 4. Intents, committed before the sink writes anything.
  {
    store::Transaction t(store.db());
    for (Write& w : writes) {
      const PlanLine& l = *lines[w.index];
      store::JournalEntry e = entry_for(l, run_id, "intent");
      e.before_qty = w.before;
      e.action = results[w.index].action;
      e.ref = results[w.index].ref;
      e.provenance = provenance(l).dump();
      w.intent_id = journal.append(e);
    }
    t.commit();
  }
  report.writes = static_cast<int64_t>(writes.size());

  // 5. The sink writes; 6. outcomes.
  json apply_request = json::array();
  for (const Write& w : writes) {
    const PlanLine& l = *lines[w.index];
    json a = line_address(std::to_string(w.index), l.company_id, l.line_id, l.period, l.dates.start,
                          l.dates.end);
    a["quantity"] = l.quantity;
    a["expected_quantity"] = optional_number(w.before);
    a["effective_date"] = format_iso_date(l.dates.start);
    a["intent_id"] = w.intent_id;
    a["unit_price"] = optional_number(l.unit_price);
    apply_request.push_back(std::move(a));
  }
  std::map<std::string, json> applied;
  std::string apply_error;
  try {
    applied = call_lines(call, psa, "apply", apply_request);
  } catch (const std::exception& e) {
    apply_error = e.what();
  }
  store::Transaction t(store.db());
  for (const Write& w : writes) {
    const PlanLine& l = *lines[w.index];
    SyncLineResult& r = results[w.index];
    store::JournalEntry e = entry_for(l, run_id, "outcome");
    e.intent_id = w.intent_id;
    e.before_qty = w.before;
    auto it = applied.find(std::to_string(w.index));
    if (it == applied.end() || it->second.value("action", "error") == "error") {
      r.action = "error";
      r.after.reset();
      r.message = !apply_error.empty()  ? apply_error
                  : it == applied.end() ? "the sink did not report this line"
                                        : it->second.value("message", "write failed");
      e.action = "error";
      e.status = "error";
      e.message = r.message;
    } else {
      const json& a = it->second;
      try {
        r.before = number_or_absent(a, "before");
        r.after = number_or_absent(a, "after");
        r.action = a.value("action", r.action);
        r.ref = a.value("ref", r.ref);
        r.message = a.value("message", "");
        e.before_qty = r.before;
        e.after_qty = r.after;
        e.action = r.action;
        e.status = "ok";
        e.ref = r.ref;
        e.message = r.message;
        if (a.contains("delta") && a["delta"].is_number()) {
          e.message += (e.message.empty() ? "" : "; ") + std::string("delta ") + a["delta"].dump();
        }
      } catch (const std::exception& ex) {
        r.action = "error";
        r.message = std::string("the sink's apply answer is wrong: ") + ex.what();
        e.action = "error";
        e.status = "error";
        e.message = r.message;
      }
    }
    journal.append(e);
  }
  t.commit();
  for (auto& r : results) {
    if (r.action == "error") ++report.errors;
  }
  report.lines = std::move(results);
  return report;
}

int64_t approve_lines(store::BillingStore& store, const Plan& plan, const std::string& company_id,
                      const std::string& line_id, int64_t run_id) {
  int64_t n = 0;
  store::Transaction t(store.db());
  for (const auto& l : plan.lines) {
    if (!company_id.empty() && l.company_id != company_id) continue;
    if (!line_id.empty() && l.line_id != line_id) continue;
    store::JournalEntry e = entry_for(l, run_id, "approval");
    e.status = "ok";
    e.action = "approve";
    e.message = "approved by the operator";
    e.provenance = provenance(l).dump();
    store.journal().append(e);
    ++n;
  }
  t.commit();
  return n;
}

nlohmann::json sync_report_to_json(const SyncReport& report) {
  json lines = json::array();
  for (const auto& r : report.lines) {
    lines.push_back({{"psa", r.psa},
                     {"company", r.company_id},
                     {"company_name", r.company_name},
                     {"line", r.line_id},
                     {"period", r.period},
                     {"before", optional_number(r.before)},
                     {"planned", r.planned},
                     {"after", optional_number(r.after)},
                     {"action", r.action},
                     {"message", r.message},
                     {"ref", r.ref}});
  }
  return {{"psa", report.psa},   {"lines", lines},          {"writes", report.writes},
          {"held", report.held}, {"errors", report.errors}, {"recovered", report.recovered}};
}

}  // namespace meterbridge::host::engine
