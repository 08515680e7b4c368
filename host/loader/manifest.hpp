// <id>.plugin.json: what the loader reads before it opens a plugin library.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace meterbridge::host {

struct Manifest {
  std::filesystem::path file;  // the manifest itself
  std::string id;
  std::string kind;  // "source" or "sink"
  std::string version;
  std::filesystem::path library;  // absolute: resolved against the manifest's directory
};

class ManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws ManifestError naming the file, the field, what was expected and what was found.
Manifest read_manifest(const std::filesystem::path& file);

}  // namespace meterbridge::host
