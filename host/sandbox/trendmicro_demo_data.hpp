// The sandbox's embedded Trend Micro Remote Manager demo: an emulator-trendmicro seed with six
// of the demo customers (tests/emulators/trendmicro/README.md): some with Worry-Free only, some
// with Hosted Email Security or Trend Micro Email Security Standard/Advanced, seats in use per
// activation code, and daily detection counts of the email products for the three months before
// the sandbox's today.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/calendar.hpp"

namespace meterbridge::host::sandbox {

struct TrendMicroDemo {
  nlohmann::json seed;       // emulator-trendmicro --seed
  std::string access_token;  // the seed's credentials, for the trendmicro-rm settings
  std::string secret_key;
  int64_t email_customers = 0;  // customers with an email product (answered by `detections`)
};

// The same data for the same `today`: detection counts are derived from the customer and the
// day, never from a random source, so a scenario can assert on them.
TrendMicroDemo make_trendmicro_demo(engine::Day today);

// How many days before `today` carry detection counts (today included: days today-N+1..today).
inline constexpr int kTrendMicroDetectionDays = 92;

}  // namespace meterbridge::host::sandbox
