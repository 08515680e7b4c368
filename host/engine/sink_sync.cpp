// Reconciling a plan into one sink in three steps with their own names: read what the PSA
// holds (and complete interrupted intents), decide per line, write in small batches with an
// intent before and an outcome after each. See sink_sync.hpp and README "Billing rules".
#include "engine/sink_sync.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <meterbridge/plugin.hpp>

#include "engine/sink_answers.hpp"
#include "engine/sink_journal.hpp"
#include "services/host_clock.hpp"
#include "store/agreement_store.hpp"

namespace meterbridge::host::engine {
namespace {

using nlohmann::json;

bool same(double a, double b) {
  return std::fabs(a - b) < 1e-9;
}

std::string number_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// "2026-11-25T15:04:05Z" (the journal's `at`) in Unix milliseconds; 0 when unreadable.
int64_t instant_ms(const std::string& at) {
  std::optional<Day> d = at.size() >= 19 ? parse_iso_date(at.substr(0, 10)) : std::nullopt;
  int h = 0, m = 0, s = 0;
  if (!d || std::sscanf(at.c_str() + 11, "%2d:%2d:%2d", &h, &m, &s) != 3) return 0;
  return (static_cast<int64_t>(*d) * 86400 + h * 3600 + m * 60 + s) * 1000;
}

class SinkSync {
 public:
  SinkSync(store::BillingStore& store, const Plan& plan, const std::string& psa,
           const SinkCall& call, const SyncOptions& options, int64_t run_id)
      : store_(store),
        journal_(store.journal()),
        psa_(psa),
        call_(call),
        o_(options),
        run_(run_id) {
    report_.psa = psa;
    for (const auto& l : plan.lines) {
      if (l.psa == psa) lines_.push_back(&l);
    }
    for (auto& p : journal_.pending_intents()) {
      if (p.psa == psa) interrupted_.push_back(std::move(p));
    }
    delta_model_ = store.mapping().setting("quantity_model/" + psa).value_or("") == "delta";
    targets_ = store::AgreementStore(store.db()).targets_of(psa);
  }

  SyncReport run() {
    results_.resize(lines_.size());
    for (size_t i = 0; i < lines_.size(); ++i) results_[i] = blank_result(*lines_[i]);
    if (read_psa()) {
      if (!o_.dry_run) recover_interrupted();
      for (size_t i = 0; i < lines_.size(); ++i) decide(i);
      if (!o_.dry_run) write();
    }
    for (const auto& r : results_) {
      if (r.action == "error" || r.action == "duplicate" || r.action == "not-attempted") {
        ++report_.errors;
      }
      report_.pending += r.action == "pending";
      report_.duplicates += r.action == "duplicate";
      report_.not_attempted += r.action == "not-attempted";
    }
    report_.lines = std::move(results_);
    return std::move(report_);
  }

 private:
  struct Write {
    size_t index;
    std::optional<double> before;
    int64_t intent_id = 0;
  };

  static SyncLineResult blank_result(const PlanLine& l) {
    SyncLineResult r;
    r.psa = l.psa;
    r.company_id = l.company_id;
    r.company_name = l.company_name;
    r.line_id = l.line_id;
    r.period = l.period;
    r.planned = l.quantity;
    return r;
  }

  int64_t now_ms() const {
    if (o_.now_ms) return o_.now_ms();
    return std::chrono::duration_cast<std::chrono::milliseconds>(host_now().time_since_epoch())
        .count();
  }

  // 1. Read what the PSA holds for every planned line and every interrupted intent. False when
  // the read failed as a whole (every line is then an error).
  bool read_psa() {
    json request = json::array();
    for (size_t i = 0; i < lines_.size(); ++i) {
      const PlanLine& l = *lines_[i];
      request.push_back(sink_line_address(std::to_string(i), l.company_id, l.line_id, l.period,
                                          l.dates.start, l.dates.end,
                                          targets_.of(l.company_id, l.line_id)));
    }
    for (const auto& p : interrupted_) {
      request.push_back(sink_line_address("intent-" + std::to_string(p.id), p.company_id, p.line_id,
                                          p.period, p.period_start, p.period_end,
                                          targets_.of(p.company_id, p.line_id)));
    }
    if (request.empty()) return false;
    try {
      state_ = call_sink_lines(call_, psa_, "read", request);
      return true;
    } catch (const std::exception& e) {
      for (auto& r : results_) {
        r.action = "error";
        r.message = e.what();
      }
      return false;
    }
  }

  // 2. Complete interrupted intents: the PSA's state is the truth of what happened. The intent
  // stays unsettled (see decide_pending) until a later outcome settles it.
  void recover_interrupted() {
    for (const auto& p : interrupted_) {
      auto it = state_.find("intent-" + std::to_string(p.id));
      if (it == state_.end() || it->second.contains("error")) continue;
      store::JournalEntry e = p;
      e.run_id = run_;
      e.entry = "recovered";
      e.intent_id = p.id;
      e.before_qty = p.before_qty;
      e.after_qty = sink_number(it->second, "quantity").value_or(0);
      e.status = "ok";
      e.action = "none";
      e.ref = it->second.value("ref", "");
      e.message = "run " + std::to_string(p.run_id) +
                  " stopped between intent and outcome; the PSA was read again";
      journal_.append(e);
      ++report_.recovered;
    }
  }

  // Journals an outcome that records what a sync found, unless the line's latest outcome says
  // the same already (one row per change, not one per run).
  void journal_finding(const PlanLine& l, const SyncLineResult& r, const std::string& status,
                       const json& details = nullptr) {
    if (o_.dry_run) return;
    auto last = journal_.latest_outcome(l.psa, l.company_id, l.line_id, l.period);
    if (last && last->status == status && last->action == r.action && last->message == r.message &&
        last->desired_qty && same(*last->desired_qty, l.quantity)) {
      return;
    }
    store::JournalEntry e = journal_entry_for(l, run_, "outcome");
    e.before_qty = r.before;
    e.after_qty = r.before;
    e.action = r.action;
    e.status = status;
    e.ref = r.ref;
    e.message = r.message;
    if (!details.is_null()) e.provenance = details.dump();
    journal_.append(e);
  }

  // 3. Decide one line: none, held, pending, duplicate, error, or a write.
  void decide(size_t i) {
    const PlanLine& l = *lines_[i];
    SyncLineResult& r = results_[i];
    auto it = state_.find(std::to_string(i));
    if (it == state_.end() || it->second.contains("error")) {
      r.action = "error";
      r.message = it == state_.end()                ? "the sink did not report this line"
                  : it->second["error"].is_string() ? it->second["error"].get<std::string>()
                                                    : it->second["error"].dump();
      return;
    }
    std::vector<SinkDuplicate> duplicates;
    try {
      r.before = sink_number(it->second, "quantity");
      duplicates = sink_duplicates(it->second);
    } catch (const std::exception& e) {
      r.action = "error";
      r.message = std::string("the sink's read answer is wrong: ") + e.what();
      return;
    }
    r.ref = it->second.value("ref", "");
    if (!duplicates.empty()) return decide_duplicate(l, r, duplicates);
    settle_resolved_duplicate(l, r);
    if (delta_model_ && !same(l.quantity, std::round(l.quantity))) {
      r.action = "error";
      r.message = "planned quantity " + number_text(l.quantity) +
                  " is not a whole number and sink '" + psa_ +
                  "' takes signed whole-unit changes only (it would truncate); choose a " +
                  "rounding with `meterbridge map product ... --round up|down|nearest`";
      return;
    }
    if (same(r.before.value_or(0), l.quantity)) return decide_none(l, r);
    if (decide_held(l, r)) return;
    if (decide_pending(l, r)) return;
    r.action = !r.before ? "create" : same(l.quantity, 0) ? "cancel" : "update";
    r.after = l.quantity;
    writes_.push_back({i, r.before, 0});
  }

  void decide_duplicate(const PlanLine& l, SyncLineResult& r,
                        const std::vector<SinkDuplicate>& duplicates) {
    r.action = "duplicate";
    r.after = r.before;
    double extra = 0;
    std::string refs;
    json listed = json::array();
    for (const auto& d : duplicates) {
      extra += d.quantity;
      listed.push_back({{"ref", d.ref},
                        {"quantity", d.quantity},
                        {"intent_id", d.intent_id ? json(*d.intent_id) : json(nullptr)}});
      refs += (refs.empty() ? "" : ", ") + d.ref + " (" + number_text(d.quantity) +
              (d.intent_id ? ", created by intent " + std::to_string(*d.intent_id) : "") + ")";
    }
    r.message = std::to_string(duplicates.size()) + " more owned line(s) beside " + r.ref + ": " +
                refs + "; the PSA bills " + number_text(extra) + " unit(s) too many";
    if (l.unit_price) r.message += " (" + number_text(extra * *l.unit_price) + " per period)";
    r.message += "; nothing written until `meterbridge resolve-duplicates --period " + l.period +
                 " --company " + l.company_id + " --line " + l.line_id + "`";
    journal_finding(l, r, "duplicate",
                    {{"duplicates", listed}, {"extra_quantity", extra}, {"kept", r.ref}});
  }

  // A line whose duplicates are gone (resolved, or removed by hand in the PSA) says so once.
  void settle_resolved_duplicate(const PlanLine& l, const SyncLineResult& r) {
    if (o_.dry_run) return;
    auto last = journal_.latest_outcome(l.psa, l.company_id, l.line_id, l.period);
    if (!last || last->status != "duplicate") return;
    store::JournalEntry e = journal_entry_for(l, run_, "outcome");
    e.before_qty = r.before;
    e.after_qty = r.before;
    e.action = "none";
    e.status = "ok";
    e.ref = r.ref;
    e.message = "the PSA holds one owned line again";
    journal_.append(e);
  }

  void decide_none(const PlanLine& l, SyncLineResult& r) {
    const double held_now = r.before.value_or(0);
    r.action = "none";
    r.after = r.before;
    if (o_.dry_run) return;
    // Record what the PSA holds when it is news, so the report knows the billed quantity
    // without a journal row per unchanged line per run.
    auto known = journal_.last_known(l.psa, l.company_id, l.line_id, l.period);
    if (!known || !known->after_qty || !same(*known->after_qty, held_now)) {
      store::JournalEntry e = journal_entry_for(l, run_, "outcome");
      e.before_qty = r.before;
      e.after_qty = held_now;
      e.action = "none";
      e.status = "ok";
      e.ref = r.ref;
      e.message = "the PSA already holds the planned quantity";
      journal_.append(e);
    }
  }

  // Drops to zero and steep decreases wait for an approval at this very quantity.
  bool decide_held(const PlanLine& l, SyncLineResult& r) {
    const double held_now = r.before.value_or(0);
    const bool decrease = held_now > 0 && l.quantity < held_now;
    const bool to_zero = decrease && same(l.quantity, 0);
    const bool steep =
        decrease && (held_now - l.quantity) / held_now * 100.0 > o_.hold_decrease_percent;
    if (!to_zero && !steep) return false;
    auto approval = journal_.last_approval(l.psa, l.company_id, l.line_id, l.period);
    if (approval && approval->desired_qty && same(*approval->desired_qty, l.quantity)) {
      return false;
    }
    r.action = "held";
    r.after = r.before;
    r.message = to_zero ? "drop to zero held for approval"
                        : "decrease of more than " +
                              std::to_string(static_cast<int>(o_.hold_decrease_percent)) +
                              "% held for approval";
    r.message += " (meterbridge approve --period " + l.period + " --company " + l.company_id +
                 " --line " + l.line_id + ")";
    ++report_.held;
    journal_finding(l, r, "held");
    return true;
  }

  // A write sent earlier whose answer never came may still land: within the grace time the
  // line is pending, not written a second time. An absolute sink only risks a second create
  // (sending a quantity again is harmless). A delta sink risks every write, since a signed
  // change sent again bills twice, unless the PSA already holds what that write wanted: then it
  // landed ("confirmed from the units") and the line is decided as usual.
  bool decide_pending(const PlanLine& l, SyncLineResult& r) {
    std::optional<store::JournalEntry> unsettled;
    if (delta_model_) {
      unsettled = journal_.unsettled_write(l.psa, l.company_id, l.line_id, l.period);
      if (unsettled && unsettled->desired_qty &&
          same(r.before.value_or(0), *unsettled->desired_qty)) {
        return false;
      }
    } else if (!r.before) {
      unsettled = journal_.unsettled_create(l.psa, l.company_id, l.line_id, l.period);
    }
    if (!unsettled) return false;
    const int64_t until = instant_ms(unsettled->at) + o_.pending_grace_ms;
    const int64_t left = until - now_ms();
    if (left <= 0) return false;
    r.action = "pending";
    r.after = r.before;
    r.message = "the " + unsettled->action + " of intent " + std::to_string(unsettled->id) + " (" +
                unsettled->at + ") got no answer and may still land in the PSA; not " +
                (unsettled->action == "create" ? "created" : "sent") + " again for another " +
                std::to_string((left + 999) / 1000) + " s (sync.pending_grace_ms)";
    if (delta_model_) r.message += "; sink '" + psa_ + "' adds signed changes";
    return true;
  }

  // 4-6. Writes in batches, each with its intents committed before the sink writes and its
  // outcomes after. The first batch, and every batch after a run-wide failure, holds no more
  // lines than the failures still allowed in a row, so a failing PSA stops the run after
  // stop_after_failures lines; a batch without a run-wide failure doubles the next one (up to
  // kMaxApplyBatch) so that a sink with thousands of lines is not made to re-read per 5 lines.
  void write() {
    size_t next = 0;
    int32_t failures_in_a_row = 0;
    const int32_t limit = std::max<int32_t>(1, o_.stop_after_failures);
    size_t grown = 0;  // the size of the last batch when it had no run-wide failure, else 0
    std::string last_failure;
    while (next < writes_.size()) {
      // A shutdown stops between batches: every write so far has its intent and outcome, the
      // rest is left for the next run (which re-reads the PSA), nothing is half-written.
      if (o_.cancelled && o_.cancelled()) {
        report_.stopped = "the run was cancelled (shutdown)";
        for (; next < writes_.size(); ++next) {
          SyncLineResult& r = results_[writes_[next].index];
          r.action = "not-attempted";
          r.after = r.before;
          r.message = "not attempted: " + report_.stopped + "; the next sync carries on";
        }
        break;
      }
      const size_t allowed = static_cast<size_t>(limit - failures_in_a_row);
      const size_t wanted = grown > 0 ? std::min(2 * grown, kMaxApplyBatch) : allowed;
      const size_t size = std::min(writes_.size() - next, wanted);
      std::vector<Write> batch(writes_.begin() + static_cast<std::ptrdiff_t>(next),
                               writes_.begin() + static_cast<std::ptrdiff_t>(next + size));
      const size_t writes_left = writes_.size() - next;
      next += size;
      bool run_wide = false;
      for (const WriteOutcome& w : write_batch(batch, writes_left, allowed)) {
        if (w.run_wide) {
          ++failures_in_a_row;
          last_failure = w.message;
          run_wide = true;
        } else if (!w.not_attempted) {
          failures_in_a_row = 0;
        }
      }
      grown = run_wide ? 0 : size;
      if (failures_in_a_row >= limit && next < writes_.size()) {
        report_.stopped = "sink '" + psa_ + "' failed " + std::to_string(failures_in_a_row) +
                          " lines in a row (last: " + last_failure + ")";
        for (; next < writes_.size(); ++next) {
          SyncLineResult& r = results_[writes_[next].index];
          r.action = "not-attempted";
          r.after = r.before;
          r.message = "not attempted: " + report_.stopped + "; the next sync carries on";
        }
      }
    }
  }

  struct WriteOutcome {
    bool run_wide = false;       // failed for a reason that will fail the next line too
    bool not_attempted = false;  // the call failed as a whole and this line was past `allowed`
    std::string message;
  };

  // writes_left: the writes still to go in the run, this batch included (the sink may check a
  // request budget against it). allowed: the failures still allowed in a row (see
  // record_outcome for a call that fails as a whole).
  std::vector<WriteOutcome> write_batch(std::vector<Write>& batch, size_t writes_left,
                                        size_t allowed) {
    {
      store::Transaction t(store_.db());
      for (Write& w : batch) {
        const PlanLine& l = *lines_[w.index];
        store::JournalEntry e = journal_entry_for(l, run_, "intent");
        e.before_qty = w.before;
        e.action = results_[w.index].action;
        e.ref = results_[w.index].ref;
        e.provenance = line_provenance(l).dump();
        w.intent_id = journal_.append(e);
      }
      t.commit();
    }
    report_.writes += static_cast<int64_t>(batch.size());

    json request = json::array();
    for (const Write& w : batch) {
      const PlanLine& l = *lines_[w.index];
      json a = sink_line_address(std::to_string(w.index), l.company_id, l.line_id, l.period,
                                 l.dates.start, l.dates.end);
      a["quantity"] = l.quantity;
      a["expected_quantity"] = w.before ? json(*w.before) : json(nullptr);
      a["effective_date"] = format_iso_date(l.dates.start);
      a["intent_id"] = w.intent_id;
      a["unit_price"] = l.unit_price ? json(*l.unit_price) : json(nullptr);
      const std::string target = targets_.of(l.company_id, l.line_id);
      if (!target.empty()) a["target"] = target;
      request.push_back(std::move(a));
    }
    std::map<std::string, json> applied;
    std::optional<CallResult> call_failure;
    bool refused = false;  // the sink failed the call (not: answered it wrongly)
    try {
      applied = call_sink_lines(call_, psa_, "apply", request, &call_failure,
                                {{"writes_left", writes_left}});
    } catch (const std::exception& e) {
      refused = call_failure.has_value();
      if (!call_failure) call_failure = CallResult{MB_E_INTERNAL, e.what()};
      call_failure->text = e.what();
    }

    std::vector<WriteOutcome> outcomes;
    store::Transaction t(store_.db());
    for (size_t i = 0; i < batch.size(); ++i) {
      const Write& w = batch[i];
      // A lost runner may have written any line of the batch: none is "not attempted".
      if (refused && i >= allowed && !call_failure->lost) {
        outcomes.push_back(record_not_attempted(w, *call_failure));
        continue;
      }
      auto it = applied.find(std::to_string(w.index));
      outcomes.push_back(
          record_outcome(w, it == applied.end() ? nullptr : &it->second, call_failure));
      outcomes.back().run_wide = outcomes.back().run_wide || refused;
    }
    t.commit();
    return outcomes;
  }

  // A sink that fails an apply call as a whole attempted nothing (P6.5), yet it may have
  // written before it failed. The first `allowed` lines of the batch are errors, as a small
  // batch's lines always were; the rest are settled as not attempted, so that a big batch is
  // not journaled as hundreds of failed writes. For the stop rule every line of the batch
  // counts, whatever the class: a sink that cannot take a call will not take the next.
  WriteOutcome record_not_attempted(const Write& w, const CallResult& failure) {
    SyncLineResult& r = results_[w.index];
    r.action = "not-attempted";
    r.after = r.before;
    r.message = "not attempted: " + failure.text + "; the next sync carries on";
    store::JournalEntry e = journal_entry_for(*lines_[w.index], run_, "outcome");
    e.intent_id = w.intent_id;
    e.before_qty = w.before;
    e.action = "not-attempted";
    e.status = "not-attempted";
    e.message = r.message;
    journal_.append(e);
    return {true, true, failure.text};
  }

  WriteOutcome record_outcome(const Write& w, const json* answer,
                              const std::optional<CallResult>& call_failure) {
    const PlanLine& l = *lines_[w.index];
    SyncLineResult& r = results_[w.index];
    store::JournalEntry e = journal_entry_for(l, run_, "outcome");
    e.intent_id = w.intent_id;
    e.before_qty = w.before;
    WriteOutcome out;
    auto fail = [&](const std::string& message, const std::string& status) {
      r.action = "error";
      r.after.reset();
      r.message = message;
      e.action = "error";
      e.status = status;
      e.message = message;
      out.message = message;
    };
    if (call_failure && call_failure->lost) {
      // The sink's process died in the middle of the call: its writes may have landed. Like an
      // intent a crash left open, the line is unsettled: the next sync re-reads the PSA and
      // does not write it again before the grace time is over.
      fail(call_failure->text +
               " (the write may have landed; the next sync re-reads the PSA and does not write "
               "it again before the grace time is over)",
           "uncertain");
      out.run_wide = true;
    } else if (call_failure) {
      // The call failed as a whole: nothing was attempted (P6.5).
      fail(call_failure->text, "error");
      out.run_wide = sink_status_is_run_wide(call_failure->status);
    } else if (!answer) {
      fail("the sink did not report this line", "error");
    } else if (answer->value("action", "error") == "error") {
      const bool uncertain = answer->value("uncertain", false);
      std::string message = answer->value("message", "write failed");
      if (uncertain) {
        message +=
            " (no answer: the write may still land; the next sync re-reads the PSA and "
            "does not create the line again before the grace time is over)";
      }
      fail(message, uncertain ? "uncertain" : "error");
      out.run_wide = uncertain || sink_error_class_is_run_wide(answer->value("error_class", ""));
    } else {
      try {
        r.before = sink_number(*answer, "before");
        r.after = sink_number(*answer, "after");
        r.action = answer->value("action", r.action);
        r.ref = answer->value("ref", r.ref);
        r.message = answer->value("message", "");
        e.before_qty = r.before;
        e.after_qty = r.after;
        e.action = r.action;
        e.status = "ok";
        e.ref = r.ref;
        e.message = r.message;
        if (answer->contains("delta") && (*answer)["delta"].is_number()) {
          e.message +=
              (e.message.empty() ? "" : "; ") + std::string("delta ") + (*answer)["delta"].dump();
        }
      } catch (const std::exception& ex) {
        fail(std::string("the sink's apply answer is wrong: ") + ex.what(), "error");
      }
    }
    journal_.append(e);
    return out;
  }

  store::BillingStore& store_;
  store::JournalStore& journal_;
  const std::string& psa_;
  const SinkCall& call_;
  const SyncOptions& o_;
  const int64_t run_;
  bool delta_model_ = false;
  store::TargetMap targets_;  // the operator's targets per line and company
  std::vector<const PlanLine*> lines_;
  std::vector<store::JournalEntry> interrupted_;
  std::map<std::string, json> state_;  // the read answer by key
  std::vector<SyncLineResult> results_;
  std::vector<Write> writes_;
  SyncReport report_;
};

}  // namespace

SyncReport sync_sink(store::BillingStore& store, const Plan& plan, const std::string& psa,
                     const SinkCall& call, const SyncOptions& options, int64_t run_id) {
  return SinkSync(store, plan, psa, call, options, run_id).run();
}

}  // namespace meterbridge::host::engine
