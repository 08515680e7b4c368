// Reads one object of the config, refusing unknown keys so that a typo ("enabeld") is an error,
// not a silently ignored setting. Internal to the config parser (config.cpp and the readers of
// its sections).
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

#include <meterbridge/json_text.hpp>
#include <meterbridge/settings_schema.hpp>
#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace meterbridge::host {

using meterbridge::schema::describe_json_value;

class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& object, std::string pointer, const std::filesystem::path& file)
      : object_(object), pointer_(std::move(pointer)), file_(file) {
    if (!object_.is_object())
      fail(pointer_, "expected an object, found " + describe_json_value(object_));
  }

  [[noreturn]] void fail(const std::string& pointer, const std::string& what) const {
    throw ConfigError(file_, pointer, what);
  }
  std::string at(const std::string& key) const { return pointer_ + "/" + key; }

  const nlohmann::json* get(const std::string& key, nlohmann::json::value_t type,
                            const char* expected) {
    known_.insert(key);
    auto it = object_.find(key);
    if (it == object_.end()) return nullptr;
    bool ok = it->type() == type ||
              (type == nlohmann::json::value_t::number_integer && it->is_number_unsigned()) ||
              (type == nlohmann::json::value_t::number_float && it->is_number());
    if (!ok)
      fail(at(key), std::string("expected ") + expected + ", found " + describe_json_value(*it));
    return &*it;
  }
  // The value of key whatever its type (the caller checks it), or nullptr.
  const nlohmann::json* any(const std::string& key) {
    known_.insert(key);
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  std::string string_or(const std::string& key, const std::string& fallback) {
    const nlohmann::json* v = get(key, nlohmann::json::value_t::string, "a string");
    return v ? v->get<std::string>() : fallback;
  }
  int64_t integer_or(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
    const nlohmann::json* v = get(key, nlohmann::json::value_t::number_integer, "an integer");
    if (!v) return fallback;
    int64_t n = v->get<int64_t>();
    if (n < min || n > max) {
      fail(at(key), "expected an integer from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", found " + std::to_string(n));
    }
    return n;
  }
  void refuse_unknown_keys() const {
    for (const auto& [key, unused] : object_.items()) {
      if (known_.count(key)) continue;
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      fail(at(key), "unknown key '" + key + "' (expected one of: " + list + ")");
    }
  }

 private:
  const nlohmann::json& object_;
  std::string pointer_;
  const std::filesystem::path& file_;
  std::set<std::string> known_;
};

// Reads the sections only `meterbridge serve` uses: schedule, service and testing
// (config/service_config.cpp).
void read_service_sections(ObjectReader& top, const std::filesystem::path& file, Config& c);

}  // namespace meterbridge::host
