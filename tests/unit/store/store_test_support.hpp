// A fresh billing store file per test, under the system temp directory.
#pragma once

#include <filesystem>
#include <random>
#include <string>

#include <unistd.h>

inline std::filesystem::path fresh_store_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("mb-store-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir / "billing.sqlite3";
}
