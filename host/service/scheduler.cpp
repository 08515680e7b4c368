#include "service/scheduler.hpp"

#include <unistd.h>

#include <algorithm>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "engine/plan.hpp"
#include "isolation/runner_health.hpp"
#include "services/api_counters.hpp"
#include "store/run_lock.hpp"
#include "store/slot_store.hpp"

namespace meterbridge::host::service {
using nlohmann::json;
using std::chrono::seconds;

struct Scheduler::Job {
  std::string name;  // collect or sync: the slot table's job, the log's and metrics' label
  bool enabled = true;
  Recurrence recurrence;
  int32_t jitter_minutes = 0;
  TimePoint not_before{};      // after the writer lock stayed busy: try again from then
  std::set<engine::Day> done;  // slots seen finished ok in the store
};

namespace {

std::chrono::seconds jitter_of(engine::Day day, int32_t minutes) {
  return day_jitter(day, minutes);
}

}  // namespace

Scheduler::Scheduler(Config config, SchedulerPaths paths) : paths_(std::move(paths)) {
  apply_config(std::make_unique<Config>(std::move(config)));
  status_ = {{"schema", "service-status.v1"},
             {"version", METERBRIDGE_VERSION},
             {"ready", {{"ok", false}, {"reasons", {"starting"}}}}};
}

Scheduler::~Scheduler() = default;

void Scheduler::apply_config(std::unique_ptr<Config> config) {
  host_.reset();
  config_ = std::move(config);
  zone_ = date::locate_zone(config_->timezone);
  host_ = std::make_unique<PluginHost>(*config_, paths_.data_dir);
  const ScheduleConfig& s = config_->schedule;
  std::vector<Job> jobs(3);
  jobs[0].name = "collect";
  jobs[0].enabled = s.collect.enabled;
  jobs[0].recurrence.at_minute = s.collect.at_minute;
  jobs[0].jitter_minutes = s.collect.jitter_minutes;
  jobs[1].name = "sync";
  jobs[1].enabled = s.sync.enabled;
  jobs[1].recurrence.at_minute = s.sync.at_minute;
  // Summaries: one daily slot at the earliest time a summary recurrence names; each company's
  // recurrence decides whether its summary is due on the slot's day.
  const SummariesConfig& sum = config_->summaries;
  jobs[2].name = "summaries";
  jobs[2].enabled = sum.detection || sum.executive || !sum.companies.empty();
  jobs[2].recurrence.at_minute = 7 * 60;
  std::vector<int32_t> ats;
  for (const auto& r : {sum.detection, sum.executive}) {
    if (r) ats.push_back(r->at_minute);
  }
  for (const auto& [id, own] : sum.companies) {
    for (const auto& r : {own.detection, own.executive}) {
      if (r && *r) ats.push_back((*r)->at_minute);
    }
  }
  if (!ats.empty()) jobs[2].recurrence.at_minute = *std::min_element(ats.begin(), ats.end());
  jobs_ = std::move(jobs);
  check_failures_.clear();
  for (const auto& r : host_->load_report().refusals) {
    spdlog::warn("plugin refused: {}", r.message());
  }
}

void Scheduler::check_instances() {
  // One check per enabled instance when the service starts or reloads: /readyz fails while a
  // plugin's settings or credentials are wrong, before a job finds out at 02:00.
  for (const InstanceConfig& inst : config_->plugins) {
    if (!inst.enabled || host_->cancelled()) continue;
    std::string error;
    try {
      auto running = host_->start(inst);
      CallResult answer = running->plugin->check();
      if (!answer.ok()) error = answer.text;
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (error.empty()) {
      check_failures_.erase(inst.name);
    } else {
      check_failures_[inst.name] = error;
      spdlog::warn("instance {}: check failed: {}", inst.name, error);
    }
  }
}

void Scheduler::run() {
  store_ = std::make_unique<store::BillingStore>(paths_.store_file);
  started_at_ = format_utc_iso(host_now());
  store::SlotStore slots(store_->db());
  auto first = parse_utc_iso(slots.first_start(started_at_));
  first_day_ = local_day(zone_, first.value_or(host_now()));
  spdlog::info("serve: started (time zone {}, store {}{})", config_->timezone,
               paths_.store_file.string(),
               test_clock() ? ", TEST CLOCK: not for real billing" : "");
  warn_beyond_catch_up();
  check_instances();
  refresh_status(host_now());
  const auto until = test_clock() ? test_clock()->until : std::nullopt;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (stopping_) break;
      if (pending_config_) {
        auto next = std::move(pending_config_);
        lock.unlock();
        apply_config(std::move(next));
        spdlog::info("serve: config reloaded; the next jobs use it");
        check_instances();
      }
    }
    if (tick_) tick_();
    const TimePoint now = host_now();
    if (until && now >= *until) {
      spdlog::info("serve: the test clock reached {}; stopping", format_utc_iso(*until));
      break;
    }
    TimePoint next;
    try {
      if (run_due_job(now)) continue;
      next = next_wake(now);
      refresh_status(now);
    } catch (const std::exception& e) {
      // The store busy or unreadable for a moment (a long CLI write, a full disk): the service
      // stays up, says so, and tries again in a minute; no slot was marked done.
      spdlog::error("serve: {}; trying again in 60 s", e.what());
      next = now + std::chrono::seconds(60);
    }
    wait_until(until ? std::min(next, *until) : next);
  }
  refresh_status(host_now());
  spdlog::info("serve: stopped");
}

void Scheduler::warn_beyond_catch_up() {
  // A billing day missed longer ago than catch_up_days is not synced by the service: say so,
  // with the command that bills it, rather than leave a period silently unbilled.
  if (!config_->schedule.sync.enabled) return;
  store::SlotStore slots(store_->db());
  auto last = slots.latest("sync", 1);
  if (last.empty()) return;
  const auto last_day = engine::parse_iso_date(last[0].slot);
  const engine::Day today = local_day(zone_, host_now());
  const engine::Day oldest = today - config_->schedule.collect.catch_up_days;
  if (!last_day || *last_day + 1 >= oldest) return;
  std::vector<engine::Day> missed;
  for (engine::Day d = *last_day + 1; d < oldest; ++d) missed.push_back(d);
  for (const auto& [period, days] :
       sync_targets(missed, today, false, billing_days_in_use(*store_))) {
    std::string names;
    for (int32_t bd : days) names += (names.empty() ? "" : ", ") + std::to_string(bd);
    const std::string text = "the billing-day sync of period " + engine::format_year_month(period) +
                             " (billing day " + names +
                             ") was missed more than catch_up_days ago and does not run by "
                             "itself: run `meterbridge sync --period " +
                             engine::format_year_month(period) + "`";
    spdlog::error("serve: {}", text);
    missed_beyond_catch_up_.push_back(text);
  }
}

void Scheduler::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = true;
  if (host_) host_->cancel();
  wake_.notify_all();
}

void Scheduler::reload(Config config) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_config_ = std::make_unique<Config>(std::move(config));
  wake_.notify_all();
}

json Scheduler::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

void Scheduler::wait_until(TimePoint deadline) {
  // At most 15 s at a time: the systemd watchdog (120 s) is fed on every turn, and a change of
  // the system clock (NTP, a suspended VM) is noticed within 15 s. Stop and reload wake it at
  // once. Idle, a turn costs a few store reads: the service uses next to no CPU.
  auto real = std::min<std::chrono::milliseconds>(wait_real_duration(deadline),
                                                  std::chrono::milliseconds(15000));
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait_for(lock, real, [this] { return stopping_ || pending_config_ != nullptr; });
}

bool Scheduler::run_due_job(TimePoint now) {
  store::SlotStore slots(store_->db());
  const engine::Day today = local_day(zone_, now);
  const engine::Day oldest = std::max(first_day_, today - config_->schedule.collect.catch_up_days);
  for (Job& job : jobs_) {
    if (!job.enabled || now < job.not_before) continue;
    std::vector<Slot> fresh;
    std::optional<Slot> retry;
    std::vector<std::string> retry_sources;
    for (const Slot& s :
         slots_due(job.recurrence, zone_, oldest, now, &jitter_of, job.jitter_minutes)) {
      // A slot that finished ok never runs again: remembered, so an idle turn reads nothing.
      if (job.done.count(s.day)) continue;
      auto record = slots.find(job.name, engine::format_iso_date(s.day));
      if (record && record->result && *record->result == "ok") {
        job.done.insert(s.day);
        continue;
      }
      if (!record || !record->result || *record->result == "cancelled") {
        fresh.push_back(s);  // never ran, or a stop or a crash left it unfinished
        continue;
      }
      if (s.day != today || !record->finished_at) continue;
      // A failed slot is tried again within its day, with a growing pause.
      const auto finished = parse_utc_iso(*record->finished_at);
      const auto pause =
          retry_backoff(record->attempts, config_->schedule.collect.retry_first_minutes,
                        config_->schedule.collect.retry_max_minutes);
      if (finished && now >= *finished + pause) {
        json detail = json::parse(record->detail, nullptr, false);
        if (job.name == "collect" && detail.is_object() && detail.contains("failed_sources") &&
            detail["failed_sources"].is_array()) {
          // Only the sources still enabled (a reload may have removed one).
          for (const auto& name : detail["failed_sources"]) {
            const InstanceConfig* inst =
                name.is_string() ? config_->find_instance(name.get<std::string>()) : nullptr;
            if (inst && inst->enabled) retry_sources.push_back(inst->name);
          }
          if (retry_sources.empty()) continue;  // nothing left to retry
        }
        retry = s;
      }
    }
    if (!fresh.empty()) {
      execute(job, fresh, {});
      return true;
    }
    if (retry) {
      execute(job, {*retry}, retry_sources);
      return true;
    }
  }
  return false;
}

void Scheduler::execute(Job& job, const std::vector<Slot>& slots,
                        const std::vector<std::string>& only) {
  std::unique_ptr<store::RunLock> lock;
  try {
    lock = store::wait_for_run_lock(
        paths_.store_file, "meterbridge serve: " + job.name,
        seconds(config_->schedule.lock_wait_seconds),
        [&](const std::string& busy) { spdlog::info("{}: waiting: {}", job.name, busy); },
        [this] { return host_->cancelled(); });
  } catch (const std::runtime_error& e) {
    // Nothing is lost: the slot stays unrun and is tried again in a minute.
    spdlog::warn("{}: skipped for now: {}; trying again in 60 s", job.name, e.what());
    job.not_before = host_now() + seconds(60);
    return;
  }
  store::SlotStore store_slots(store_->db());
  std::string names;
  for (const Slot& s : slots) {
    store_slots.start(job.name, engine::format_iso_date(s.day), format_utc_iso(s.due));
    names += (names.empty() ? "" : ", ") + engine::format_iso_date(s.day);
  }
  spdlog::info("{}: slot {} starts{}", job.name, names,
               only.empty() ? "" : " (retrying " + std::to_string(only.size()) + " source(s))");
  const auto start = std::chrono::steady_clock::now();
  JobOutcome outcome;
  try {
    outcome = run_job(job, slots, only);
  } catch (const std::exception& e) {
    outcome.result = "failed";
    outcome.detail = {{"error", e.what()}};
  }
  if (!outcome.failed_sources.empty()) outcome.detail["failed_sources"] = outcome.failed_sources;
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  for (const Slot& s : slots) {
    store_slots.finish(job.name, engine::format_iso_date(s.day), outcome.result, ms,
                       outcome.detail.dump());
  }
  for (InstanceRun& r : outcome.instances) {
    if (r.ok) check_failures_.erase(r.instance);
    instance_runs_[r.instance] = std::move(r);
  }
  count_unmapped_with_usage();
  auto log = outcome.result == "ok" ? spdlog::level::info : spdlog::level::warn;
  spdlog::log(log, "{}: slot {} {} in {} ms: {}", job.name, names, outcome.result, ms,
              outcome.detail.dump());
}

void Scheduler::count_unmapped_with_usage() {
  // What `insights` calls unmapped usage, counted for the metrics after every job: the distinct
  // vendor customers with usage in the running period and no PSA company.
  try {
    const engine::Day today = local_day(zone_, host_now());
    engine::Plan plan = engine::build_plan(
        *store_, engine::period_containing(today, engine::global_billing_day(store_->mapping())),
        today);
    std::set<std::pair<std::string, std::string>> unmapped;
    for (const auto& e : plan.exceptions) {
      if (e.kind == "unmapped-customer") unmapped.emplace(e.source, e.customer_id);
    }
    unmapped_with_usage_ = static_cast<int64_t>(unmapped.size());
  } catch (const std::exception& e) {
    spdlog::warn("status: cannot count unmapped customers: {}", e.what());
  }
}

JobOutcome Scheduler::run_job(const Job& job, const std::vector<Slot>& slots,
                              const std::vector<std::string>& only) {
  const engine::Day today = local_day(zone_, host_now());
  std::vector<engine::Day> days;
  for (const Slot& s : slots) days.push_back(s.day);
  if (job.name == "collect") {
    const engine::Day oldest = today - config_->schedule.collect.catch_up_days;
    return run_collect_job(*host_, *config_, *store_, collect_days(days, oldest), today, only);
  }
  if (job.name == "summaries") {
    return run_summaries_job(*config_, paths_.data_dir, *store_, days,
                             [this] { return host_->cancelled(); });
  }
  return run_sync_job(
      *host_, *config_, *store_,
      sync_targets(days, today, config_->schedule.sync.daily, billing_days_in_use(*store_)), today);
}

TimePoint Scheduler::next_wake(TimePoint now) {
  TimePoint next = now + std::chrono::hours(24);
  store::SlotStore slots(store_->db());
  const engine::Day today = local_day(zone_, now);
  for (const Job& job : jobs_) {
    if (!job.enabled) continue;
    next = std::min(
        next, std::max(job.not_before,
                       next_slot(job.recurrence, zone_, now, &jitter_of, job.jitter_minutes).due));
    auto record = slots.find(job.name, engine::format_iso_date(today));
    if (record && record->result && *record->result != "ok" && record->finished_at) {
      if (auto finished = parse_utc_iso(*record->finished_at)) {
        TimePoint retry = *finished + retry_backoff(record->attempts,
                                                    config_->schedule.collect.retry_first_minutes,
                                                    config_->schedule.collect.retry_max_minutes);
        // A retry is only within the slot's day. One already due was run by run_due_job() unless
        // nothing is left to retry: waking for it again would spin.
        if (local_day(zone_, retry) == today && retry > now) next = std::min(next, retry);
      }
    }
  }
  return next;
}

json Scheduler::jobs_status(TimePoint now, std::vector<std::string>& reasons) {
  store::SlotStore slots(store_->db());
  json jobs = json::array();
  for (const Job& job : jobs_) {
    json entry = {{"job", job.name}, {"enabled", job.enabled}};
    if (job.enabled) {
      Slot next = next_slot(job.recurrence, zone_, now, &jitter_of, job.jitter_minutes);
      entry["next_run"] = format_utc_iso(std::max(next.due, job.not_before));
      entry["next_slot"] = engine::format_iso_date(next.day);
    } else {
      entry["next_run"] = nullptr;
      entry["next_slot"] = nullptr;
    }
    auto latest = slots.latest(job.name, 1);
    if (latest.empty() || !latest[0].result) {
      entry["last_run"] = nullptr;
    } else {
      const auto& r = latest[0];
      entry["last_run"] = {{"slot", r.slot},
                           {"started_at", r.started_at},
                           {"finished_at", r.finished_at ? json(*r.finished_at) : json(nullptr)},
                           {"duration_seconds", r.duration_ms ? *r.duration_ms / 1000.0 : 0.0},
                           {"result", *r.result},
                           {"attempts", r.attempts}};
      if (*r.result != "ok")
        reasons.push_back("the last " + job.name + " (" + r.slot + ") " + *r.result);
    }
    json runs = json::object();
    for (const auto& [result, n] : slots.result_counts(job.name)) runs[result] = n;
    entry["runs"] = runs;
    jobs.push_back(entry);
  }
  return jobs;
}

json Scheduler::instances_status(std::vector<std::string>& reasons) {
  const auto counts = api_counts();
  const auto runners = runner_counts();
  json instances = json::array();
  for (const InstanceConfig& inst : config_->plugins) {
    if (!inst.enabled) continue;
    auto module = host_->find_plugin(inst.plugin);
    if (!module)
      reasons.push_back("instance " + inst.name + ": plugin '" + inst.plugin + "' is not loaded");
    json entry = {
        {"instance", inst.name},  {"kind", module ? module->kind() : std::string("unknown")},
        {"plugin", inst.plugin},  {"last_run_at", nullptr},
        {"last_result", nullptr}, {"last_duration_seconds", nullptr}};
    if (auto it = instance_runs_.find(inst.name); it != instance_runs_.end()) {
      const InstanceRun& r = it->second;
      entry["last_run_at"] = format_utc_iso(r.finished_at);
      entry["last_result"] = r.ok ? "ok" : "failed";
      entry["last_duration_seconds"] = r.duration_seconds;
      if (!r.error.empty()) entry["last_error"] = r.error;
      if (r.kind == "source") entry["records"] = r.records;
      if (r.kind == "sink") entry["lines"] = r.lines;
    }
    json errors = {
        {"auth", 0}, {"rate_limited", 0}, {"transient", 0}, {"config", 0}, {"no_response", 0}};
    int64_t calls = 0;
    if (auto c = counts.find(inst.name); c != counts.end()) {
      calls = c->second.calls;
      for (const auto& [cls, n] : c->second.errors) errors[cls] = n;
    }
    entry["api_calls"] = calls;
    entry["api_errors"] = errors;
    if (inst.isolation == Isolation::process) {
      entry["isolation"] = "process";
      json runner = {{"starts", 0}, {"restarts", 0}, {"failures", json::object()}};
      if (auto r = runners.find(inst.name); r != runners.end()) {
        runner = {{"starts", r->second.starts},
                  {"restarts", r->second.restarts},
                  {"failures", r->second.failures}};
      }
      entry["runner"] = runner;
    } else {
      entry["isolation"] = "in-process";
    }
    if (auto f = check_failures_.find(inst.name); f != check_failures_.end()) {
      entry["check_error"] = f->second;
      reasons.push_back("instance " + inst.name + ": " + f->second);
    }
    instances.push_back(entry);
  }
  return instances;
}

void Scheduler::refresh_status(TimePoint now) {
  std::vector<std::string> reasons;
  json jobs = jobs_status(now, reasons);
  json instances = instances_status(reasons);
  const size_t refused = host_->load_report().refusals.size();
  const auto clock = test_clock();
  json doc = {{"schema", "service-status.v1"},
              {"version", METERBRIDGE_VERSION},
              {"pid", static_cast<int64_t>(getpid())},
              {"started_at", started_at_},
              {"now", format_utc_iso(now)},
              {"test_clock", clock.has_value()},
              {"time_zone", config_->timezone},
              {"config", config_->file.string()},
              {"store", {{"path", paths_.store_file.string()}, {"open", store_ != nullptr}}},
              {"plugins", {{"loaded", host_->load_report().plugins.size()}, {"refused", refused}}},
              {"ready", {{"ok", reasons.empty()}, {"reasons", reasons}}},
              {"jobs", jobs},
              {"instances", instances},
              {"unmapped_customers_with_usage", unmapped_with_usage_},
              {"missed_beyond_catch_up", missed_beyond_catch_up_}};
  std::lock_guard<std::mutex> lock(mutex_);
  status_ = std::move(doc);
}

}  // namespace meterbridge::host::service
