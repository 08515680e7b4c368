// emulator-autotask: an Autotask PSA REST API emulator for tests. See README.md.
//   emulator-autotask --listen 127.0.0.1:0 --seed seed.json [--tls-cert C --tls-key K]
//                     [--latency-ms N]
// Prints its base URL as the first stdout line, serves until SIGTERM/SIGINT, exits 0.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "emulator_main.hpp"
#include "routes.hpp"
#include "state.hpp"

int main(int argc, char** argv) {
  // --latency-ms is this emulator's own option: take it out before the shared command line.
  int latency_ms = 0;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--latency-ms") != 0) {
      args.push_back(argv[i]);
      continue;
    }
    try {
      latency_ms = i + 1 < argc ? std::stoi(argv[++i]) : -1;
    } catch (const std::exception&) {
      latency_ms = -1;
    }
    if (latency_ms < 0) {
      std::cerr << "emulator-autotask: --latency-ms needs a number of milliseconds >= 0\n";
      return 2;
    }
  }
  args.push_back(nullptr);
  return emulator_kit::run(
      static_cast<int>(args.size()) - 1, args.data(), "emulator-autotask",
      [latency_ms](httplib::Server& server, const std::string& seed_file,
                   const std::string& base) -> std::shared_ptr<void> {
        auto state =
            std::make_shared<at_emu::State>(at_emu::load_seed_file(seed_file), base, latency_ms);
        auto control = at_emu::install_routes(server, *state);
        // Both live while the server serves.
        return std::make_shared<std::pair<decltype(state), decltype(control)>>(state, control);
      });
}
