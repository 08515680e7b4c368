#include "loader/plugin_module.hpp"

#include <dlfcn.h>

#include <cstring>

#include "services/redactor.hpp"

namespace meterbridge::host {
namespace {

std::string version_text(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

const std::string kHostAbi = version_text(MB_ABI_MAJOR, MB_ABI_MINOR);

}  // namespace

std::string take_plugin_buffer(mb_buffer& buffer) {
  std::string text = buffer.ptr ? std::string(buffer.ptr, buffer.len) : std::string();
  if (buffer.release) buffer.release(&buffer);
  buffer = mb_buffer{};
  return text;
}

std::string take_plugin_message(mb_buffer& buffer) {
  return Redactor::global().redact(take_plugin_buffer(buffer));
}

CallResult take_plugin_result(mb_status status, mb_buffer& buffer) {
  if (status != MB_OK) return {status, take_plugin_message(buffer)};
  return {status, Redactor::global().redact_json(take_plugin_buffer(buffer))};
}

CallResult plugin_result(mb_status status, std::string text) {
  if (status != MB_OK) return {status, Redactor::global().redact(text)};
  return {status, Redactor::global().redact_json(std::move(text))};
}

std::shared_ptr<PluginModule> PluginModule::load(const Manifest& manifest,
                                                 const LoaderOptions& options) {
  const std::string file = manifest.library.string();
  const std::string who = "plugin '" + manifest.id + "' (" + file + ")";
  if (!std::filesystem::exists(manifest.library)) {
    throw LoadError(manifest.id, who + ": library file does not exist (named by " +
                                     manifest.file.string() + ")");
  }
  std::shared_ptr<PluginModule> m(new PluginModule());
  m->manifest_ = manifest;
  try {
    namespace mode = boost::dll::load_mode;
    m->library_.load(boost::dll::fs::path(file), mode::rtld_now | mode::rtld_local);
  } catch (const std::exception& e) {
    const char* why = dlerror();
    std::string detail = e.what();
    // dlopen's own text says which dependency is missing or that this is no ELF file.
    void* probe = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (probe) {
      dlclose(probe);
    } else if ((why = dlerror()) != nullptr) {
      detail = why;
    }
    throw LoadError(manifest.id, who + ": cannot be loaded: " + detail +
                                     " (is it a shared library for this system? run `ldd " + file +
                                     "` to find a missing dependency)");
  }
  if (!m->library_.has(MB_ENTRY_SYMBOL)) {
    throw LoadError(
        manifest.id,
        who + ": does not export " MB_ENTRY_SYMBOL
              "; it is not a meterbridge plugin (was it built with meterbridge_add_plugin?)");
  }
  auto entry =
      m->library_.get<mb_status(const mb_host_version*, const mb_plugin_api**)>(MB_ENTRY_SYMBOL);
  mb_host_version host{sizeof(mb_host_version), MB_ABI_MAJOR, MB_ABI_MINOR};
  const mb_plugin_api* table = nullptr;
  mb_status status = entry(&host, &table);
  if (table == nullptr || table->struct_size < offsetof(mb_plugin_api, validate_settings)) {
    throw LoadError(manifest.id, who + ": the entry point returned " +
                                     (table ? "a table too small for ABI 1.0" : "no plugin table") +
                                     " (status " + std::to_string(status) + "); host ABI " +
                                     kHostAbi);
  }
  // Copy what the plugin has into a zeroed, host-sized table: fields of newer minors that an
  // older plugin lacks read as absent.
  std::memcpy(&m->api_, table, std::min<size_t>(table->struct_size, sizeof(mb_plugin_api)));
  m->api_.struct_size = sizeof(mb_plugin_api);
  const mb_plugin_api& api = m->api_;
  const std::string plugin_abi = version_text(api.abi_major, api.abi_minor);
  const std::string id = api.id ? api.id : manifest.id;
  const std::string named = "plugin '" + id + "' (" + file + ")";
  if (api.abi_major != MB_ABI_MAJOR) {
    throw LoadError(
        id, named + ": built for plugin ABI " + plugin_abi + ", this host speaks ABI " + kHostAbi +
                "; a different major version cannot be loaded: rebuild the plugin against the "
                "host's SDK or use a host of ABI major " +
                std::to_string(api.abi_major));
  }
  if (api.min_host_minor > MB_ABI_MINOR) {
    throw LoadError(id,
                    named + ": built for plugin ABI " + plugin_abi + " and needs a host of ABI " +
                        version_text(MB_ABI_MAJOR, api.min_host_minor) +
                        " or newer, this host speaks ABI " + kHostAbi + ": upgrade meterbridge");
  }
  if (status != MB_OK) {
    throw LoadError(id, named + ": the plugin refused this host (status " + std::to_string(status) +
                            "); plugin ABI " + plugin_abi + ", host ABI " + kHostAbi);
  }
  if (!api.id || !api.version || !api.create || !api.destroy || !api.check || !api.invoke) {
    throw LoadError(
        id, named +
                ": its table lacks a required field (id, version, create, destroy, check or "
                "invoke); plugin ABI " +
                plugin_abi + ", host ABI " + kHostAbi);
  }
  if (api.kind != MB_KIND_SOURCE && api.kind != MB_KIND_SINK) {
    throw LoadError(
        id, named + ": kind " + std::to_string(api.kind) + " is neither source (1) nor sink (2)");
  }
  if (id != manifest.id) {
    throw LoadError(manifest.id, "plugin library " + file + " calls itself '" + id +
                                     "' but its manifest " + manifest.file.string() + " says '" +
                                     manifest.id + "'; fix the manifest");
  }
  const std::string kind = api.kind == MB_KIND_SOURCE ? "source" : "sink";
  if (kind != manifest.kind) {
    throw LoadError(id, named + ": is a " + kind + " but its manifest " + manifest.file.string() +
                            " says " + manifest.kind);
  }
  // The manifest describes the library without opening it; another version means the two come
  // from different builds (a stale manifest beside a rebuilt library), which id and kind miss.
  if (manifest.version != api.version) {
    throw LoadError(
        id, "plugin library " + file + " is version '" + api.version + "' but its manifest " +
                manifest.file.string() + " says version '" + manifest.version +
                "'; rebuild the plugin or regenerate its manifest (meterbridge_add_plugin "
                "writes both from one VERSION)");
  }
  m->id_ = id;
  m->version_ = api.version;
  m->description_ = api.description ? api.description : "";
  m->schema_ = api.settings_schema_json ? api.settings_schema_json : "{}";
  if (options.pin_libraries) {
    // Take one more reference that is never dropped and mark it non-deletable, as GStreamer's
    // make_resident does: unloading plugins is a source of use-after-unmap crashes.
    void* pinned = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD | RTLD_NODELETE);
    (void)pinned;
  }
  return m;
}

CallResult PluginModule::validate_settings(std::string_view settings_json) const {
  if (!api_.validate_settings) return {MB_OK, {}};
  mb_buffer error{};
  mb_status s = api_.validate_settings(mb_str{settings_json.data(), settings_json.size()}, &error);
  return take_plugin_result(s, error);
}

CreateResult PluginModule::create_instance(const mb_host_api* host,
                                           std::string_view settings_json) const {
  void* handle = nullptr;
  mb_buffer error{};
  mb_status s =
      api_.create(host, mb_str{settings_json.data(), settings_json.size()}, &handle, &error);
  std::string message = take_plugin_message(error);
  CreateResult r;
  if (s != MB_OK) {
    r.error = {s, message.empty() ? "create failed without a message" : message};
    return r;
  }
  r.instance = std::make_unique<InProcessInstance>(shared_from_this(), handle);
  return r;
}

}  // namespace meterbridge::host
