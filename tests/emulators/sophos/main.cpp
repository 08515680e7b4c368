// emulator-sophos: a Sophos Central Partner API emulator for tests. See README.md.
//   emulator-sophos --listen 127.0.0.1:0 --seed seed.json [--tls-cert C --tls-key K]
// Prints its base URL as the first stdout line, serves until SIGTERM/SIGINT, exits 0.
#include "emulator_main.hpp"
#include "routes.hpp"
#include "state.hpp"

int main(int argc, char** argv) {
  return emulator_kit::run(
      argc, argv, "emulator-sophos",
      [](httplib::Server& server, const std::string& seed_file,
         const std::string& base) -> std::shared_ptr<void> {
        auto state = std::make_shared<sophos_emu::State>(sophos_emu::load_seed(seed_file), base);
        auto control = sophos_emu::install_routes(server, *state);
        // Both live while the server serves.
        return std::make_shared<std::pair<decltype(state), decltype(control)>>(state, control);
      });
}
