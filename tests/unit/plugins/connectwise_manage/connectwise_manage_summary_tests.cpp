// connectwise-manage post_summary: the summary line (title cut to fit, marker) and the refusals
// that need no ticket endpoint (request shape, deleted company, settings). The create and
// idempotency paths run against emulator-connectwise in
// tests/integration/connectwise/connectwise_summary_tests.cpp.
#include "cw_summary.hpp"
#include "cw_test_fixture.hpp"

using namespace connectwise_manage;

namespace {

json summary_request(const std::string& company = "1") {
  return {{"company_id", company},
          {"kind", "detection"},
          {"period", "2026-11-16..2026-11-22"},
          {"intent_id", 42},
          {"title", "Weekly detections"},
          {"text", "body"},
          {"counts", {{"spam", 1}, {"phishing", 0}, {"malware", 0}, {"blocked", 1}}}};
}

}  // namespace

TEST_CASE("summary line: the title and the marker, at most 100 bytes") {
  CHECK(summary_marker(42) == "[mb #42]");
  CHECK(summary_line("Weekly detections", 42) == "Weekly detections [mb #42]");
  CHECK(summary_line("two\nlines\t", 7) == "two lines [mb #7]");
  const std::string cut = summary_line(std::string(150, 'x'), 42);
  CHECK(cut.size() == 100);
  CHECK(cut == std::string(91, 'x') + " [mb #42]");
  // Two-byte characters are never split: the cut lands on a character boundary.
  std::string wide;
  for (int i = 0; i < 80; ++i) wide += "\xc3\xa9";
  const std::string w = summary_line(wide, 42);
  CHECK(w.size() <= 100);
  CHECK(w.substr(0, 90) == wide.substr(0, 90));
  CHECK(w.substr(90) == " [mb #42]");
}

TEST_CASE("post_summary refuses a bad request and a deleted company") {
  Fixture f;
  f.create();
  SECTION("request shape") {
    for (const auto& [key, value] :
         std::vector<std::pair<std::string, json>>{{"company_id", "acme"},
                                                   {"kind", "weekly"},
                                                   {"period", "November"},
                                                   {"intent_id", 0},
                                                   {"title", " "},
                                                   {"text", 3},
                                                   {"counts", {{"spam", -1}}}}) {
      json r = summary_request();
      r[key] = value;
      INFO(key);
      CHECK(f.plugin.invoke("post_summary", r).status == MB_E_INVALID_ARGUMENT);
    }
    json no_counts = summary_request();
    no_counts.erase("counts");
    CHECK(f.plugin.invoke("post_summary", no_counts).status == MB_E_INVALID_ARGUMENT);
  }
  SECTION("a deleted company") {
    Outcome o = f.plugin.invoke("post_summary", summary_request("4"));
    CHECK(o.status == MB_E_INVALID_ARGUMENT);
    CHECK(o.message.find("company 4") != std::string::npos);
    CHECK(o.message.find("deleted") != std::string::npos);
  }
}

TEST_CASE("summary settings: delivery and board are checked") {
  Fixture f;
  f.settings["summary_delivery"] = "email";
  CHECK(f.plugin.create(f.settings).status == MB_E_CONFIG);
  Fixture g;
  g.settings["summary_delivery"] = "management_report";
  g.settings["summary_board"] = "Alerts";
  CHECK(g.plugin.create(g.settings).ok());
}
