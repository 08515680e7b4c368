#include "services/logging.hpp"

#include <chrono>
#include <iostream>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <nlohmann/json.hpp>

#include "services/redactor.hpp"

namespace meterbridge::host {
namespace {

std::string utc_timestamp(spdlog::log_clock::time_point tp) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(tp.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

// Formats and redacts each line itself, so the format is exactly ours in both modes.
class RedactingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RedactingSink(LogFormat format, std::ostream& out) : format_(format), out_(out) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string text =
        Redactor::global().redact(std::string_view(msg.payload.data(), msg.payload.size()));
    const std::string level(spdlog::level::to_string_view(msg.level).data(),
                            spdlog::level::to_string_view(msg.level).size());
    const std::string name(msg.logger_name.data(), msg.logger_name.size());
    if (format_ == LogFormat::json) {
      nlohmann::json line = {
          {"ts", utc_timestamp(msg.time)}, {"level", level}, {"logger", name}, {"msg", text}};
      out_ << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
      out_ << utc_timestamp(msg.time) << ' ' << level << " [" << name << "] " << text << '\n';
    }
  }
  void flush_() override { out_.flush(); }

 private:
  LogFormat format_;
  std::ostream& out_;
};

std::mutex g_mutex;
std::shared_ptr<spdlog::sinks::sink> g_sink;
spdlog::level::level_enum g_level = spdlog::level::info;

void install(spdlog::level::level_enum level, LogFormat format, std::ostream& out) {
  std::lock_guard lock(g_mutex);
  g_sink = std::make_shared<RedactingSink>(format, out);
  g_level = level;
  spdlog::drop_all();
  auto host = std::make_shared<spdlog::logger>("host", g_sink);
  host->set_level(level);
  host->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(host);
}

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view t) {
  if (t == "trace") return spdlog::level::trace;
  if (t == "debug") return spdlog::level::debug;
  if (t == "info") return spdlog::level::info;
  if (t == "warn") return spdlog::level::warn;
  if (t == "error") return spdlog::level::err;
  if (t == "off") return spdlog::level::off;
  return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view t) {
  if (t == "text") return LogFormat::text;
  if (t == "json") return LogFormat::json;
  return std::nullopt;
}

void configure_logging(spdlog::level::level_enum level, LogFormat format) {
  install(level, format, std::cerr);
}

void configure_logging_to_stream(spdlog::level::level_enum level, LogFormat format,
                                 std::ostream& out) {
  install(level, format, out);
}

std::shared_ptr<spdlog::logger> get_logger(const std::string& name) {
  if (auto existing = spdlog::get(name)) return existing;
  std::lock_guard lock(g_mutex);
  // Another thread may have made it since the look above (a runner's output reader and the
  // call that started the runner ask for the instance's logger at once).
  if (auto existing = spdlog::get(name)) return existing;
  if (!g_sink) g_sink = std::make_shared<RedactingSink>(LogFormat::text, std::cerr);
  auto logger = std::make_shared<spdlog::logger>(name, g_sink);
  logger->set_level(g_level);
  logger->flush_on(spdlog::level::trace);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace meterbridge::host
