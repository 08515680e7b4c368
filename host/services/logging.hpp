// Log lines for host and plugins: spdlog, one logger per name ("host" or a plugin instance id),
// text or JSON lines on stderr, and every known secret redacted in the sink so that no line,
// from the host or a plugin, can print one.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace meterbridge::host {

enum class LogFormat { text = 1, json = 2 };

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text);
std::optional<LogFormat> parse_log_format(std::string_view text);

// Sends every logger's lines to stderr in the given format from now on.
void configure_logging(spdlog::level::level_enum level, LogFormat format);
// The same, to a stream (tests).
void configure_logging_to_stream(spdlog::level::level_enum level, LogFormat format,
                                 std::ostream& out);

// The logger for name; created on first use, sharing the configured sink.
std::shared_ptr<spdlog::logger> get_logger(const std::string& name);

}  // namespace meterbridge::host
