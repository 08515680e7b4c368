#include "config/config.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <date/tz.h>
#include <meterbridge/json_text.hpp>

#include "config/object_reader.hpp"
#include "config/settings_schema.hpp"

namespace meterbridge::host {
namespace {

using nlohmann::json;

std::string format_message(const std::filesystem::path& file, const std::string& pointer,
                           const std::string& what) {
  std::string where = file.empty() ? std::string("config") : file.string();
  return where + ": " + (pointer.empty() ? std::string("(top level)") : pointer) + ": " + what;
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  return path.is_absolute() ? path : (base / path).lexically_normal();
}

void read_sync(ObjectReader& top, const std::filesystem::path& file, Config& c) {
  const json* sync = top.get("sync", json::value_t::object, "an object");
  if (!sync) return;
  ObjectReader r(*sync, "/sync", file);
  c.sync.pending_grace_ms = r.integer_or("pending_grace_ms", c.sync.pending_grace_ms, 0, 86400000);
  c.sync.stop_after_failures = static_cast<int32_t>(
      r.integer_or("stop_after_failures", c.sync.stop_after_failures, 1, 1000));
  r.refuse_unknown_keys();
}

void read_http(ObjectReader& top, const std::filesystem::path& file, Config& c) {
  const json* http = top.get("http", json::value_t::object, "an object");
  if (!http) return;
  ObjectReader r(*http, "/http", file);
  c.http.timeout_ms = r.integer_or("timeout_ms", c.http.timeout_ms, 100, 3600000);
  c.http.connect_timeout_ms =
      r.integer_or("connect_timeout_ms", c.http.connect_timeout_ms, 100, 600000);
  c.http.max_attempts =
      static_cast<int32_t>(r.integer_or("max_attempts", c.http.max_attempts, 1, 20));
  c.http.max_backoff_ms = r.integer_or("max_backoff_ms", c.http.max_backoff_ms, 0, 3600000);
  std::string ca = r.string_or("ca_file", "");
  if (!ca.empty()) c.http.ca_file = resolve(c.base_dir, ca);
  if (const json* insecure = r.get("allow_insecure", json::value_t::boolean, "true or false")) {
    c.http.allow_insecure = insecure->get<bool>();
  }
  r.refuse_unknown_keys();
}

void read_isolation(ObjectReader& r, const std::filesystem::path& file, InstanceConfig& inst) {
  const std::string isolation = r.string_or("isolation", "in-process");
  if (isolation == "process") {
    inst.isolation = Isolation::process;
  } else if (isolation != "in-process") {
    r.fail(r.at("isolation"),
           "expected \"in-process\" or \"process\", found \"" + isolation + "\"");
  }
  const json* runner = r.get("runner", json::value_t::object, "an object");
  if (!runner) return;
  if (inst.isolation != Isolation::process) {
    r.fail(r.at("runner"), "runner settings apply only with \"isolation\": \"process\"");
  }
  ObjectReader rr(*runner, r.at("runner"), file);
  RunnerConfig& c = inst.runner;
  const std::string exe = rr.string_or("executable", "");
  if (!exe.empty()) c.executable = exe;
  constexpr int64_t day = 86'400;
  c.call_timeout_ms =
      rr.integer_or("call_timeout_seconds", c.call_timeout_ms / 1000, 1, day) * 1000;
  c.cancel_grace_ms =
      rr.integer_or("cancel_grace_seconds", c.cancel_grace_ms / 1000, 0, 3600) * 1000;
  c.memory_mb = rr.integer_or("memory_mb", 0, 16, 1'048'576);
  c.cpu_seconds = rr.integer_or("cpu_seconds", 0, 1, 30 * day);
  rr.refuse_unknown_keys();
}

void read_instances(ObjectReader& top, const std::filesystem::path& file, Config& c) {
  const json* plugins = top.get("plugins", json::value_t::object, "an object of plugin instances");
  if (!plugins) return;
  static const std::regex name_re("^[a-z0-9][a-z0-9_-]{0,63}$");
  for (const auto& [name, body] : plugins->items()) {
    const std::string at = "/plugins/" + name;
    if (!std::regex_match(name, name_re)) {
      throw ConfigError(file, at,
                        "instance name '" + name +
                            "' must be 1-64 characters of a-z, 0-9, '_' or '-', starting "
                            "with a letter or digit");
    }
    ObjectReader r(body, at, file);
    InstanceConfig inst;
    inst.name = name;
    const json* enabled = r.get("enabled", json::value_t::boolean, "true or false");
    if (!enabled) r.fail(r.at("enabled"), "missing: say true or false explicitly");
    inst.enabled = enabled->get<bool>();
    const json* plugin = r.get("plugin", json::value_t::string, "a plugin id string");
    if (!plugin || plugin->get<std::string>().empty()) {
      r.fail(r.at("plugin"),
             "missing: the id of the plugin this instance runs (see `meterbridge plugins list`)");
    }
    inst.plugin = plugin->get<std::string>();
    const json* settings = r.get("settings", json::value_t::object, "an object");
    if (settings) inst.settings = *settings;
    read_isolation(r, file, inst);
    r.refuse_unknown_keys();
    c.plugins.push_back(std::move(inst));
  }
  std::sort(c.plugins.begin(), c.plugins.end(),
            [](const InstanceConfig& a, const InstanceConfig& b) { return a.name < b.name; });
}

}  // namespace

ConfigError::ConfigError(std::filesystem::path file, std::string pointer,
                         std::string what_went_wrong)
    : std::runtime_error(format_message(file, pointer, what_went_wrong)),
      file_(std::move(file)),
      pointer_(std::move(pointer)) {}

const InstanceConfig* Config::find_instance(const std::string& name) const {
  for (const auto& p : plugins) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Config parse_config(const json& doc, const std::filesystem::path& file) {
  Config c;
  c.file = file;
  c.base_dir = file.empty() ? std::filesystem::current_path() : file.parent_path();
  if (c.base_dir.empty()) c.base_dir = std::filesystem::current_path();
  ObjectReader top(doc, "", file);

  const json* version = top.get("config_version", json::value_t::number_integer, "an integer");
  if (!version) top.fail("/config_version", "missing: this meterbridge reads config_version 1");
  c.config_version = version->get<int32_t>();
  if (c.config_version != 1) {
    top.fail("/config_version", "expected 1, found " + std::to_string(c.config_version) +
                                    " (written for another meterbridge version?)");
  }

  if (const json* dirs =
          top.get("plugin_dirs", json::value_t::array, "an array of directory paths")) {
    for (size_t i = 0; i < dirs->size(); ++i) {
      const json& d = (*dirs)[i];
      if (!d.is_string() || d.get<std::string>().empty()) {
        top.fail("/plugin_dirs/" + std::to_string(i),
                 "expected a directory path string, found " + describe_json_value(d));
      }
      c.plugin_dirs.push_back(resolve(c.base_dir, d.get<std::string>()));
    }
  }
  std::string data_dir = top.string_or("data_dir", "");
  if (!data_dir.empty()) c.data_dir = resolve(c.base_dir, data_dir);
  std::string store_file = top.string_or("store", "");
  if (!store_file.empty()) c.store_file = resolve(c.base_dir, store_file);

  c.timezone = top.string_or("timezone", c.timezone);
  try {
    (void)date::locate_zone(c.timezone);
  } catch (const std::exception&) {
    top.fail("/timezone", "expected an IANA time zone name such as \"Europe/Rome\", found \"" +
                              c.timezone + "\"");
  }

  if (const json* log = top.get("log", json::value_t::object, "an object")) {
    ObjectReader r(*log, "/log", file);
    c.log_level = r.string_or("level", "");
    static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
    if (!c.log_level.empty() && !levels.count(c.log_level)) {
      r.fail("/log/level",
             "expected trace, debug, info, warn, error or off, found \"" + c.log_level + "\"");
    }
    c.log_format = r.string_or("format", "");
    if (!c.log_format.empty() && c.log_format != "text" && c.log_format != "json") {
      r.fail("/log/format", "expected text or json, found \"" + c.log_format + "\"");
    }
    r.refuse_unknown_keys();
  }
  read_http(top, file, c);
  read_sync(top, file, c);
  read_service_sections(top, file, c);
  read_instances(top, file, c);
  top.get("$comment", json::value_t::string, "a string");  // free text for the operator
  top.refuse_unknown_keys();
  return c;
}

Config load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ConfigError(
        file, "", std::filesystem::exists(file) ? "cannot be read (permissions?)" : "no such file");
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_config_text(text.str(), file);
}

Config parse_config_text(const std::string& text, const std::filesystem::path& file) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    // A parse_error knows its byte offset; an out_of_range (a number too large for a double,
    // such as 1e400) does not, and a validating-only pass finds where the parser stopped. Turn
    // the offset into a line and column for people.
    size_t byte = 0;
    if (const auto* p = dynamic_cast<const json::parse_error*>(&e)) {
      byte = p->byte;
    } else {
      byte = meterbridge::json_error_offset(text);
    }
    size_t line = 1, column = 1;
    for (size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw ConfigError(file, "",
                      "not valid JSON at line " + std::to_string(line) + ", column " +
                          std::to_string(column) + ": " + meterbridge::as_utf8(e.what()));
  }
  return parse_config(doc, file);
}

std::filesystem::path default_data_dir() {
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "meterbridge";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".local" / "state" / "meterbridge";
  }
  return std::filesystem::current_path() / "meterbridge-data";
}

}  // namespace meterbridge::host
