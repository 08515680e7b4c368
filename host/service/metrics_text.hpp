// The service status document ("service-status.v1") as Prometheus text exposition format 0.0.4,
// the body of GET /metrics.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace meterbridge::host::service {

// Renders every metric family the status document has samples for, each with its # HELP and
// # TYPE lines; a family without samples is left out entirely. Families, in output order:
//   meterbridge_up, meterbridge_build_info{version}, meterbridge_ready, meterbridge_test_clock,
//   meterbridge_job_last_run_timestamp_seconds{job}, meterbridge_job_last_duration_seconds{job},
//   meterbridge_job_last_success{job}, meterbridge_job_next_run_timestamp_seconds{job},
//   meterbridge_job_runs_total{job,result},
//   meterbridge_instance_last_run_timestamp_seconds{instance,kind,plugin},
//   meterbridge_instance_last_success{instance,kind,plugin},
//   meterbridge_instance_last_duration_seconds{instance,kind,plugin},
//   meterbridge_source_records_collected{instance}, meterbridge_sink_lines{instance,result},
//   meterbridge_unmapped_customers_with_usage,
//   meterbridge_api_calls_total{instance}, meterbridge_api_errors_total{instance,class},
//   meterbridge_runner_restarts_total{instance}, meterbridge_runner_failures_total{instance,cause}
//   (the last two for instances with "isolation": "process" only).
// A missing, null or wrongly typed field gives no sample (a job that never ran has no
// last_run sample); this never throws on a partial document. Timestamps ("YYYY-MM-DDTHH:MM:SSZ",
// UTC) become unix seconds. Pure function: safe to call from any thread.
std::string render_metrics(const nlohmann::json& status);

}  // namespace meterbridge::host::service
