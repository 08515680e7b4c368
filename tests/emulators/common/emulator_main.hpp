// What every API emulator under tests/emulators/ shares: the command line (--listen HOST:PORT,
// --seed FILE, --tls-cert/--tls-key), HTTP or HTTPS, the base URL as the first stdout line, and
// serving until SIGTERM/SIGINT (exit 0; 2 for bad options, seed or certificate).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <httplib.h>

namespace emulator_kit {

// Loads the seed file and installs the emulator's routes on server; the returned object (its
// state) lives while the server serves. Throws std::exception for a bad seed.
using Setup = std::function<std::shared_ptr<void>(
    httplib::Server& server, const std::string& seed_file, const std::string& base_url)>;

int run(int argc, char** argv, const std::string& name, const Setup& setup);

}  // namespace emulator_kit
