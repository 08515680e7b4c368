// The config sections of `meterbridge serve`: schedule, service and testing, and the recurrence
// form periodic jobs take. Every refusal names the JSON path and what was found.
#include <catch2/catch.hpp>

#include "config/config.hpp"

using meterbridge::host::Config;
using meterbridge::host::ConfigError;
using meterbridge::host::parse_config;
using meterbridge::host::parse_recurrence;
using meterbridge::host::Recurrence;
using nlohmann::json;

namespace {

Config with(const json& sections) {
  json doc = {{"config_version", 1}};
  doc.update(sections);
  return parse_config(doc, "/etc/meterbridge/config.json");
}

std::string refusal(const json& sections) {
  try {
    with(sections);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string recurrence_refusal(const json& value) {
  try {
    parse_recurrence(value, "/summaries/schedule", "c.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("without a schedule section the service's defaults apply") {
  Config c = with(json::object());
  CHECK(c.schedule.collect.enabled);
  CHECK(c.schedule.collect.at_minute == 30);
  CHECK(c.schedule.collect.catch_up_days == 31);
  CHECK(c.schedule.sync.at_minute == 120);
  CHECK_FALSE(c.schedule.sync.daily);
  CHECK(c.schedule.shutdown_timeout_seconds == 30);
  CHECK(c.service.listen == "127.0.0.1:9477");
  CHECK_FALSE(c.testing.allow_test_clock);
}

TEST_CASE("a schedule section is read whole") {
  Config c = with(json::parse(R"({
    "schedule": {"collect": {"at": "01:15", "jitter_minutes": 0, "catch_up_days": 7,
                             "retry_first_minutes": 2, "retry_max_minutes": 30},
                 "sync": {"at": "23:59", "daily": true},
                 "shutdown_timeout_seconds": 10, "lock_wait_seconds": 5},
    "service": {"listen": "[::1]:9000"},
    "testing": {"allow_test_clock": true}})"));
  CHECK(c.schedule.collect.at_minute == 75);
  CHECK(c.schedule.collect.jitter_minutes == 0);
  CHECK(c.schedule.collect.catch_up_days == 7);
  CHECK(c.schedule.collect.retry_max_minutes == 30);
  CHECK(c.schedule.sync.at_minute == 23 * 60 + 59);
  CHECK(c.schedule.sync.daily);
  CHECK(c.schedule.shutdown_timeout_seconds == 10);
  CHECK(c.schedule.lock_wait_seconds == 5);
  CHECK(c.service.listen == "[::1]:9000");
  CHECK(c.testing.allow_test_clock);
  CHECK(with(json::parse(R"({"service": {"listen": ""}})")).service.listen.empty());
}

TEST_CASE("a wrong schedule, listen address or testing key is refused where it is") {
  CHECK_THAT(refusal(json::parse(R"({"schedule": {"collect": {"at": "24:00"}}})")),
             Catch::Contains("/schedule/collect/at: expected a local time \"HH:MM\" from 00:00 "
                             "to 23:59, found \"24:00\""));
  CHECK_THAT(refusal(json::parse(R"({"schedule": {"sync": {"at": "2:00"}}})")),
             Catch::Contains("/schedule/sync/at"));
  CHECK_THAT(refusal(json::parse(R"({"schedule": {"sync": {"dayly": true}}})")),
             Catch::Contains("/schedule/sync/dayly: unknown key 'dayly'"));
  CHECK_THAT(refusal(json::parse(R"({"schedule": {"collect": {"catch_up_days": 400}}})")),
             Catch::Contains("/schedule/collect/catch_up_days: expected an integer from 0 to 366"));
  CHECK_THAT(refusal(json::parse(R"({"schedule": {"shutdown_timeout_seconds": 0}})")),
             Catch::Contains("/schedule/shutdown_timeout_seconds"));
  CHECK_THAT(refusal(json::parse(R"({"service": {"listen": "localhost:9477"}})")),
             Catch::Contains("/service/listen: expected \"HOST:PORT\" with an IP address"));
  CHECK_THAT(refusal(json::parse(R"({"service": {"listen": "127.0.0.1:70000"}})")),
             Catch::Contains("/service/listen"));
  CHECK_THAT(refusal(json::parse(R"({"testing": {"allow_test_clock": "yes"}})")),
             Catch::Contains("/testing/allow_test_clock: expected true or false"));
  CHECK_THAT(refusal(json::parse(R"({"testing": {"fake_time": true}})")),
             Catch::Contains("/testing/fake_time: unknown key"));
}

TEST_CASE("the recurrence form: every day, every week on a weekday, every month on a day") {
  Recurrence r = parse_recurrence(json::parse(R"({"every": "day", "at": "07:00"})"), "/x", "c");
  CHECK(r.every == Recurrence::Every::day);
  CHECK(r.at_minute == 420);
  r = parse_recurrence(json::parse(R"({"every": "week", "weekday": "friday", "at": "08:30"})"),
                       "/x", "c");
  CHECK(r.every == Recurrence::Every::week);
  CHECK(r.weekday == 5);
  r = parse_recurrence(json::parse(R"({"every": "month", "day": 31})"), "/x", "c");
  CHECK(r.every == Recurrence::Every::month);
  CHECK(r.day_of_month == 31);
  CHECK(r.at_minute == 0);
  CHECK_THAT(recurrence_refusal(json::parse(R"({"every": "fortnight"})")),
             Catch::Contains("/summaries/schedule/every: expected \"day\", \"week\" or \"month\""));
  CHECK_THAT(recurrence_refusal(json::parse(R"({"every": "week"})")),
             Catch::Contains("/summaries/schedule/weekday: missing"));
  CHECK_THAT(recurrence_refusal(json::parse(R"({"every": "week", "weekday": "Friday"})")),
             Catch::Contains("lower case"));
  CHECK_THAT(recurrence_refusal(json::parse(R"({"every": "month", "day": 32})")),
             Catch::Contains("/summaries/schedule/day: expected an integer from 1 to 31"));
  CHECK_THAT(recurrence_refusal(json::parse(R"({"every": "day", "day": 3})")),
             Catch::Contains("only a monthly recurrence"));
  CHECK_THAT(recurrence_refusal(json::parse(R"({"every": "month"})")),
             Catch::Contains("/summaries/schedule/day: missing"));
}

TEST_CASE("summaries: global recurrences, a company's own, and off") {
  Config c = with({{"summaries",
                    {{"detection", {{"every", "week"}, {"weekday", "monday"}, {"at", "07:00"}}},
                     {"executive", {{"every", "month"}, {"day", 1}}},
                     {"companies",
                      {{"19013", {{"detection", {{"every", "day"}, {"at", "06:30"}}}}},
                       {"19034", {{"executive", "off"}, {"detection", "off"}}}}}}}});
  auto global = c.summaries.of("detection", "19001");
  REQUIRE(global);
  CHECK(global->every == Recurrence::Every::week);
  CHECK(global->weekday == 1);
  auto own = c.summaries.of("detection", "19013");
  REQUIRE(own);
  CHECK(own->every == Recurrence::Every::day);
  CHECK(own->at_minute == 6 * 60 + 30);
  CHECK(c.summaries.of("executive", "19013")->every == Recurrence::Every::month);
  CHECK_FALSE(c.summaries.of("detection", "19034"));
  CHECK_FALSE(c.summaries.of("executive", "19034"));
  CHECK_FALSE(with(json::object()).summaries.of("detection", "19001"));  // no section: none
}

TEST_CASE("summaries: a wrong recurrence, kind or company entry is refused where it is") {
  CHECK(refusal({{"summaries", {{"executive", {{"every", "week"}, {"weekday", "monday"}}}}}})
            .find("/summaries/executive/every: the executive summary is monthly") !=
        std::string::npos);
  CHECK(refusal({{"summaries", {{"detections", {{"every", "day"}}}}}}).find("/summaries") !=
        std::string::npos);
  CHECK(refusal({{"summaries", {{"companies", {{"7", {{"detection", "never"}}}}}}}})
            .find("/summaries/companies/7/detection: expected a recurrence") != std::string::npos);
  CHECK(refusal({{"summaries", {{"companies", {{"7", {{"weekly", "off"}}}}}}}})
            .find("/summaries/companies/7") != std::string::npos);
  CHECK(refusal({{"summaries", {{"detection", {{"every", "week"}}}}}})
            .find("/summaries/detection/weekday") != std::string::npos);
}
