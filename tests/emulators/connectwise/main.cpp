// emulator-connectwise: a ConnectWise PSA (Manage) REST API emulator for tests. See README.md.
//   emulator-connectwise --listen 127.0.0.1:0 --seed seed.json [--tls-cert C --tls-key K]
// Prints its base URL as the first stdout line, serves until SIGTERM/SIGINT, exits 0.
#include "emulator_main.hpp"
#include "routes.hpp"
#include "state.hpp"

int main(int argc, char** argv) {
  return emulator_kit::run(
      argc, argv, "emulator-connectwise",
      [](httplib::Server& server, const std::string& seed_file,
         const std::string& base) -> std::shared_ptr<void> {
        auto state = std::make_shared<cw_emu::State>(cw_emu::load_seed(seed_file), base);
        auto control = cw_emu::install_routes(server, *state);
        // Both live while the server serves.
        return std::make_shared<std::pair<decltype(state), decltype(control)>>(state, control);
      });
}
