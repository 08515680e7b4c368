// Process exit codes, the same for every command (README "CLI").
#pragma once

namespace meterbridge::host {

inline constexpr int kExitOk = 0;       // everything asked for worked
inline constexpr int kExitFailure = 1;  // something ran and failed (a plugin check, a sync line)
inline constexpr int kExitUsage = 2;    // the command line or the config is wrong

}  // namespace meterbridge::host
