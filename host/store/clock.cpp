#include "store/clock.hpp"

#include "services/host_clock.hpp"

namespace meterbridge::host::store {

std::string utc_now_iso() {
  return format_utc_iso(host_now());
}

}  // namespace meterbridge::host::store
