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

TEST_CASE("the redactor finds a secret in its JSON-escaped forms and in other URL encodings") {
  Redactor r;
  r.add("k\"e\\y/\xC3\xA9 9");  // k"e\y/é 9
  // In a message that quotes a JSON body, nlohmann-style and ASCII-only escaping alike.
  CHECK(r.redact(R"(HTTP 401: {"key":"k\"e\\y/\u00e9 9"} and {"key":"k\"e\\y/)"
                 "\xC3\xA9 9\"}") == R"(HTTP 401: {"key":"***"} and {"key":"***"})");
  // Percent-encoded in upper and lower case, and as a form value ('+' for the space).
  CHECK(r.redact("a=k%22e%5Cy%2F%C3%A9%209&b=k%22e%5cy%2f%c3%a9%209&c=k%22e%5Cy%2F%C3%A9+9") ==
        "a=***&b=***&c=***");
}

TEST_CASE("redacting JSON text keeps it valid JSON, wherever the secret sits") {
  const std::vector<std::string> secrets = {"tok\"en\\9f",        "\"}]}\"",     "\\n\\t\\\\",
                                            "caf\xC3\xA9-s3cr3t", "line\nbreak", "1234567"};
  for (const auto& secret : secrets) {
    Redactor r;
    r.add(secret);
    const nlohmann::json doc = {{"schema", "usage.v1"},
                                {"plain", "nothing here"},
                                {"whole", secret},
                                {"inside", "a " + secret + " b"},
                                {"twice", secret + secret},
                                {secret, "as a key"},
                                {"list", {secret, 5, nullptr, true, {{"deep", "x" + secret}}}},
                                {"escapes", "a \\ and a \" and \\" + secret},
                                {"number", 12345678}};
    for (bool ascii : {false, true}) {
      const std::string text = doc.dump(-1, ' ', ascii);
      INFO("secret: " << secret << "\ntext: " << text);
      const std::string out = r.redact_json(text);
      INFO("redacted: " << out);
      auto parsed = nlohmann::json::parse(out, nullptr, false);
      REQUIRE_FALSE(parsed.is_discarded());
      // No string, key or number of the result holds the secret.
      const std::string escaped = nlohmann::json(secret).dump();
      CHECK(parsed.dump().find(escaped.substr(1, escaped.size() - 2)) == std::string::npos);
      CHECK(parsed["whole"] == "***");
      CHECK(parsed["inside"] == "a *** b");
      CHECK(parsed["twice"] == "******");
      CHECK(parsed["***"] == "as a key");
      CHECK(parsed["list"][0] == "***");
      CHECK(parsed["list"][4]["deep"] == "x***");
      CHECK(parsed["escapes"] == "a \\ and a \" and \\***");
      CHECK(parsed["plain"] == "nothing here");
      CHECK(parsed["schema"] == "usage.v1");
      for (const auto& [key, value] : parsed.items()) {
        CHECK(key.find(secret) == std::string::npos);
        if (value.is_string()) CHECK(value.get<std::string>().find(secret) == std::string::npos);
      }
    }
  }
}

TEST_CASE("a secret inside a JSON number becomes a masked string, and non-JSON is masked as text") {
  Redactor r;
  r.add("4242");
  auto parsed = nlohmann::json::parse(r.redact_json(R"({"pin": 424242, "q": 7, "s": "x4242"})"));
  CHECK(parsed == nlohmann::json({{"pin", "***"}, {"q", 7}, {"s", "x***"}}));
  r.add("ab\"cd");
  CHECK(r.redact_json("not json: ab\"cd") == "not json: ***");
  const std::string untouched = R"({"a": [1, 2.5, "text"]})";
  CHECK(r.redact_json(untouched) == untouched);  // nothing found: the text as it came

  // A raw secret that spans JSON's own punctuation is no value of the document: left alone,
  // where a plain replacement would have broken the JSON.
  Redactor punctuation;
  punctuation.add("ab\",\"");
  CHECK(punctuation.redact_json(R"(["ab","cd"])") == R"(["ab","cd"])");
}

TEST_CASE("log level and format parsing") {
  CHECK(parse_log_level("debug") == spdlog::level::debug);
  CHECK(parse_log_level("error") == spdlog::level::err);
  CHECK_FALSE(parse_log_level("loud"));
  CHECK(parse_log_format("json") == LogFormat::json);
  CHECK_FALSE(parse_log_format("xml"));
}
