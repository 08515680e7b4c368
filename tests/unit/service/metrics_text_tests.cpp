// The status document as Prometheus text: the values and labels, and promtool's acceptance.
#include <catch2/catch.hpp>

#include "health_test_support.hpp"
#include "service/metrics_text.hpp"

using health_test::has_line;
using health_test::promtool_check;
using health_test::sample_status;
using meterbridge::host::service::render_metrics;
using nlohmann::json;

namespace {

void require_promtool_accepts(const std::string& text) {
  const auto verdict = promtool_check(text);
  INFO("metrics text:\n" << text << "promtool said:\n" << verdict.output);
  REQUIRE(verdict.exit_code == 0);
  REQUIRE(verdict.output.empty());
}

}  // namespace

TEST_CASE("a full status document renders every family and promtool accepts it") {
  const std::string text = render_metrics(sample_status());
  require_promtool_accepts(text);
  INFO(text);

  CHECK(has_line(text, "meterbridge_up 1"));
  CHECK(has_line(text, R"(meterbridge_build_info{version="0.1.0"} 1)"));
  CHECK(has_line(text, "meterbridge_ready 1"));
  CHECK(has_line(text, "meterbridge_test_clock 0"));

  CHECK(has_line(text, R"(meterbridge_job_last_run_timestamp_seconds{job="collect"} 1793597409)"));
  CHECK(has_line(text, R"(meterbridge_job_last_duration_seconds{job="collect"} 5.1)"));
  CHECK(has_line(text, R"(meterbridge_job_last_success{job="collect"} 1)"));
  CHECK(has_line(text, R"(meterbridge_job_next_run_timestamp_seconds{job="collect"} 1793683800)"));
  CHECK(has_line(text, R"(meterbridge_job_runs_total{job="collect",result="ok"} 3)"));
  CHECK(has_line(text, R"(meterbridge_job_runs_total{job="collect",result="failed"} 1)"));
  // The sync job never ran and has nothing scheduled: no sample names it.
  CHECK(text.find(R"(job="sync")") == std::string::npos);

  const std::string sophos = R"({instance="sophos",kind="source",plugin="sophos-central"})";
  CHECK(has_line(text, "meterbridge_instance_last_run_timestamp_seconds" + sophos + " 1793597409"));
  CHECK(has_line(text, "meterbridge_instance_last_success" + sophos + " 1"));
  CHECK(has_line(text, "meterbridge_instance_last_duration_seconds" + sophos + " 2.5"));
  CHECK(has_line(text, R"(meterbridge_source_records_collected{instance="sophos"} 120)"));
  CHECK(has_line(text, R"(meterbridge_api_calls_total{instance="sophos"} 35)"));
  CHECK(
      has_line(text, R"(meterbridge_api_errors_total{instance="sophos",class="rate_limited"} 1)"));
  CHECK(has_line(text, R"(meterbridge_api_errors_total{instance="sophos",class="auth"} 0)"));

  // The sink has not run: no last-run samples, but its lines and calls are there.
  CHECK(text.find(R"(meterbridge_instance_last_run_timestamp_seconds{instance="cw")") ==
        std::string::npos);
  CHECK(has_line(text, R"(meterbridge_sink_lines{instance="cw",result="written"} 3)"));
  CHECK(has_line(text, R"(meterbridge_sink_lines{instance="cw",result="held"} 2)"));
  CHECK(has_line(text, R"(meterbridge_sink_lines{instance="cw",result="error"} 0)"));
  CHECK(has_line(text, R"(meterbridge_sink_lines{instance="cw",result="duplicate"} 0)"));
  CHECK(has_line(text, R"(meterbridge_api_calls_total{instance="cw"} 10)"));
  CHECK(text.find(R"(meterbridge_api_errors_total{instance="cw")") == std::string::npos);

  CHECK(has_line(text, "meterbridge_unmapped_customers_with_usage 2"));

  // Runner counts exist for the instance under isolation "process" only.
  CHECK(has_line(text, R"(meterbridge_runner_restarts_total{instance="sophos"} 2)"));
  CHECK(has_line(text, R"(meterbridge_runner_failures_total{instance="sophos",cause="crash"} 2)"));
  CHECK(
      has_line(text, R"(meterbridge_runner_failures_total{instance="sophos",cause="timeout"} 1)"));
  CHECK(text.find(R"(meterbridge_runner_restarts_total{instance="cw"})") == std::string::npos);
  CHECK(has_line(text, "# TYPE meterbridge_runner_restarts_total counter"));

  CHECK(has_line(text, "# TYPE meterbridge_job_runs_total counter"));
  CHECK(has_line(text, "# TYPE meterbridge_api_errors_total counter"));
  CHECK(has_line(text, "# TYPE meterbridge_sink_lines gauge"));
  CHECK(text.find("# HELP meterbridge_job_last_success ") != std::string::npos);
}

TEST_CASE("a failed, partial or cancelled last run is 0 in last_success") {
  for (const char* result : {"failed", "partial", "cancelled"}) {
    json status = sample_status();
    status["jobs"][0]["last_run"]["result"] = result;
    status["instances"][0]["last_result"] = result;
    const std::string text = render_metrics(status);
    INFO(result << "\n" << text);
    CHECK(has_line(text, R"(meterbridge_job_last_success{job="collect"} 0)"));
    CHECK(has_line(
        text,
        R"(meterbridge_instance_last_success{instance="sophos",kind="source",plugin="sophos-central"} 0)"));
  }
}

TEST_CASE("label values escape quote, backslash and line feed and promtool accepts them") {
  json status = sample_status();
  status["instances"][1]["instance"] = "c\"w\\main\nsecond";
  status["jobs"][0]["job"] = "collect \"nightly\"";
  const std::string text = render_metrics(status);
  require_promtool_accepts(text);
  INFO(text);
  CHECK(has_line(text, R"(meterbridge_sink_lines{instance="c\"w\\main\nsecond",result="held"} 2)"));
  CHECK(has_line(text, R"(meterbridge_job_runs_total{job="collect \"nightly\"",result="ok"} 3)"));
}

TEST_CASE("a partial document with nothing run yet renders and promtool accepts it") {
  const json status = json::parse(R"({
    "schema": "service-status.v1", "version": "0.1.0", "test_clock": true,
    "ready": {"ok": false, "reasons": ["store not open"]},
    "jobs": [{"job": "collect", "next_run": null, "last_run": null, "runs": {}},
             {"job": "sync", "next_run": "2026-11-03T06:00:00Z", "last_run": null}],
    "instances": [{"instance": "sophos", "kind": "source", "plugin": "sophos-central",
                   "last_run_at": null, "last_result": null, "last_duration_seconds": null,
                   "records": null, "api_calls": 0, "api_errors": {}}],
    "unmapped_customers_with_usage": null
  })");
  const std::string text = render_metrics(status);
  require_promtool_accepts(text);
  INFO(text);
  CHECK(has_line(text, "meterbridge_ready 0"));
  CHECK(has_line(text, "meterbridge_test_clock 1"));
  CHECK(has_line(text, R"(meterbridge_job_next_run_timestamp_seconds{job="sync"} 1793685600)"));
  CHECK(has_line(text, R"(meterbridge_api_calls_total{instance="sophos"} 0)"));
  // Families without samples are left out entirely, HELP and TYPE included.
  for (const char* absent :
       {"meterbridge_job_last_run_timestamp_seconds", "meterbridge_job_last_success",
        "meterbridge_job_runs_total", "meterbridge_instance_last_success",
        "meterbridge_source_records_collected", "meterbridge_sink_lines",
        "meterbridge_unmapped_customers_with_usage", "meterbridge_api_errors_total"}) {
    INFO(absent);
    CHECK(text.find(absent) == std::string::npos);
  }
}

TEST_CASE("documents of the wrong shape render without throwing and promtool accepts them") {
  for (const char* doc : {"null", "[]", "{}", R"({"jobs": 5, "instances": "x", "ready": []})",
                          R"({"jobs": [null, 3, {"job": 7}, {"job": "a", "last_run": "yesterday",
                "next_run": "2026-13-40T99:00:00Z", "runs": {"ok": "three"}}],
               "instances": [{"instance": "s", "last_run_at": "2026-11-02 05:30:09",
                              "lines": [1, 2], "api_errors": {"auth": null}}],
               "version": 1, "test_clock": "no"})"}) {
    INFO(doc);
    std::string text;
    REQUIRE_NOTHROW(text = render_metrics(json::parse(doc)));
    require_promtool_accepts(text);
    CHECK(has_line(text, "meterbridge_up 1"));
    CHECK(text.find("meterbridge_build_info") == std::string::npos);
    CHECK(text.find("meterbridge_job_") == std::string::npos);
  }
}

TEST_CASE("timestamps become unix seconds, fractions kept, impossible dates dropped") {
  auto next_run_of = [](const char* when) {
    json status = {{"jobs", {{{"job", "j"}, {"next_run", when}}}}};
    return render_metrics(status);
  };
  CHECK(has_line(next_run_of("1970-01-01T00:00:00Z"),
                 R"(meterbridge_job_next_run_timestamp_seconds{job="j"} 0)"));
  CHECK(has_line(next_run_of("2024-02-29T23:59:59Z"),
                 R"(meterbridge_job_next_run_timestamp_seconds{job="j"} 1709251199)"));
  CHECK(has_line(next_run_of("2024-02-29T23:59:59.25Z"),
                 R"(meterbridge_job_next_run_timestamp_seconds{job="j"} 1709251199.25)"));
  for (const char* bad : {"2023-02-29T00:00:00Z", "2026-11-02T24:00:00Z", "2026-11-02T05:30:09",
                          "2026-11-02T05:30:09+00:00", "2026-11-02", "2026-11-02T05:30:09.Z"}) {
    INFO(bad);
    CHECK(next_run_of(bad).find("meterbridge_job_next_run") == std::string::npos);
  }
}
