// Secret references resolve without ever appearing in messages; every log line names its
// logger and has known secrets redacted, in text and JSON.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "services/logging.hpp"
#include "services/redactor.hpp"
#include "services/secrets.hpp"

using namespace meterbridge::host;

TEST_CASE("secret references: env and file, relative to the config directory") {
  CHECK(is_secret_reference("${env:SOPHOS_SECRET}"));
  CHECK(is_secret_reference("${file:secrets/cw.key}"));
  CHECK_FALSE(is_secret_reference("plain-password"));
  CHECK_FALSE(is_secret_reference("${env:BAD-NAME}"));
  CHECK_FALSE(is_secret_reference("${vault:x}"));

  setenv("MB_TEST_SECRET", "s3cr3t-from-env", 1);
  CHECK(resolve_secret("${env:MB_TEST_SECRET}", "/") == "s3cr3t-from-env");

  auto dir = std::filesystem::temp_directory_path() / ("mb-secrets-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "secrets");
  std::ofstream(dir / "secrets" / "cw.key") << "file-secret-value\n";
  CHECK(resolve_secret("${file:secrets/cw.key}", dir) == "file-secret-value");
}

TEST_CASE("unresolvable references name the variable or file, never a value") {
  unsetenv("MB_TEST_ABSENT");
  try {
    resolve_secret("${env:MB_TEST_ABSENT}", "/");
    FAIL("resolved an unset variable");
  } catch (const SecretError& e) {
    CHECK(std::string(e.what()) == "environment variable MB_TEST_ABSENT is not set");
  }
  try {
    resolve_secret("${file:/nonexistent/key}", "/");
    FAIL("resolved a missing file");
  } catch (const SecretError& e) {
    CHECK(std::string(e.what()) == "secret file /nonexistent/key cannot be read");
  }
  try {
    resolve_secret("hunter2-plain", "/");
    FAIL("accepted plain text");
  } catch (const SecretError& e) {
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
  }
}

TEST_CASE("log lines carry the logger name and never a resolved secret") {
  setenv("MB_TEST_LOG_SECRET", "tok-9f8e7d6c", 1);
  resolve_secret("${env:MB_TEST_LOG_SECRET}", "/");
  std::ostringstream text;
  configure_logging_to_stream(spdlog::level::info, LogFormat::text, text);
  get_logger("sophos-eu")->info("calling with token tok-9f8e7d6c and url ?t=tok-9f8e7d6c");
  get_logger("host")->debug("not shown at info");
  spdlog::default_logger()->warn("host line");
  const std::string out = text.str();
  CHECK(out.find("tok-9f8e7d6c") == std::string::npos);
  CHECK_THAT(out, Catch::Contains("INFO [sophos-eu] calling with token *** and url ?t=***") ||
                      Catch::Contains("info [sophos-eu] calling with token *** and url ?t=***"));
  CHECK_THAT(out, Catch::Contains("[host] host line"));
  CHECK(out.find("not shown") == std::string::npos);

  std::ostringstream json_out;
  configure_logging_to_stream(spdlog::level::info, LogFormat::json, json_out);
  get_logger("cw-main")->error("quote \" and secret tok-9f8e7d6c");
  auto line = nlohmann::json::parse(json_out.str());
  CHECK(line["logger"] == "cw-main");
  CHECK(line["level"] == "error");
  CHECK(line["msg"] == "quote \" and secret ***");
  CHECK(line["ts"].get<std::string>().back() == 'Z');
  configure_logging(spdlog::level::info, LogFormat::text);
}

TEST_CASE("the redactor also removes the percent-encoded form and ignores tiny values") {
  Redactor r;
  r.add("p@ss word/1");
  r.add("ab");
  CHECK(r.redact("a=p@ss word/1&b=p%40ss%20word%2F1 ab") == "a=***&b=*** ab");
}

TEST_CASE("log level and format parsing") {
  CHECK(parse_log_level("debug") == spdlog::level::debug);
  CHECK(parse_log_level("error") == spdlog::level::err);
  CHECK_FALSE(parse_log_level("loud"));
  CHECK(parse_log_format("json") == LogFormat::json);
  CHECK_FALSE(parse_log_format("xml"));
}
