// Fuzzes the config reader (host/config/config.cpp): the text of a config file, as load_config
// reads it, through JSON parsing and every check. A ConfigError is the documented refusal; any
// other exception, a crash, or an ASan or UBSan report is a failure. A config that is accepted
// must hold what the reader promises.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    meterbridge::host::Config c =
        meterbridge::host::parse_config_text(text, "/etc/meterbridge/config.json");
    fuzz::require(c.config_version == 1, "an accepted config is version 1");
    fuzz::require(c.http.max_attempts >= 1 && c.http.max_attempts <= 20,
                  "max_attempts is in range");
    for (size_t i = 0; i < c.plugins.size(); ++i) {
      const auto& p = c.plugins[i];
      fuzz::require(!p.name.empty() && p.name.size() <= 64, "an instance name has 1-64 chars");
      fuzz::require(!p.plugin.empty(), "an instance names its plugin");
      fuzz::require(p.settings.is_object(), "settings are an object");
      fuzz::require(i == 0 || c.plugins[i - 1].name < p.name, "instances are sorted by name");
      fuzz::require(c.find_instance(p.name) == &p, "find_instance finds each instance");
    }
    for (const auto& dir : c.plugin_dirs) fuzz::require(dir.is_absolute(), "plugin dirs resolved");
    fuzz::require(c.data_dir.empty() || c.data_dir.is_absolute(), "data_dir resolved");
    fuzz::require(c.store_file.empty() || c.store_file.is_absolute(), "store resolved");
  } catch (const meterbridge::host::ConfigError& e) {
    fuzz::require(std::string(e.what()).rfind("/etc/meterbridge/config.json: ", 0) == 0,
                  "a config error names the file");
    fuzz::require(fuzz::valid_utf8(e.what()), "a config error is UTF-8 text");
  }
  return 0;
}
