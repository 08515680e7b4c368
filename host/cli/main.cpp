// meterbridge: the headless host. Everything happens in cli/command_line.cpp.
#include <exception>
#include <iostream>

#include "cli/command_line.hpp"
#include "cli/exit_codes.hpp"

int main(int argc, char** argv) {
  try {
    return meterbridge::host::run_command_line(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "meterbridge: internal error: " << e.what() << '\n';
    return meterbridge::host::kExitFailure;
  }
}
