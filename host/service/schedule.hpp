// Schedule math of `meterbridge serve`, pure: local times in the operator's IANA zone turned
// into instants, with the DST rules (README "Operate it"):
// - a local time a spring-forward skips (02:30 on a day clocks jump 02:00 -> 03:00) runs at the
//   first valid instant after the gap (03:00);
// - a local time that occurs twice (01:30 on a fall-back day) runs at its first occurrence, and
//   once: a slot is a local day, and the store records each slot (store/slot_store.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include <date/tz.h>

#include "config/config.hpp"
#include "engine/calendar.hpp"
#include "services/host_clock.hpp"

namespace meterbridge::host::service {

// The instant local time at_minute (minutes after midnight) of local day `day` occurs in `zone`.
TimePoint local_instant(const date::time_zone* zone, engine::Day day, int32_t at_minute);

// The local day of an instant.
engine::Day local_day(const date::time_zone* zone, TimePoint t);

// Whether a recurrence has a slot on a local day (monthly: day 29-31 clamp to the month's end).
bool occurs_on(const Recurrence& r, engine::Day day);

// A recurrence's slot: its local day and the instant it is due.
struct Slot {
  engine::Day day = 0;
  TimePoint due;
};

// The slot of `r` on `day` (which must occur_on it), delayed by `jitter`.
Slot slot_on(const Recurrence& r, const date::time_zone* zone, engine::Day day,
             std::chrono::seconds jitter = std::chrono::seconds(0));

// The slots of `r` on the days from `first_day` whose due instant is at or before `now`, oldest
// first, each delayed by jitter(day).
std::vector<Slot> slots_due(const Recurrence& r, const date::time_zone* zone, engine::Day first_day,
                            TimePoint now,
                            std::chrono::seconds (*jitter)(engine::Day, int32_t) = nullptr,
                            int32_t jitter_minutes = 0);

// The first slot of `r` due strictly after `now` (searched over the next 400 days).
Slot next_slot(const Recurrence& r, const date::time_zone* zone, TimePoint now,
               std::chrono::seconds (*jitter)(engine::Day, int32_t) = nullptr,
               int32_t jitter_minutes = 0);

// A stable delay in [0, max_minutes) for a day: the same on every restart, different from day
// to day, so that MSPs whose services start at 00:30 do not all call a vendor at once.
std::chrono::seconds day_jitter(engine::Day day, int32_t max_minutes);

// After a failed attempt number `attempts` (1, 2, ...): first, 2 x first, 4 x first ... max.
std::chrono::minutes retry_backoff(int64_t attempts, int32_t first_minutes, int32_t max_minutes);

}  // namespace meterbridge::host::service
