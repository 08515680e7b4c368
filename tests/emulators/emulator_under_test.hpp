// What the emulators' own tests share: the emulator process with a client of it, and its
// example seed read back.
#pragma once

#include <httplib.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "emulator_process.hpp"

class EmulatorUnderTest : public EmulatorProcess {
 public:
  using EmulatorProcess::EmulatorProcess;
  // Waits up to 10 s for an answer: a "slow" fault takes seconds.
  httplib::Client client() const {
    httplib::Client c(url());
    c.set_read_timeout(10, 0);
    return c;
  }
};

inline nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}
