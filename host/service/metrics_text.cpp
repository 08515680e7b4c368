#include "service/metrics_text.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace meterbridge::host::service {
namespace {

using nlohmann::json;
using Labels = std::vector<std::pair<std::string_view, std::string>>;

// One metric family: the text format wants all samples of a family together, after its
// HELP and TYPE lines, so samples are gathered per family and written at the end.
struct Family {
  std::string_view name;
  std::string_view type;
  std::string_view help;
  std::vector<std::string> samples;
};

// Label values escape backslash, double quote and line feed (exposition format 0.0.4).
std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Shortest text that reads back as the same double; whole numbers print without a fraction.
std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "NaN";  // cannot happen with 64 bytes; keeps the line valid
  return std::string(buf, end);
}

void add(Family& family, const Labels& labels, double value) {
  std::string line(family.name);
  if (!labels.empty()) {
    line += '{';
    bool first = true;
    for (const auto& [name, value_text] : labels) {
      if (!first) line += ',';
      first = false;
      line += name;
      line += "=\"";
      line += escape_label_value(value_text);
      line += '"';
    }
    line += '}';
  }
  line += ' ';
  line += format_value(value);
  family.samples.push_back(std::move(line));
}

// Field access that never throws: absent, null or the wrong type all mean "no value".
const json* field(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<double> number(const json& object, const char* key) {
  const json* v = field(object, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

std::optional<bool> boolean(const json& object, const char* key) {
  const json* v = field(object, key);
  if (v == nullptr || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}

std::optional<std::string> text(const json& object, const char* key) {
  const json* v = field(object, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

// Reads exactly `n` decimal digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

// "YYYY-MM-DDTHH:MM:SSZ" (an optional ".fff" before the Z is kept) to unix seconds. Anything
// else is no value rather than a guess: a wrong timestamp would fire or hide an alert.
std::optional<double> parse_utc(std::string_view s) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s.back() != 'Z')
    return std::nullopt;
  const auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  const auto h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
  double fraction = 0;
  if (s.size() > 20) {
    const std::string_view frac = s.substr(19, s.size() - 20);  // ".fff"
    if (frac.size() < 2 || frac[0] != '.') return std::nullopt;
    double scale = 0.1;
    for (char c : frac.substr(1)) {
      if (c < '0' || c > '9') return std::nullopt;
      fraction += (c - '0') * scale;
      scale /= 10;
    }
  }
  const std::chrono::year_month_day date{std::chrono::year{*y},
                                         std::chrono::month{static_cast<unsigned>(*mo)},
                                         std::chrono::day{static_cast<unsigned>(*d)}};
  if (!date.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days{date}.time_since_epoch().count();
  return static_cast<double>(days) * 86400.0 + *h * 3600.0 + *mi * 60.0 + *sec + fraction;
}

std::optional<double> timestamp(const json& object, const char* key) {
  const auto t = text(object, key);
  if (!t) return std::nullopt;
  return parse_utc(*t);
}

// "ok" is success; every other result ("failed", "partial", "cancelled", ...) is not.
std::optional<double> success(const json& object, const char* key) {
  const auto result = text(object, key);
  if (!result) return std::nullopt;
  return *result == "ok" ? 1.0 : 0.0;
}

// An array field, or an empty one when it is absent or not an array.
const json& array(const json& object, const char* key) {
  static const json empty = json::array();
  const json* v = field(object, key);
  return v != nullptr && v->is_array() ? *v : empty;
}

// Every numeric member of an object field, one sample per member with the key as `label`.
void add_per_key(Family& family, const json& object, const char* key, Labels labels,
                 std::string_view label) {
  const json* members = field(object, key);
  if (members == nullptr || !members->is_object()) return;
  labels.emplace_back(label, std::string());
  for (const auto& [name, value] : members->items()) {
    if (!value.is_number()) continue;
    labels.back().second = name;
    add(family, labels, value.get<double>());
  }
}

void maybe_add(Family& family, const Labels& labels, std::optional<double> value) {
  if (value) add(family, labels, *value);
}

}  // namespace

std::string render_metrics(const json& status) {
  Family up{"meterbridge_up", "gauge", "1 while the meterbridge service answers scrapes.", {}};
  Family build_info{"meterbridge_build_info",
                    "gauge",
                    "Always 1; the version label names the running meterbridge.",
                    {}};
  Family ready{"meterbridge_ready",
               "gauge",
               "1 when the service is ready, 0 when not (GET /readyz says why).",
               {}};
  Family test_clock{"meterbridge_test_clock",
                    "gauge",
                    "1 when the service runs on a test clock instead of the wall clock.",
                    {}};
  Family job_last_run{"meterbridge_job_last_run_timestamp_seconds",
                      "gauge",
                      "Unix time the last run of the job finished.",
                      {}};
  Family job_duration{"meterbridge_job_last_duration_seconds",
                      "gauge",
                      "How long the last run of the job took.",
                      {}};
  Family job_success{"meterbridge_job_last_success",
                     "gauge",
                     "1 when the last run of the job ended ok, 0 otherwise.",
                     {}};
  Family job_next_run{"meterbridge_job_next_run_timestamp_seconds",
                      "gauge",
                      "Unix time the job is scheduled to run next.",
                      {}};
  Family job_runs{"meterbridge_job_runs_total",
                  "counter",
                  "Runs of the job since the service started, by result.",
                  {}};
  Family instance_last_run{"meterbridge_instance_last_run_timestamp_seconds",
                           "gauge",
                           "Unix time the plugin instance last ran.",
                           {}};
  Family instance_success{"meterbridge_instance_last_success",
                          "gauge",
                          "1 when the last run of the plugin instance ended ok, 0 otherwise.",
                          {}};
  Family instance_duration{"meterbridge_instance_last_duration_seconds",
                           "gauge",
                           "How long the last run of the plugin instance took.",
                           {}};
  Family records{"meterbridge_source_records_collected",
                 "gauge",
                 "Usage records the last collect of the source returned.",
                 {}};
  Family sink_lines{"meterbridge_sink_lines",
                    "gauge",
                    "Lines of the last sync of the sink, by result (written, held, error, "
                    "duplicate).",
                    {}};
  Family unmapped{"meterbridge_unmapped_customers_with_usage",
                  "gauge",
                  "Source customers with usage that map to no billing customer.",
                  {}};
  Family api_calls{"meterbridge_api_calls_total",
                   "counter",
                   "API calls the plugin instance made since the service started.",
                   {}};
  Family api_errors{"meterbridge_api_errors_total",
                    "counter",
                    "API calls of the plugin instance that failed since the service started, by "
                    "class (auth, rate_limited, transient, config, no_response).",
                    {}};

  Family runner_restarts{"meterbridge_runner_restarts_total",
                         "counter",
                         "Runners of the instance (isolation \"process\") started again after "
                         "the previous one failed, since the service started.",
                         {}};
  Family runner_failures{"meterbridge_runner_failures_total",
                         "counter",
                         "Calls of the instance whose runner was lost, by cause (crash, exit, "
                         "timeout, memory, cpu, protocol, start), since the service started.",
                         {}};

  add(up, {}, 1);
  if (const auto version = text(status, "version")) add(build_info, {{"version", *version}}, 1);
  if (const json* r = field(status, "ready")) {
    if (const auto ok = boolean(*r, "ok")) add(ready, {}, *ok ? 1 : 0);
  }
  if (const auto test = boolean(status, "test_clock")) add(test_clock, {}, *test ? 1 : 0);

  for (const json& job : array(status, "jobs")) {
    const auto name = text(job, "job");
    if (!name) continue;  // a sample without its job label would be meaningless
    const Labels labels{{"job", *name}};
    if (const json* last = field(job, "last_run")) {
      maybe_add(job_last_run, labels, timestamp(*last, "finished_at"));
      maybe_add(job_duration, labels, number(*last, "duration_seconds"));
      maybe_add(job_success, labels, success(*last, "result"));
    }
    maybe_add(job_next_run, labels, timestamp(job, "next_run"));
    add_per_key(job_runs, job, "runs", labels, "result");
  }

  for (const json& instance : array(status, "instances")) {
    const auto name = text(instance, "instance");
    if (!name) continue;
    const Labels labels{{"instance", *name},
                        {"kind", text(instance, "kind").value_or("")},
                        {"plugin", text(instance, "plugin").value_or("")}};
    maybe_add(instance_last_run, labels, timestamp(instance, "last_run_at"));
    maybe_add(instance_success, labels, success(instance, "last_result"));
    maybe_add(instance_duration, labels, number(instance, "last_duration_seconds"));
    const Labels by_instance{{"instance", *name}};
    maybe_add(records, by_instance, number(instance, "records"));
    add_per_key(sink_lines, instance, "lines", by_instance, "result");
    maybe_add(api_calls, by_instance, number(instance, "api_calls"));
    add_per_key(api_errors, instance, "api_errors", by_instance, "class");
    if (const json* runner = field(instance, "runner")) {
      maybe_add(runner_restarts, by_instance, number(*runner, "restarts"));
      add_per_key(runner_failures, *runner, "failures", by_instance, "cause");
    }
  }

  maybe_add(unmapped, {}, number(status, "unmapped_customers_with_usage"));

  std::string out;
  for (const Family* family :
       {&up, &build_info, &ready, &test_clock, &job_last_run, &job_duration, &job_success,
        &job_next_run, &job_runs, &instance_last_run, &instance_success, &instance_duration,
        &records, &sink_lines, &unmapped, &api_calls, &api_errors, &runner_restarts,
        &runner_failures}) {
    // promtool accepts a family with HELP and TYPE only, but a family without samples says
    // nothing a scraper can use: leave it out.
    if (family->samples.empty()) continue;
    out += "# HELP ";
    out += family->name;
    out += ' ';
    out += family->help;
    out += "\n# TYPE ";
    out += family->name;
    out += ' ';
    out += family->type;
    out += '\n';
    for (const auto& sample : family->samples) {
      out += sample;
      out += '\n';
    }
  }
  return out;
}

}  // namespace meterbridge::host::service
