// The scheduler of `meterbridge serve`: runs the collect and sync jobs at their slots in the
// operator's zone, catches up after downtime, retries failures within the day, and keeps the
// status document the health endpoint and `meterbridge status` show.
//
// Threads: run() is the scheduler thread, the only one that touches plugins and the store.
// stop(), reload() and status() may be called from any thread (a signal thread, the health
// server's threads).
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "runtime/plugin_host.hpp"
#include "service/schedule.hpp"
#include "service/service_jobs.hpp"
#include "store/billing_store.hpp"

namespace meterbridge::host::service {

struct SchedulerPaths {
  std::filesystem::path data_dir;
  std::filesystem::path store_file;
};

class Scheduler {
 public:
  Scheduler(Config config, SchedulerPaths paths);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs until stop(), or until a test clock reaches its `until`. Throws when the store cannot
  // be opened.
  void run();
  // Asks plugins to stop between requests (is_cancelled answers 1), wakes the loop; run()
  // returns once the job in progress has journaled what it did.
  void stop();
  // A checked config for the next jobs (SIGHUP).
  void reload(Config config);
  // The status document "service-status.v1" (see health_server.hpp).
  nlohmann::json status() const;
  // Called on every loop turn, at least every 15 s while waiting (systemd's watchdog).
  void set_tick(std::function<void()> tick) { tick_ = std::move(tick); }

 private:
  struct Job;
  void apply_config(std::unique_ptr<Config> config);
  void check_instances();
  void warn_beyond_catch_up();
  bool run_due_job(TimePoint now);
  void execute(Job& job, const std::vector<Slot>& slots, const std::vector<std::string>& only);
  JobOutcome run_job(const Job& job, const std::vector<Slot>& slots,
                     const std::vector<std::string>& only);
  TimePoint next_wake(TimePoint now);
  void count_unmapped_with_usage();
  nlohmann::json jobs_status(TimePoint now, std::vector<std::string>& reasons);
  nlohmann::json instances_status(std::vector<std::string>& reasons);
  void refresh_status(TimePoint now);
  void wait_until(TimePoint deadline);

  SchedulerPaths paths_;
  std::unique_ptr<Config> config_;
  std::unique_ptr<PluginHost> host_;  // destroyed before config_, which it refers to
  std::unique_ptr<store::BillingStore> store_;
  const date::time_zone* zone_ = nullptr;
  std::vector<Job> jobs_;
  engine::Day first_day_ = 0;  // no slot before the service first ran on this store
  std::map<std::string, InstanceRun> instance_runs_;
  std::map<std::string, std::string> check_failures_;  // instance -> why its check failed
  int64_t unmapped_with_usage_ = 0;
  std::vector<std::string> missed_beyond_catch_up_;  // billing-day syncs the service won't run
  std::string started_at_;
  std::function<void()> tick_;

  mutable std::mutex mutex_;  // guards what other threads touch: the flags below and status_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::unique_ptr<Config> pending_config_;
  nlohmann::json status_;
};

}  // namespace meterbridge::host::service
