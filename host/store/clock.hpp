// Wall-clock instants for store rows, as ISO-8601 UTC text ("2026-11-25T15:04:05Z").
#pragma once

#include <string>

namespace meterbridge::host::store {

std::string utc_now_iso();

}  // namespace meterbridge::host::store
