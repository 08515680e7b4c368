#include "service/schedule.hpp"

#include <algorithm>

namespace meterbridge::host::service {

using std::chrono::minutes;
using std::chrono::seconds;

TimePoint local_instant(const date::time_zone* zone, engine::Day day, int32_t at_minute) {
  const date::local_seconds local = date::local_days{date::days{day}} + minutes(at_minute);
  const date::local_info info = zone->get_info(local);
  date::sys_seconds instant;
  switch (info.result) {
    case date::local_info::unique:
    case date::local_info::ambiguous:  // the first occurrence: the earlier offset
      instant = date::sys_seconds{local.time_since_epoch()} - info.first.offset;
      break;
    case date::local_info::nonexistent:  // in a spring-forward gap: the gap's end
    default:
      instant = info.second.begin;
      break;
  }
  return TimePoint(instant.time_since_epoch());
}

engine::Day local_day(const date::time_zone* zone, TimePoint t) {
  auto local = zone->to_local(date::floor<seconds>(t));
  return static_cast<engine::Day>(date::floor<date::days>(local).time_since_epoch().count());
}

bool occurs_on(const Recurrence& r, engine::Day day) {
  switch (r.every) {
    case Recurrence::Every::day:
      return true;
    case Recurrence::Every::week:
      return static_cast<int32_t>(date::weekday{date::sys_days{date::days{day}}}.c_encoding()) ==
             r.weekday;
    case Recurrence::Every::month:
      return engine::billing_date(engine::year_month_of(day), r.day_of_month) == day;
  }
  return false;
}

Slot slot_on(const Recurrence& r, const date::time_zone* zone, engine::Day day, seconds jitter) {
  return {day, local_instant(zone, day, r.at_minute) + jitter};
}

std::vector<Slot> slots_due(const Recurrence& r, const date::time_zone* zone, engine::Day first_day,
                            TimePoint now, seconds (*jitter)(engine::Day, int32_t),
                            int32_t jitter_minutes) {
  std::vector<Slot> out;
  const engine::Day last = local_day(zone, now);
  for (engine::Day d = first_day; d <= last; ++d) {
    if (!occurs_on(r, d)) continue;
    Slot s = slot_on(r, zone, d, jitter ? jitter(d, jitter_minutes) : seconds(0));
    if (s.due <= now) out.push_back(s);
  }
  return out;
}

Slot next_slot(const Recurrence& r, const date::time_zone* zone, TimePoint now,
               seconds (*jitter)(engine::Day, int32_t), int32_t jitter_minutes) {
  const engine::Day today = local_day(zone, now);
  for (engine::Day d = today - 1; d <= today + 400; ++d) {
    if (!occurs_on(r, d)) continue;
    Slot s = slot_on(r, zone, d, jitter ? jitter(d, jitter_minutes) : seconds(0));
    if (s.due > now) return s;
  }
  return {today + 400, now + std::chrono::hours(24 * 400)};  // unreachable for valid input
}

seconds day_jitter(engine::Day day, int32_t max_minutes) {
  if (max_minutes <= 0) return seconds(0);
  // A small integer hash (Knuth's multiplicative): stable, spread, no state.
  const uint32_t h = static_cast<uint32_t>(day) * 2654435761u;
  return seconds(h % static_cast<uint32_t>(max_minutes * 60));
}

minutes retry_backoff(int64_t attempts, int32_t first_minutes, int32_t max_minutes) {
  int64_t m = first_minutes;
  for (int64_t i = 1; i < attempts && m < max_minutes; ++i) m *= 2;
  return minutes(std::min<int64_t>(m, max_minutes));
}

}  // namespace meterbridge::host::service
