// The config sections of `meterbridge serve`: schedule, service and testing (README "Operate
// it"). Kept apart from config.cpp because they only matter to the service.
#include <algorithm>
#include <array>
#include <regex>

#include "config/object_reader.hpp"

namespace meterbridge::host {
namespace {

using nlohmann::json;

int32_t read_time_of_day(ObjectReader& r, const std::string& key, int32_t fallback) {
  const json* v = r.get(key, json::value_t::string, "a local time \"HH:MM\"");
  if (!v) return fallback;
  auto minutes = parse_time_of_day(v->get<std::string>());
  if (!minutes) {
    r.fail(r.at(key), "expected a local time \"HH:MM\" from 00:00 to 23:59, found \"" +
                          v->get<std::string>() + "\"");
  }
  return *minutes;
}

bool read_bool(ObjectReader& r, const std::string& key, bool fallback) {
  const json* v = r.get(key, json::value_t::boolean, "true or false");
  return v ? v->get<bool>() : fallback;
}

void read_collect(ObjectReader& schedule, const std::filesystem::path& file, CollectSchedule& c) {
  const json* v = schedule.get("collect", json::value_t::object, "an object");
  if (!v) return;
  ObjectReader r(*v, "/schedule/collect", file);
  c.enabled = read_bool(r, "enabled", c.enabled);
  c.at_minute = read_time_of_day(r, "at", c.at_minute);
  c.jitter_minutes = static_cast<int32_t>(r.integer_or("jitter_minutes", c.jitter_minutes, 0, 60));
  c.catch_up_days = static_cast<int32_t>(r.integer_or("catch_up_days", c.catch_up_days, 0, 366));
  c.retry_first_minutes =
      static_cast<int32_t>(r.integer_or("retry_first_minutes", c.retry_first_minutes, 1, 720));
  c.retry_max_minutes = static_cast<int32_t>(
      r.integer_or("retry_max_minutes", c.retry_max_minutes, c.retry_first_minutes, 1440));
  r.refuse_unknown_keys();
}

void read_sync_schedule(ObjectReader& schedule, const std::filesystem::path& file,
                        SyncSchedule& s) {
  const json* v = schedule.get("sync", json::value_t::object, "an object");
  if (!v) return;
  ObjectReader r(*v, "/schedule/sync", file);
  s.enabled = read_bool(r, "enabled", s.enabled);
  s.at_minute = read_time_of_day(r, "at", s.at_minute);
  s.daily = read_bool(r, "daily", s.daily);
  r.refuse_unknown_keys();
}

}  // namespace

std::optional<int32_t> parse_time_of_day(const std::string& text) {
  static const std::regex re("^([01][0-9]|2[0-3]):([0-5][0-9])$");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return std::nullopt;
  return std::stoi(m[1].str()) * 60 + std::stoi(m[2].str());
}

Recurrence parse_recurrence(const json& value, const std::string& pointer,
                            const std::filesystem::path& file) {
  ObjectReader r(value, pointer, file);
  Recurrence out;
  const json* every = r.get("every", json::value_t::string, "\"day\", \"week\" or \"month\"");
  if (!every) r.fail(r.at("every"), "missing: say \"day\", \"week\" or \"month\"");
  const std::string e = every->get<std::string>();
  if (e == "day") {
    out.every = Recurrence::Every::day;
  } else if (e == "week") {
    out.every = Recurrence::Every::week;
  } else if (e == "month") {
    out.every = Recurrence::Every::month;
  } else {
    r.fail(r.at("every"), "expected \"day\", \"week\" or \"month\", found \"" + e + "\"");
  }
  out.at_minute = read_time_of_day(r, "at", 0);
  static const std::array<const char*, 7> days = {"sunday",   "monday", "tuesday", "wednesday",
                                                  "thursday", "friday", "saturday"};
  const json* weekday = r.get("weekday", json::value_t::string, "a weekday name");
  if (weekday && out.every != Recurrence::Every::week)
    r.fail(r.at("weekday"), "only a weekly recurrence (\"every\": \"week\") has a weekday");
  if (out.every == Recurrence::Every::week) {
    if (!weekday) r.fail(r.at("weekday"), "missing: a weekly recurrence needs a weekday");
    const std::string name = weekday->get<std::string>();
    auto it = std::find(days.begin(), days.end(), name);
    if (it == days.end()) {
      r.fail(r.at("weekday"),
             "expected a weekday name in English and lower case (\"monday\"), "
             "found \"" +
                 name + "\"");
    }
    out.weekday = static_cast<int32_t>(it - days.begin());
  }
  const json* day = r.get("day", json::value_t::number_integer, "an integer");
  if (day && out.every != Recurrence::Every::month)
    r.fail(r.at("day"), "only a monthly recurrence (\"every\": \"month\") has a day");
  if (out.every == Recurrence::Every::month) {
    if (!day) r.fail(r.at("day"), "missing: a monthly recurrence needs a day 1..31");
    out.day_of_month = static_cast<int32_t>(r.integer_or("day", 1, 1, 31));
  }
  r.refuse_unknown_keys();
  return out;
}

std::optional<Recurrence> SummariesConfig::of(const std::string& kind,
                                              const std::string& company) const {
  auto it = companies.find(company);
  const bool detection = kind == "detection";
  if (it != companies.end()) {
    const auto& own = detection ? it->second.detection : it->second.executive;
    if (own) return *own;
  }
  return detection ? this->detection : executive;
}

namespace {

// A recurrence or "off" (a company's own schedule).
std::optional<Recurrence> recurrence_or_off(ObjectReader& r, const json& v, const std::string& key,
                                            const std::filesystem::path& file) {
  if (v.is_string() && v.get<std::string>() == "off") return std::nullopt;
  if (!v.is_object()) {
    r.fail(r.at(key),
           "expected a recurrence {\"every\": ...} or \"off\", found " + describe_json_value(v));
  }
  return parse_recurrence(v, r.at(key), file);
}

void read_summaries(ObjectReader& top, const std::filesystem::path& file, SummariesConfig& s) {
  const json* v = top.get("summaries", json::value_t::object, "an object");
  if (!v) return;
  ObjectReader r(*v, "/summaries", file);
  for (const char* kind : {"detection", "executive"}) {
    if (const json* k = r.get(kind, json::value_t::object, "a recurrence {\"every\": ...}")) {
      (std::string(kind) == "detection" ? s.detection : s.executive) =
          parse_recurrence(*k, r.at(kind), file);
    }
  }
  if (s.executive && s.executive->every != Recurrence::Every::month) {
    r.fail(r.at("executive") + "/every", "the executive summary is monthly: say \"month\"");
  }
  if (const json* companies = r.get("companies", json::value_t::object, "an object")) {
    for (const auto& [id, entry] : companies->items()) {
      ObjectReader c(entry, r.at("companies") + "/" + id, file);
      CompanySummaries own;
      for (const char* kind : {"detection", "executive"}) {
        const json* value = c.any(kind);
        if (!value) continue;
        auto rec = recurrence_or_off(c, *value, kind, file);
        if (rec && std::string(kind) == "executive" && rec->every != Recurrence::Every::month) {
          c.fail(c.at(kind) + "/every", "the executive summary is monthly: say \"month\"");
        }
        (std::string(kind) == "detection" ? own.detection : own.executive) = rec;
      }
      c.refuse_unknown_keys();
      s.companies[id] = own;
    }
  }
  r.refuse_unknown_keys();
}

}  // namespace

void read_service_sections(ObjectReader& top, const std::filesystem::path& file, Config& c) {
  read_summaries(top, file, c.summaries);
  if (const json* v = top.get("schedule", json::value_t::object, "an object")) {
    ObjectReader r(*v, "/schedule", file);
    read_collect(r, file, c.schedule.collect);
    read_sync_schedule(r, file, c.schedule.sync);
    c.schedule.shutdown_timeout_seconds = static_cast<int32_t>(
        r.integer_or("shutdown_timeout_seconds", c.schedule.shutdown_timeout_seconds, 1, 600));
    c.schedule.lock_wait_seconds = static_cast<int32_t>(
        r.integer_or("lock_wait_seconds", c.schedule.lock_wait_seconds, 0, 86400));
    r.refuse_unknown_keys();
  }
  if (const json* v = top.get("service", json::value_t::object, "an object")) {
    ObjectReader r(*v, "/service", file);
    c.service.listen = r.string_or("listen", c.service.listen);
    // IPv4 or a bracketed IPv6 literal and a port: a host name would make the bind address
    // depend on DNS, and "0.0.0.0" must be a choice the operator writes out.
    static const std::regex listen_re(R"(^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):(\d{1,5})$)");
    std::smatch m;
    if (!c.service.listen.empty() &&
        (!std::regex_match(c.service.listen, m, listen_re) || std::stol(m[3].str()) > 65535)) {
      r.fail("/service/listen",
             "expected \"HOST:PORT\" with an IP address (\"127.0.0.1:9477\", "
             "\"[::1]:9477\") or \"\" for no endpoint, found \"" +
                 c.service.listen + "\"");
    }
    r.refuse_unknown_keys();
  }
  if (const json* v = top.get("testing", json::value_t::object, "an object")) {
    ObjectReader r(*v, "/testing", file);
    c.testing.allow_test_clock = read_bool(r, "allow_test_clock", false);
    r.refuse_unknown_keys();
  }
}

}  // namespace meterbridge::host
