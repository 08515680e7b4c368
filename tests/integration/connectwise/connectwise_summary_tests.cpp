// connectwise-manage's post_summary through the real host (`meterbridge plugins call`) against
// emulator-connectwise: a ticket or a management summary report per intent, never two, and each
// failure a clear error naming the company.
#include "../fault_cases.hpp"
#include "cw_setup.hpp"

using nlohmann::json;

namespace {

const std::string kApi = "/v4_6_release/apis/3.0";

json request(int64_t intent, const std::string& title = "Email security, November 2026",
             const std::string& company = "250") {
  return {{"company_id", company},
          {"kind", "detection"},
          {"period", "2026-11"},
          {"intent_id", intent},
          {"title", title},
          {"text", "Spam blocked: 120\nPhishing: 4\nMalware: 2"},
          {"counts",
           {{"spam", 120},
            {"phishing", 4},
            {"malware", 2},
            {"blocked", 126},
            {"total_messages", 5400}}}};
}

ProcessResult call(CwSetup& s, const json& req, const std::string& key = "") {
  return s.run({"plugins", "call", "cw", "post_summary", "--request", req.dump()}, key);
}

json call_ok(CwSetup& s, const json& req) {
  ProcessResult r = call(s, req);
  INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

int posts_to(CwSetup& s, const std::string& prefix) {
  int n = 0;
  for (const auto& c : s.control.requests_to(kApi + prefix)) n += c["method"] == "POST";
  return n;
}

}  // namespace

TEST_CASE("post_summary: a ticket, and the same intent again answers none") {
  CwSetup s("cw-summary-ticket");
  json first = call_ok(s, request(42));
  CHECK(first["schema"] == "psa-summary-result.v1");
  CHECK(first["action"] == "create");
  CHECK(first["delivery"] == "ticket");
  CHECK(first["summary"] == "Email security, November 2026 [mb #42]");
  json state = s.control.state();
  REQUIRE(state["tickets"].size() == 1);
  const json& t = state["tickets"][0];
  CHECK(first["ref"] == t["id"].dump());
  CHECK(t["summary"] == first["summary"]);
  CHECK(t["company"]["id"] == 250);
  CHECK(t["board"]["name"] == "Help Desk");
  REQUIRE(state["ticket_notes"].size() == 1);
  CHECK(state["ticket_notes"][0]["text"] == request(42)["text"]);

  // A retry after a crash before the journal: found by its marker, nothing written.
  json again = call_ok(s, request(42, "Another title"));
  CHECK(again["action"] == "none");
  CHECK(again["ref"] == first["ref"]);
  CHECK(again["summary"] == first["summary"]);
  CHECK(s.control.state()["tickets"].size() == 1);
  CHECK(posts_to(s, "/service/tickets") == 1);
  // Another intent of the same company is another ticket; intent 4 is not intent 42.
  CHECK(call_ok(s, request(4))["action"] == "create");
  CHECK(s.control.state()["tickets"].size() == 2);
}

TEST_CASE("post_summary: a long title is cut so that the summary is 100 characters") {
  CwSetup s("cw-summary-long");
  json answer = call_ok(s, request(1234567, std::string(300, 'T') + "\nsecond line"));
  const std::string summary = answer["summary"];
  CHECK(summary.size() == 100);
  CHECK(summary.substr(summary.size() - 14) == " [mb #1234567]");
  CHECK(s.control.state()["tickets"][0]["summary"] == summary);
}

TEST_CASE("post_summary: management_report delivery maps the counts") {
  CwSetup s("cw-summary-report");
  s.set_cw_settings({{"summary_delivery", "management_report"}});
  json first = call_ok(s, request(77));
  CHECK(first["delivery"] == "management_report");
  CHECK(first["action"] == "create");
  json state = s.control.state();
  CHECK(state["tickets"].empty());
  REQUIRE(state["management_reports"].size() == 1);
  const json& m = state["management_reports"][0];
  CHECK(m["groupIdentifier"] == "Email security, November 2026 [mb #77]");
  CHECK(m["company"]["id"] == 250);
  CHECK(m["virusesRemoved"] == 2);
  CHECK(m["spywareItemsRemoved"] == 4);
  CHECK(m["totalNotifications"] == 126);
  CHECK(m["alertsGenerated"] == "126");
  json again = call_ok(s, request(77));
  CHECK(again["action"] == "none");
  CHECK(again["ref"] == first["ref"]);
  CHECK(s.control.state()["management_reports"].size() == 1);
  json executive = request(78);
  executive["kind"] = "executive";
  executive.erase("counts");
  CHECK(call_ok(s, executive)["action"] == "create");
}

TEST_CASE("post_summary: an unknown board, an unknown company, a bad request") {
  CwSetup s("cw-summary-refused");
  ProcessResult r = call(s, request(5, "t", "999"));
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("invalid-argument") != std::string::npos);
  CHECK(r.err.find("company 999") != std::string::npos);
  json bad = request(5);
  bad["intent_id"] = 0;
  CHECK(call(s, bad).exit_code == 2);
  s.set_cw_settings({{"summary_board", "Night Desk"}});
  r = call(s, request(5));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("config") != std::string::npos);
  CHECK(r.err.find("Night Desk") != std::string::npos);
  CHECK(s.writes() == 0);
}

TEST_CASE("post_summary: faults give a clear error, and a written ticket is found again") {
  CwSetup s("cw-summary-faults", kFaultHttp);
  SECTION("401: wrong private key") {
    ProcessResult r = call(s, request(9), "wrong-key");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("auth") != std::string::npos);
    CHECK(r.err.find("company 250") != std::string::npos);
    CHECK(r.err.find("wrong-key") == std::string::npos);
  }
  SECTION("429 on every attempt of the search") {
    s.control.add_fault({{"path_prefix", kApi + "/service/tickets"},
                         {"method", "GET"},
                         {"kind", "429"},
                         {"retry_after", 1},
                         {"count", 3}});
    ProcessResult r = call(s, request(9));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("rate limit") != std::string::npos);
  }
  SECTION("500 on every attempt of the company lookup") {
    s.control.add_fault({{"path_prefix", kApi + "/company/companies"},
                         {"method", "GET"},
                         {"kind", "500"},
                         {"count", 3}});
    ProcessResult r = call(s, request(9));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("HTTP 500") != std::string::npos);
  }
  SECTION("garbage answer to the POST: the ticket was written, the retry finds it") {
    s.control.add_fault(
        {{"path_prefix", kApi + "/service/tickets"}, {"method", "POST"}, {"kind", "malformed"}});
    ProcessResult r = call(s, request(9));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("not JSON") != std::string::npos);
    CHECK(s.control.state()["tickets"].size() == 1);
    json again = call_ok(s, request(9));
    CHECK(again["action"] == "none");
    CHECK(s.control.state()["tickets"].size() == 1);
  }
  CHECK(s.control.state()["tickets"].size() <= 1);
}
