// Trend Micro Remote Manager detections and the monthly executive summary sent to ConnectWise
// by the real host, both emulators on loopback: file-drop bills November's seats, trendmicro-rm
// answers the email-security detections, connectwise-manage opens the tickets. Each summary is
// sent once per (company, kind, period): a second run, a run killed after the ticket was opened
// and a failed POST never leave a second ticket.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "../../emulators/emulator_process.hpp"
#include "../cli/run_process.hpp"
#include "../emulator_control.hpp"

using nlohmann::json;

namespace {

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct SummaryBed {
  SummaryBed()
      : tm(EMULATOR_TRENDMICRO_EXE, TRENDMICRO_SEED_EXAMPLE),
        cw(EMULATOR_CONNECTWISE_EXE, CONNECTWISE_SEED_EXAMPLE),
        tm_control(tm.url()),
        cw_control(cw.url()),
        dir(fresh_dir("e2e-summaries")),
        tm_seed(read_json(TRENDMICRO_SEED_EXAMPLE)),
        cw_seed(read_json(CONNECTWISE_SEED_EXAMPLE)) {
    std::filesystem::create_directories(dir / "drop");
    json c = {{"config_version", 1},
              {"timezone", "UTC"},
              {"data_dir", (dir / "data").string()},
              {"plugin_dirs", {METERBRIDGE_PLUGIN_DIR}},
              {"summaries",
               {{"detection", {{"every", "month"}, {"day", 1}, {"at", "07:00"}}},
                {"executive", {{"every", "month"}, {"day", 1}, {"at", "08:00"}}},
                {"companies", {{"251", {{"executive", "off"}}}}}}},
              {"plugins",
               {{"drop",
                 {{"enabled", true},
                  {"plugin", "file-drop"},
                  {"settings", {{"folder", (dir / "drop").string()}}}}},
                {"tm",
                 {{"enabled", true},
                  {"plugin", "trendmicro-rm"},
                  {"settings",
                   {{"api_url", tm.url()},
                    {"access_token", "${env:MB_TEST_TM_TOKEN}"},
                    {"secret_key", "${env:MB_TEST_TM_SECRET}"}}}}},
                {"cw",
                 {{"enabled", true},
                  {"plugin", "connectwise-manage"},
                  {"settings",
                   {{"site_url", cw.url()},
                    {"company_id", cw_seed["company_id"]},
                    {"public_key", cw_seed["public_key"]},
                    {"private_key", "${env:MB_TEST_CW_KEY}"},
                    {"client_id", cw_seed["client_ids"][0]}}}}}}}};
    write_file(dir / "config.json", c.dump(2));
  }
  ProcessResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", (dir / "config.json").string()});
    return run_meterbridge(
        args, {"MB_TEST_CW_KEY=" + cw_seed["private_key"].get<std::string>(),
               "MB_TEST_TM_SECRET=" + tm_seed["credentials"]["secret_key"].get<std::string>(),
               "MB_TEST_TM_TOKEN=" + tm_seed["credentials"]["access_token"].get<std::string>()});
  }
  json send(const std::string& extra = "") {
    std::vector<std::string> args = {"summaries",  "send",     "--date",
                                     "2026-12-01", "--format", "json"};
    if (!extra.empty()) args.push_back(extra);
    auto r = run(args);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code <= 1);
    return json::parse(r.out)["summaries"];
  }
  // The id of the seed's customer named `name`.
  std::string tm_customer(const std::string& name) const {
    for (const auto& c : tm_seed["customers"]) {
      if (c["name"] == name) return c["id"];
    }
    FAIL("no seeded Trend Micro customer " << name);
    return "";
  }
  // The seeded detections of a customer in November, summed.
  json november(const std::string& name) const {
    json sum = {
        {"spam", 0}, {"phishing", 0}, {"malware", 0}, {"blocked", 0}, {"total_messages", 0}};
    for (const auto& c : tm_seed["customers"]) {
      if (c["name"] != name) continue;
      for (const auto& d : c.value("detections", json::array())) {
        if (d["date"].get<std::string>().rfind("2026-11", 0) != 0) continue;
        for (auto& [k, v] : sum.items()) v = v.get<int64_t>() + d[k].get<int64_t>();
      }
    }
    return sum;
  }
  json tickets() { return cw_control.state()["tickets"]; }

  EmulatorProcess tm;
  EmulatorProcess cw;
  EmulatorControl tm_control;
  EmulatorControl cw_control;
  std::filesystem::path dir;
  json tm_seed;
  json cw_seed;
};

void bill_november(SummaryBed& s) {
  write_file(s.dir / "drop" / "usage.csv",
             "date,customer_id,customer_name,sku,product_name,metric,quantity\n"
             "2026-11-30,t-1,Acme Manufacturing,EP,Endpoint,seats,12\n"
             "2026-11-30,t-2,Blue River Dental,EP,Endpoint,seats,7\n");
  REQUIRE(s.run({"collect", "--date", "2026-11-30", "--source", "drop"}).exit_code == 0);
  auto discovered = s.run({"discover"});
  INFO(discovered.out << discovered.err);
  REQUIRE(discovered.exit_code == 0);
  for (auto [source, customer, company] : {std::tuple{"drop", std::string("t-1"), "250"},
                                           {"drop", std::string("t-2"), "251"},
                                           {"tm", s.tm_customer("Birch Legal LLP"), "250"},
                                           {"tm", s.tm_customer("Cedar Logistics"), "251"}}) {
    auto r = s.run({"map", "customer", source, customer, company});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  REQUIRE(s.run({"map", "product", "drop", "EP", "EDR-SEAT"}).exit_code == 0);
  REQUIRE(s.run({"sync", "--period", "2026-11", "--no-collect"}).exit_code == 0);
}

}  // namespace

TEST_CASE("detection and executive summaries reach ConnectWise once, with their figures") {
  SummaryBed s;
  bill_november(s);
  const json sent = s.send();
  std::map<std::string, json> by;
  for (const auto& x : sent)
    by[x["company"].get<std::string>() + " " + x["kind"].get<std::string>()] = x;
  REQUIRE(by.size() == 3);  // 251 has no executive summary ("off")
  for (const auto& [key, x] : by) {
    INFO(key << ": " << x.dump());
    CHECK(x["state"] == "sent");
    CHECK(x["period"] == "2026-11");
    CHECK(x["delivery"] == "ticket");
  }

  const json tickets = s.tickets();
  REQUIRE(tickets.size() == 3);
  const json notes = s.cw_control.state()["ticket_notes"];
  const json birch = s.november("Birch Legal LLP");
  bool found_detection = false;
  for (const auto& t : tickets) {
    const std::string summary = t["summary"];
    CHECK(summary.size() <= 100);
    CHECK(summary.find("[mb #") != std::string::npos);
    if (t["company"]["id"] == 250 && summary.find("detections") != std::string::npos) {
      found_detection = true;
      CHECK(summary.find("Email security detections 2026-11: Acme Manufacturing Inc.") == 0);
      const std::string text = notes.dump();
      CHECK(text.find("Spam: " + std::to_string(birch["spam"].get<int64_t>())) !=
            std::string::npos);
      CHECK(text.find("Messages scanned: " +
                      std::to_string(birch["total_messages"].get<int64_t>())) != std::string::npos);
    }
  }
  CHECK(found_detection);

  // The executive page: November's seats, what was billed and its value, the detections.
  const std::string html = read_text(by["250 executive"]["html"].get<std::string>());
  CHECK(html.find("<h1>Acme Manufacturing Inc.</h1>") != std::string::npos);
  CHECK(html.find("Executive summary, 2026-11") != std::string::npos);
  CHECK(html.find("<td class=\"n\">12</td><td class=\"n\">12</td>") != std::string::npos);
  CHECK(html.find("id=\"total-value\">78.00<") != std::string::npos);  // 12 x 6.50
  CHECK(html.find("id=\"messages\">" + std::to_string(birch["total_messages"].get<int64_t>())) !=
        std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  // Self-contained: nothing is fetched (no script, stylesheet link, image or font source).
  for (const char* fetch : {"<script", "<link", " src=", "url("}) {
    CHECK(html.find(fetch) == std::string::npos);
  }
  auto report = s.run({"report", "executive", "--company", "250", "--period", "2026-11", "--out",
                       (s.dir / "exec.html").string()});
  REQUIRE(report.exit_code == 0);
  const std::string page = read_text(s.dir / "exec.html");
  CHECK(page.find("id=\"total-value\">78.00<") != std::string::npos);
  CHECK(page.find("id=\"messages\">" + std::to_string(birch["total_messages"].get<int64_t>())) !=
        std::string::npos);  // the sources' detections of the month, asked again

  // Again: journaled as sent, nothing asked of ConnectWise.
  const int writes = s.cw_control.writes();
  for (const auto& x : s.send()) CHECK(x["state"] == "already-sent");
  CHECK(s.cw_control.writes() == writes);
  CHECK(s.tickets().size() == 3);
}

TEST_CASE("a summary whose run died after the ticket was opened is never sent twice") {
  SummaryBed s;
  bill_november(s);
  s.send("--kind=detection");
  REQUIRE(s.tickets().size() == 2);
  // The process died after ConnectWise opened the ticket and before the outcome was journaled:
  // the journal still holds the intent.
  const std::string store = (s.dir / "data" / "billing.sqlite3").string();
  const std::string sql = "sqlite3 '" + store +
                          "' \"UPDATE summaries SET state = 'intent', sent_at = NULL, ref = NULL "
                          "WHERE company_id = '250' AND kind = 'detection'\"";
  REQUIRE(std::system(sql.c_str()) == 0);
  const json again = s.send("--kind=detection");
  std::map<std::string, json> by;
  for (const auto& x : again) by[x["company"]] = x;
  CHECK(by["250"]["state"] == "sent");
  CHECK(by["250"]["action"] == "none");  // the sink found the intent's ticket
  CHECK(by["251"]["state"] == "already-sent");
  CHECK(s.tickets().size() == 2);

  // A refused POST fails the summary, journaled as failed; the next run sends it once.
  s.cw_control.add_fault({{"kind", "500"},
                          {"path_prefix", "/v4_6_release/apis/3.0/service/tickets"},
                          {"method", "POST"}});
  auto failed = s.run(
      {"summaries", "send", "--date", "2026-12-01", "--kind", "executive", "--format", "json"});
  CHECK(failed.exit_code == 1);
  CHECK(json::parse(failed.out)["summaries"][0]["state"] == "failed");
  CHECK(s.tickets().size() == 2);
  auto list = s.run({"summaries", "list", "--format", "json"});
  CHECK(json::parse(list.out)[0]["state"] == "failed");
  CHECK(s.cw_control.pending_faults().empty());
  const json retried = s.send("--kind=executive");
  CHECK(retried[0]["state"] == "sent");
  CHECK(s.tickets().size() == 3);
}
