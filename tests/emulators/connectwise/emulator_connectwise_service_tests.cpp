// emulator-connectwise: service boards, service tickets, management summary reports, and the
// published-model details (field limits, reference shapes, PATCH of read-only fields).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cw_test_client.hpp"

using namespace cw_test;

namespace {

// The example seed with a deleted company (260) and an inactive board (3), in a temp file.
std::string seed_with_extras() {
  json s = seed();
  s["companies"].push_back(
      {{"id", 260}, {"identifier", "KestrelGone"}, {"name", "Kestrel Ltd"}, {"deletedFlag", true}});
  s["boards"] = json::array({{{"id", 1}, {"name", "Help Desk"}},
                             {{"id", 2}, {"name", "Alerts"}},
                             {{"id", 3}, {"name", "Old Board"}, {"inactiveFlag", true}}});
  const auto path = std::filesystem::temp_directory_path() /
                    ("cw-service-seed-" + std::to_string(getpid()) + ".json");
  std::ofstream(path) << s.dump();
  return path.string();
}

class ServiceEmulator : public EmulatorUnderTest {
 public:
  ServiceEmulator() : EmulatorUnderTest(EMULATOR_CONNECTWISE_EXE, seed_with_extras()) {}
};

struct Answer {
  int status = 0;
  json body;
};

Answer send(httplib::Client& cli, const std::string& method, const std::string& path,
            const json& body) {
  auto res = method == "POST"
                 ? cli.Post((kApi + path).c_str(), auth(), body.dump(), "application/json")
                 : cli.Patch((kApi + path).c_str(), auth(), body.dump(), "application/json");
  REQUIRE(res);
  INFO(method << " " << path << " -> " << res->body);
  return {res->status, json::parse(res->body)};
}

// A 400 InvalidObject whose errors[0] names field.
void check_refused(const Answer& a, const std::string& field) {
  INFO(a.body.dump());
  CHECK(a.status == 400);
  CHECK(a.body["code"] == "InvalidObject");
  REQUIRE(a.body.contains("errors"));
  CHECK(a.body["errors"][0]["field"] == field);
}

json ticket(const std::string& summary, long long company = 250) {
  return {{"summary", summary},
          {"company", {{"id", company}}},
          {"board", {{"id", 1}}},
          {"initialDescription", "line one\nline two"}};
}

}  // namespace

TEST_CASE("boards: list, conditions by name, one, count, unknown") {
  Emulator emu;  // the example seed names no boards: the default "Help Desk"
  auto cli = emu.client();
  auto all = get_json(cli, "/service/boards");
  REQUIRE(all.size() == 1);
  CHECK(all[0]["id"] == 1);
  CHECK(all[0]["name"] == "Help Desk");
  CHECK(all[0]["inactiveFlag"] == false);
  CHECK(all[0]["_info"].contains("lastUpdated"));
  CHECK(get_json(cli, "/service/boards?conditions=" + q("name=\"Help Desk\"")).size() == 1);
  CHECK(get_json(cli, "/service/boards?conditions=" + q("name=\"Nope\"")).empty());
  CHECK(get_json(cli, "/service/boards/1")["name"] == "Help Desk");
  CHECK(get_json(cli, "/service/boards/count")["count"] == 1);
  get_json(cli, "/service/boards/9", 404);
}

TEST_CASE("tickets: create, read, conditions, count, patch, state") {
  ServiceEmulator emu;
  auto cli = emu.client();
  const std::string s100(100, 'x');
  Answer created = send(cli, "POST", "/service/tickets", ticket(s100 + ""));
  REQUIRE(created.status == 201);
  const json& t = created.body;
  CHECK(t["summary"] == s100);
  CHECK(t["recordType"] == "ServiceTicket");
  CHECK(t["board"]["id"] == 1);
  CHECK(t["board"]["name"] == "Help Desk");
  CHECK(t["board"]["_info"].contains("board_href"));
  CHECK(t["company"]["identifier"] == "AcmeMfg");
  CHECK(t["company"]["name"] == "Acme Manufacturing Inc.");
  CHECK(t["company"]["_info"].contains("company_href"));
  CHECK(t["status"]["name"] == "New");
  CHECK(t["_info"].contains("lastUpdated"));
  CHECK(!t.contains("initialDescription"));  // write-only in the published model
  Answer by_name = send(cli, "POST", "/service/tickets",
                        {{"summary", "Weekly summary [mb #7]"},
                         {"company", {{"id", 251}}},
                         {"board", {{"name", "alerts"}}}});
  REQUIRE(by_name.status == 201);
  CHECK(by_name.body["board"]["id"] == 2);

  const std::string id = t["id"].dump();
  CHECK(get_json(cli, "/service/tickets/" + id)["summary"] == s100);
  auto by = [&](const std::string& cond) {
    return ids(get_json(cli, "/service/tickets?conditions=" + q(cond)));
  };
  CHECK(by("company/id=251") == std::set<long long>{by_name.body["id"].get<long long>()});
  CHECK(by("board/name=\"Help Desk\"") == std::set<long long>{t["id"].get<long long>()});
  CHECK(by("summary contains \"mb #7]\"").size() == 1);
  CHECK(by("summary like \"%[mb #7]%\"").size() == 1);
  CHECK(get_json(cli, "/service/tickets/count?conditions=" + q("company/id=250"))["count"] == 1);

  Answer patched =
      send(cli, "PATCH", "/service/tickets/" + id,
           json::array({{{"op", "replace"}, {"path", "summary"}, {"value", "new"}},
                        {{"op", "replace"}, {"path", "board/name"}, {"value", "Alerts"}}}));
  REQUIRE(patched.status == 200);
  CHECK(patched.body["summary"] == "new");
  CHECK(patched.body["board"]["id"] == 2);
  check_refused(send(cli, "PATCH", "/service/tickets/" + id,
                     json::array({{{"op", "replace"}, {"path", "id"}, {"value", 9}}})),
                "id");
  get_json(cli, "/service/tickets/999", 404);

  json state = json::parse(emu.client().Get("/_emulator/state")->body);
  CHECK(state["tickets"].size() == 2);
  REQUIRE(state["ticket_notes"].size() == 1);
  CHECK(state["ticket_notes"][0]["ticketId"] == t["id"]);
  CHECK(state["ticket_notes"][0]["text"] == "line one\nline two");
}

TEST_CASE("tickets: validation errors name the field") {
  ServiceEmulator emu;
  auto cli = emu.client();
  auto post = [&](const json& body) { return send(cli, "POST", "/service/tickets", body); };
  check_refused(post(ticket(std::string(101, 'x'))), "summary");
  // 100 characters of two bytes each: ConnectWise counts characters, not bytes.
  std::string wide;
  for (int i = 0; i < 100; ++i) wide += "\xc3\xa9";
  CHECK(post(ticket(wide)).status == 201);
  check_refused(post(ticket("")), "summary");
  check_refused(post(ticket("ok", 999)), "company");
  check_refused(post(ticket("ok", 260)), "company");  // deleted
  json no_board = ticket("ok");
  no_board.erase("board");
  check_refused(post(no_board), "board");
  json inactive = ticket("ok");
  inactive["board"] = {{"id", 3}};
  check_refused(post(inactive), "board");
  json unknown = ticket("ok");
  unknown["board"] = {{"name", "Nope"}};
  check_refused(post(unknown), "board");
  CHECK(get_json(cli, "/service/tickets/count")["count"] == 1);
}

TEST_CASE("management summary reports: create, list, count, validation, unknown company") {
  ServiceEmulator emu;
  auto cli = emu.client();
  const std::string base = "/company/companies/250/managementSummaryReports";
  json body = {{"groupIdentifier", "Email security 2026-11 [mb #42]"},
               {"agreement", {{"id", 500}}},
               {"virusesRemoved", 3},
               {"spywareItemsRemoved", 2},
               {"totalNotifications", 40},
               {"alertsGenerated", "12"}};
  Answer created = send(cli, "POST", base, body);
  REQUIRE(created.status == 201);
  CHECK(created.body["company"]["id"] == 250);
  CHECK(created.body["company"]["identifier"] == "AcmeMfg");
  CHECK(created.body["agreement"]["id"] == 500);
  CHECK(created.body["virusesRemoved"] == 3);
  CHECK(created.body["alertsGenerated"] == "12");
  CHECK(get_json(cli, base).size() == 1);
  CHECK(get_json(cli, base + "/count")["count"] == 1);
  CHECK(get_json(cli, base + "/" + created.body["id"].dump())["groupIdentifier"] ==
        body["groupIdentifier"]);
  CHECK(get_json(cli, base + "?conditions=" + q("groupIdentifier contains \"mb #42]\"")).size() ==
        1);
  CHECK(get_json(cli, "/company/companies/251/managementSummaryReports").empty());
  get_json(cli, "/company/companies/251/managementSummaryReports/" + created.body["id"].dump(),
           404);

  check_refused(send(cli, "POST", base, {{"groupIdentifier", std::string(101, 'g')}}),
                "groupIdentifier");
  check_refused(send(cli, "POST", base, {{"totalWorkstations", 4}}), "groupIdentifier");
  check_refused(send(cli, "POST", base, {{"groupIdentifier", "g"}, {"virusesRemoved", "3"}}),
                "virusesRemoved");
  check_refused(send(cli, "POST", base, {{"groupIdentifier", "g"}, {"agreement", {{"id", 502}}}}),
                "agreement");  // another company's agreement
  CHECK(send(cli, "POST", "/company/companies/999/managementSummaryReports", body).status == 404);
  get_json(cli, "/company/companies/999/managementSummaryReports", 404);
  json state = json::parse(emu.client().Get("/_emulator/state")->body);
  CHECK(state["management_reports"].size() == 1);
}

TEST_CASE("published model: catalog limits, agreement type shape, references") {
  Emulator emu;
  auto cli = emu.client();
  json item = {{"identifier", std::string(75, 'I')},
               {"description", std::string(60, 'd')},
               {"customerDescription", "c"},
               {"subcategory", {{"id", 6}}},
               {"type", {{"id", 3}}}};
  CHECK(send(cli, "POST", "/procurement/catalog", item).status == 201);
  item["identifier"] = std::string(76, 'J');
  check_refused(send(cli, "POST", "/procurement/catalog", item), "identifier");
  item["identifier"] = "SHORT";
  item["description"] = std::string(61, 'd');
  check_refused(send(cli, "POST", "/procurement/catalog", item), "description");

  json type = get_json(cli, "/finance/agreements/types/1");
  CHECK(type["name"] == "Managed Service");
  for (const char* k : {"employeeCompRate", "employeeCompNotExceed", "invoicingCycle", "billTime",
                        "billExpenses", "billProducts", "inactiveFlag", "defaultFlag"})
    CHECK(type.contains(k));
  json agreement = get_json(cli, "/finance/agreements/500");
  CHECK(agreement["type"]["name"] == "Managed Service");
  CHECK(agreement["type"]["_info"].contains("type_href"));
  CHECK(agreement["company"]["_info"].contains("company_href"));
}

TEST_CASE("PATCH of an unknown or read-only field is refused, not ignored") {
  Emulator emu;
  auto cli = emu.client();
  const std::string one = "/finance/agreements/500/additions/9001";
  for (const char* field : {"id", "_info", "agreementId", "agreementStatus", "noSuchField"}) {
    check_refused(
        send(cli, "PATCH", one, json::array({{{"op", "replace"}, {"path", field}, {"value", 1}}})),
        field);
  }
  check_refused(send(cli, "PATCH", "/procurement/catalog/101",
                     json::array({{{"op", "replace"}, {"path", "/_info"}, {"value", {}}}})),
                "_info");
  CHECK(get_json(cli, one)["id"] == 9001);
  CHECK(get_json(cli, one)["agreementId"] == 500);
}
