// emulator-trendmicro: a Trend Micro Remote Manager (SMPI/LMPI) emulator for tests. See README.md.
//   emulator-trendmicro --listen 127.0.0.1:0 --seed seed.json [--tls-cert C --tls-key K]
// Prints its base URL as the first stdout line, serves until SIGTERM/SIGINT, exits 0.
#include "emulator_main.hpp"
#include "routes.hpp"
#include "state.hpp"

int main(int argc, char** argv) {
  return emulator_kit::run(
      argc, argv, "emulator-trendmicro",
      [](httplib::Server& server, const std::string& seed_file,
         const std::string& base) -> std::shared_ptr<void> {
        auto state =
            std::make_shared<trendmicro_emu::State>(trendmicro_emu::load_seed(seed_file), base);
        auto control = trendmicro_emu::install_routes(server, *state);
        // Both live while the server serves.
        return std::make_shared<std::pair<decltype(state), decltype(control)>>(state, control);
      });
}
