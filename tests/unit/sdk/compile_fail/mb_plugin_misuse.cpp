// Must not compile: MB_PLUGIN outside meterbridge_add_plugin() (no MB_PLUGIN_* definitions), or a
// SourcePlugin built with KIND sink. tests/unit/sdk/CMakeLists.txt checks the compiler's message.
#include <meterbridge/plugin.hpp>

class Misused : public meterbridge::SourcePlugin {
 public:
  Misused(meterbridge::Host, const meterbridge::json&) {}
  meterbridge::json check() override { return {}; }
  meterbridge::json discover() override { return {}; }
  meterbridge::json collect(const std::string&) override { return {}; }
};

MB_PLUGIN(Misused, "never built", "{}")
