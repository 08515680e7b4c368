#include "loader/manifest.hpp"

#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

namespace meterbridge::host {

Manifest read_manifest(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ManifestError("manifest " + file.string() + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded()) throw ManifestError("manifest " + file.string() + ": not valid JSON");
  if (!doc.is_object())
    throw ManifestError("manifest " + file.string() + ": expected a JSON object");
  auto field = [&](const char* name) -> std::string {
    if (!doc.contains(name))
      throw ManifestError("manifest " + file.string() + ": missing field '" + name + "'");
    if (!doc[name].is_string() || doc[name].get<std::string>().empty()) {
      throw ManifestError("manifest " + file.string() + ": field '" + name +
                          "' must be a non-empty string, found " + doc[name].dump());
    }
    return doc[name].get<std::string>();
  };
  if (!doc.contains("manifest_version") || doc["manifest_version"] != 1) {
    throw ManifestError("manifest " + file.string() +
                        ": field 'manifest_version' must be 1, found " +
                        (doc.contains("manifest_version") ? doc["manifest_version"].dump()
                                                          : std::string("nothing")));
  }
  Manifest m;
  m.file = file;
  m.id = field("id");
  static const std::regex id_re("^[a-z0-9][a-z0-9._-]*$");
  if (!std::regex_match(m.id, id_re)) {
    throw ManifestError("manifest " + file.string() +
                        ": field 'id' must match [a-z0-9][a-z0-9._-]*, found \"" + m.id + "\"");
  }
  m.kind = field("kind");
  if (m.kind != "source" && m.kind != "sink") {
    throw ManifestError("manifest " + file.string() +
                        ": field 'kind' must be \"source\" or \"sink\", found \"" + m.kind + "\"");
  }
  m.version = field("version");
  std::filesystem::path lib(field("library"));
  m.library = lib.is_absolute() ? lib : (file.parent_path() / lib).lexically_normal();
  return m;
}

}  // namespace meterbridge::host
