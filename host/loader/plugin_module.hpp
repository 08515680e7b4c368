// One loaded plugin library, negotiated and accepted. Never unloaded in production: the
// library is pinned (RTLD_NODELETE) so no pointer into it can dangle; tests may opt out.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <meterbridge/abi.h>
#include <boost/dll/shared_library.hpp>

#include "loader/manifest.hpp"
#include "loader/plugin_instance.hpp"

namespace meterbridge::host {

struct LoaderOptions {
  bool pin_libraries = true;  // production: never unload
};

// Why a library was refused; the loader turns it into a Refusal.
class LoadError : public std::runtime_error {
 public:
  LoadError(std::string plugin_id, const std::string& message)
      : std::runtime_error(message), plugin_id_(std::move(plugin_id)) {}
  const std::string& plugin_id() const { return plugin_id_; }

 private:
  std::string plugin_id_;
};

struct CreateResult {
  std::unique_ptr<PluginInstance> instance;  // set on success
  CallResult error;                          // status + message on failure
  explicit operator bool() const { return instance != nullptr; }
};

class PluginModule : public std::enable_shared_from_this<PluginModule> {
 public:
  // Loads, negotiates and checks the library the manifest names. Throws LoadError.
  static std::shared_ptr<PluginModule> load(const Manifest& manifest, const LoaderOptions& options);

  const std::string& id() const { return id_; }
  const std::string& kind() const { return manifest_.kind; }
  const std::string& version() const { return version_; }
  const std::string& description() const { return description_; }
  const std::string& settings_schema_json() const { return schema_; }
  uint16_t abi_major() const { return api_.abi_major; }
  uint16_t abi_minor() const { return api_.abi_minor; }
  uint16_t min_host_minor() const { return api_.min_host_minor; }
  const std::filesystem::path& path() const { return manifest_.library; }
  const std::filesystem::path& manifest_path() const { return manifest_.file; }
  bool has_validate_settings() const { return api_.validate_settings != nullptr; }

  // The plugin's table as the host sees it: host-sized, unknown tail zeroed.
  const mb_plugin_api& api() const { return api_; }

  CallResult validate_settings(std::string_view settings_json) const;
  CreateResult create_instance(const mb_host_api* host, std::string_view settings_json) const;

 private:
  PluginModule() = default;

  Manifest manifest_;
  boost::dll::shared_library library_;
  mb_plugin_api api_{};
  std::string id_, version_, description_, schema_;
};

// Reads a buffer the plugin filled and gives it back through its release.
std::string take_plugin_buffer(mb_buffer& buffer);

// What the host keeps of a hook's output: the buffer's text with every secret the host resolved
// redacted (Redactor::global). Every text a plugin hands the host passes through one of these,
// so nothing the host shows, stores or journals from a plugin can hold a secret.
// A message (an error): redacted as text.
std::string take_plugin_message(mb_buffer& buffer);
// MB_OK: the answer, redacted as JSON text (it stays valid JSON); otherwise the message.
CallResult take_plugin_result(mb_status status, mb_buffer& buffer);
// The same for a text that came another way (from a meterbridge-runner).
CallResult plugin_result(mb_status status, std::string text);

}  // namespace meterbridge::host
