// connectwise-manage ownership: which additions are its own (marker, state, intent), how a
// duplicate is seen whatever the state says and removed, and a write without an answer.
#include "cw_test_fixture.hpp"

TEST_CASE_METHOD(Fixture, "a marked addition is adopted when state is empty (after a crash)") {
  emu.additions[100].push_back(addition(77, "AV-SEAT", 4, "[meterbridge] Managed AV"));
  create();
  json r = read_one(line("k", "1", "AV-SEAT"));
  CHECK(r["quantity"] == 4);
  CHECK(r["ref"] == "100/77");
  CHECK(json::parse(host.state.at("addition/1/AV-SEAT"))["addition"] == 77);
  CHECK(apply_one(want(line("k", "1", "AV-SEAT"), 4))["action"] == "none");
  CHECK(emu.writes.empty());

  SECTION("two marked active additions: the oldest is kept, the other is a duplicate") {
    host.state.clear();
    emu.additions[100].push_back(addition(78, "AV-SEAT", 3, "[meterbridge #41] again"));
    r = read_one(line("k", "1", "AV-SEAT"));
    CHECK(r["ref"] == "100/77");
    REQUIRE(r["duplicates"].size() == 1);
    CHECK(r["duplicates"][0] == json({{"ref", "100/78"}, {"quantity", 3}, {"intent_id", 41}}));
  }
}

TEST_CASE_METHOD(Fixture, "a duplicate is seen even when state records the other addition") {
  // The recorded addition alone used to be trusted: a second one that landed late stayed hidden.
  emu.additions[100].push_back(addition(77, "AV-SEAT", 4, "[meterbridge #40] Managed AV"));
  emu.additions[100].push_back(addition(78, "AV-SEAT", 4, "[meterbridge #41] Managed AV"));
  emu.additions[100].push_back(addition(79, "AV-SEAT", 9, "Added by hand"));
  host.state["addition/1/AV-SEAT"] = json{{"agreement", 100}, {"addition", 78}}.dump();
  create();
  json r = read_one(line("k", "1", "AV-SEAT"));
  CHECK(r["ref"] == "100/78");  // the recorded one is kept
  REQUIRE(r["duplicates"].size() == 1);
  CHECK(r["duplicates"][0]["ref"] == "100/77");  // the unmarked 79 is never a candidate

  // apply refuses to write around a duplicate.
  json a = apply_one(want(line("k", "1", "AV-SEAT"), 6));
  CHECK(a["action"] == "error");
  CHECK(a["message"].get<std::string>().find("2 active marked additions") != std::string::npos);
  CHECK(emu.writes.empty());

  // remove_duplicates cancels 77 dated its own effective date; 78 and the manual 79 stay.
  emu.additions[100][0]["effectiveDate"] = "2025-11-01T00:00:00Z";
  Outcome o =
      plugin.invoke("remove_duplicates", {{"lines", json::array({line("k", "1", "AV-SEAT")})}});
  REQUIRE(o.ok());
  const json& answer = o.answer["lines"][0];
  CHECK(answer["action"] == "removed");
  CHECK(answer["kept"] == "100/78");
  CHECK(answer["removed"] == json::array({{{"ref", "100/77"}, {"quantity", 4}}}));
  REQUIRE(emu.writes.size() == 1);
  CHECK(emu.writes[0].method == "PATCH");
  CHECK(emu.writes[0].url.find("/additions/77") != std::string::npos);
  CHECK(json::parse(emu.writes[0].body)[0]["value"] == "2025-11-01T00:00:00Z");
  CHECK(emu.additions[100][0]["cancelledDate"] == "2025-11-01T00:00:00Z");
  CHECK_FALSE(emu.additions[100][2].contains("cancelledDate"));

  // Nothing left: a second call changes nothing.
  emu.additions[100][0]["agreementStatus"] = "Cancelled";
  o = plugin.invoke("remove_duplicates", {{"lines", json::array({line("k", "1", "AV-SEAT")})}});
  REQUIRE(o.ok());
  CHECK(o.answer["lines"][0]["action"] == "none");
  CHECK(emu.writes.size() == 1);
}

TEST_CASE_METHOD(Fixture, "a created addition carries its journal intent in the marker") {
  create();
  json l = want(line("k", "1", "AV-SEAT"), 5);
  l["intent_id"] = 4242;
  CHECK(apply_one(l)["action"] == "create");
  REQUIRE(emu.additions[100].size() == 1);
  CHECK(emu.additions[100][0]["invoiceDescription"] == "[meterbridge #4242] Managed AV");
}

TEST_CASE_METHOD(Fixture, "a POST without an answer is an uncertain error line") {
  create();
  emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method == "POST") throw meterbridge::NoResponseError(MB_E_TRANSIENT, "timed out");
    return std::nullopt;
  };
  json a = apply_one(want(line("k", "1", "AV-SEAT"), 5));
  CHECK(a["action"] == "error");
  CHECK(a["uncertain"] == true);
  CHECK(a["error_class"] == "transient");
}
