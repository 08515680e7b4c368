// The connectwise-manage sink driven through its entry point, as the host does, against an
// in-process emulation of the ConnectWise PSA REST API (cw_test_fixture.hpp): settings, check,
// discover, setup operations, read and apply.
#include "cw_test_fixture.hpp"

TEST_CASE_METHOD(Fixture, "settings are validated") {
  CHECK(plugin.api().kind == MB_KIND_SINK);
  CHECK(std::string(plugin.api().id) == "connectwise-manage");
  CHECK(plugin.validate_settings(settings).ok());
  json bad = settings;
  bad["extra"] = 1;
  CHECK(plugin.validate_settings(bad).status == MB_E_CONFIG);
  bad = settings;
  bad.erase("company_id");
  CHECK(plugin.validate_settings(bad).status == MB_E_CONFIG);
  bad = settings;
  bad["marker"] = std::string(21, 'm');
  CHECK(plugin.validate_settings(bad).status == MB_E_CONFIG);
  bad = settings;
  bad["page_size"] = 1001;
  CHECK(plugin.validate_settings(bad).status == MB_E_CONFIG);
  CHECK(json::parse(plugin.api().settings_schema_json)["properties"]["private_key"]["x-secret"] ==
        true);
}

TEST_CASE_METHOD(Fixture, "check discovers the codebase once and caches it in host state") {
  create();
  Outcome o = plugin.check();
  REQUIRE(o.ok());
  CHECK(o.answer["details"]["codebase"] == "v4_6_release/");
  CHECK(o.answer["details"]["version"] == "v2025.1");
  CHECK(emu.companyinfo_calls == 1);
  create();  // a new instance reads the cached codebase
  REQUIRE(plugin.check().ok());
  CHECK(emu.companyinfo_calls == 1);
  settings["codebase"] = "v4_6_release";  // a configured codebase needs no discovery
  host.state.clear();
  create();
  REQUIRE(plugin.check().ok());
  CHECK(emu.companyinfo_calls == 1);
}

TEST_CASE_METHOD(Fixture, "discover lists companies over Link pages and billable catalog lines") {
  create();
  Outcome o = plugin.invoke("discover");
  REQUIRE(o.ok());
  CHECK(o.answer["schema"] == "psa-catalog.v1");
  CHECK(o.answer["quantity_model"] == "absolute");
  CHECK(o.answer["companies"] == json::parse(R"([{"id":"1","name":"Alpha Ltd"},)"
                                             R"({"id":"2","name":"Beta GmbH"},)"
                                             R"({"id":"3","name":"Gamma SA"}])"));
  CHECK(o.answer["lines"] ==
        json::parse(R"([{"id":"AV-SEAT","name":"Managed AV","unit_price":4.5},)"
                    R"({"id":"M365-E3","name":"Microsoft 365 E3","unit_price":30}])"));
  int company_pages = 0;
  for (const auto& r : host.requests) {
    if (r.url.find("/company/companies") != std::string::npos) ++company_pages;
  }
  CHECK(company_pages == 2);
}

TEST_CASE_METHOD(Fixture, "the addition lifecycle: create, none, update, cancel, create again") {
  create();
  json l = line("k1", "1", "AV-SEAT");
  json r = read_one(l);
  CHECK(r["quantity"].is_null());
  CHECK(r["ref"] == "100/");

  json a = apply_one(want(l, 5));
  CHECK(a["action"] == "create");
  CHECK(a["before"].is_null());
  CHECK(a["after"] == 5);
  REQUIRE(emu.writes.size() == 1);
  json posted = json::parse(emu.writes[0].body);
  CHECK(posted["product"]["identifier"] == "AV-SEAT");
  CHECK(posted["quantity"] == 5);
  CHECK(posted["billCustomer"] == "Billable");
  CHECK(posted["effectiveDate"] == "2025-12-01T00:00:00Z");
  CHECK(posted["invoiceDescription"] == "[meterbridge] Managed AV");
  CHECK(a["ref"] == "100/500");
  CHECK(json::parse(host.state.at("addition/1/AV-SEAT")) ==
        json({{"agreement", 100}, {"addition", 500}}));
  CHECK(read_one(l)["quantity"] == 5);

  a = apply_one(want(l, 5));
  CHECK(a["action"] == "none");
  CHECK(emu.writes.size() == 1);

  a = apply_one(want(l, 7));
  CHECK(a["action"] == "update");
  CHECK(a["before"] == 5);
  CHECK(a["after"] == 7);
  REQUIRE(emu.writes.size() == 2);
  CHECK(emu.writes[1].method == "PATCH");
  CHECK(json::parse(emu.writes[1].body) ==
        json::parse(R"([{"op":"replace","path":"quantity","value":7}])"));

  a = apply_one(want(l, 0));
  CHECK(a["action"] == "cancel");
  CHECK(a["after"] == 0);
  REQUIRE(emu.writes.size() == 3);
  CHECK(json::parse(emu.writes[2].body) ==
        json::parse(R"([{"op":"replace","path":"cancelledDate","value":"2025-12-01T00:00:00Z"}])"));
  CHECK(emu.additions[100][0]["quantity"] == 7);  // never a quantity of 0
  CHECK(read_one(l)["quantity"].is_null());
  CHECK(apply_one(want(l, 0))["action"] == "none");

  a = apply_one(want(l, 3));
  CHECK(a["action"] == "create");
  CHECK(a["ref"] == "100/501");
  CHECK(emu.additions[100].size() == 2);
  CHECK(read_one(l)["quantity"] == 3);
}

TEST_CASE_METHOD(Fixture, "an unmarked manual addition is never touched") {
  emu.additions[100].push_back(addition(42, "AV-SEAT", 50, "Manual AV"));
  create();
  CHECK(read_one(line("k", "1", "AV-SEAT"))["quantity"].is_null());
  json a = apply_one(want(line("k", "1", "AV-SEAT"), 5));
  CHECK(a["action"] == "create");
  REQUIRE(emu.writes.size() == 1);
  CHECK(emu.writes[0].method == "POST");
  CHECK(emu.additions[100][0]["quantity"] == 50);
  CHECK(apply_one(want(line("k", "1", "AV-SEAT"), 8))["action"] == "update");
  CHECK(emu.writes[1].url.find("/additions/500") != std::string::npos);
  CHECK(emu.additions[100][0]["quantity"] == 50);
}

TEST_CASE_METHOD(Fixture, "no or several target agreements answer an error line, no write") {
  create();
  json r = read_one(line("k", "2", "AV-SEAT"));
  CHECK(r["error"].get<std::string>().find("several active 'Managed Service' agreements for "
                                           "company 2: 200, 201; refusing to guess") !=
        std::string::npos);
  json a = apply_one(want(line("k", "2", "AV-SEAT"), 5));
  CHECK(a["action"] == "error");
  CHECK(a["message"].get<std::string>().find("several active") != std::string::npos);
  r = read_one(line("k", "3", "AV-SEAT"));
  CHECK(r["error"] == "no active 'Managed Service' agreement for company 3");
  CHECK(apply_one(want(line("k", "3", "AV-SEAT"), 5))["action"] == "error");
  CHECK(emu.writes.empty());
}

TEST_CASE_METHOD(Fixture, "error classes") {
  create();
  SECTION("401 is auth and never shows the private key") {
    emu.intercept = [](const HttpRequest&) {
      return respond(401, {{"code", "Unauthorized"}, {"message", "bad key " + kPrivate}});
    };
    Outcome o = plugin.invoke("discover");
    CHECK(o.status == MB_E_AUTH);
    CHECK(o.message.find("acme") != std::string::npos);
    CHECK(o.message.find("pubkey") != std::string::npos);
    CHECK(o.message.find(kPrivate) == std::string::npos);
  }
  SECTION("403 is auth: member lacks permission") {
    emu.intercept = [](const HttpRequest&) {
      return respond(403, {{"code", "Forbidden"}, {"message", "no access"}});
    };
    Outcome o = plugin.invoke("read", {{"lines", json::array({line("k", "1", "AV-SEAT")})}});
    CHECK(o.status == MB_E_AUTH);
    CHECK(o.message.find("lacks permission") != std::string::npos);
  }
  SECTION("429 is rate limited") {
    emu.intercept = [](const HttpRequest&) {
      return respond(429, json::object(), {{"retry-after", "30"}});
    };
    Outcome o = plugin.invoke("discover");
    CHECK(o.status == MB_E_RATE_LIMITED);
    CHECK(o.message.find("Retry-After 30") != std::string::npos);
  }
  SECTION("500 is transient") {
    emu.intercept = [](const HttpRequest&) { return respond(500, json::object()); };
    CHECK(plugin.invoke("discover").status == MB_E_TRANSIENT);
  }
  SECTION("a body that is not JSON is transient and names the path") {
    emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.url.find("/system/info") == std::string::npos) return std::nullopt;
      HttpResponse h;
      h.status = 200;
      h.body = "<html>maintenance</html>";
      return h;
    };
    Outcome o = plugin.check();
    CHECK(o.status == MB_E_TRANSIENT);
    CHECK(o.message.find("/system/info") != std::string::npos);
  }
  SECTION("400 on a read is a config error with the CW message") {
    emu.intercept = [](const HttpRequest&) {
      return respond(400, {{"code", "InvalidObject"}, {"message", "bad conditions"}});
    };
    Outcome o = plugin.invoke("discover");
    CHECK(o.status == MB_E_CONFIG);
    CHECK(o.message.find("bad conditions") != std::string::npos);
  }
}

TEST_CASE_METHOD(Fixture, "a 400 on POST fails that line only, with the CW message") {
  emu.agreements.push_back(agreement(300, 3, "Managed Service", "Active"));
  emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method == "POST" && r.url.find("/agreements/100/") != std::string::npos) {
      return respond(400, {{"code", "InvalidObject"},
                           {"message", "Addition object is invalid"},
                           {"errors", {{{"code", "Required"}, {"message", "product inactive"}}}}});
    }
    return std::nullopt;
  };
  create();
  Outcome o =
      plugin.invoke("apply", {{"lines", json::array({want(line("a", "1", "AV-SEAT"), 5),
                                                     want(line("b", "3", "M365-E3"), 2)})}});
  REQUIRE(o.ok());
  CHECK(o.answer["schema"] == "psa-apply-result.v1");
  json a = o.answer["lines"][0];
  CHECK(a["action"] == "error");
  CHECK(a["message"].get<std::string>().find(
            "HTTP 400, InvalidObject: Addition object is invalid (product inactive)") !=
        std::string::npos);
  CHECK(host.state.count("addition/1/AV-SEAT") == 0);
  CHECK(o.answer["lines"][1]["action"] == "create");
  CHECK(o.answer["lines"][1]["ref"] == "300/500");
}

TEST_CASE_METHOD(Fixture, "setup operations") {
  create();
  SECTION("verify_company") {
    Outcome o = plugin.invoke("verify_company", {{"company_id", "2"}});
    REQUIRE(o.ok());
    CHECK(o.answer ==
          json({{"exists", true}, {"id", "2"}, {"name", "Beta GmbH"}, {"identifier", "Beta"}}));
    o = plugin.invoke("verify_company", {{"company_id", "99"}});
    REQUIRE(o.ok());
    CHECK(o.answer["exists"] == false);
    o = plugin.invoke("verify_company", {{"company_id", "Gamma"}});
    REQUIRE(o.ok());
    CHECK(o.answer["id"] == "3");
  }
  SECTION("agreements flags the single active agreement of the type as default") {
    Outcome o = plugin.invoke("agreements", {{"company_id", "1"}});
    REQUIRE(o.ok());
    const json& list = o.answer["agreements"];
    REQUIRE(list.size() == 3);
    CHECK(list[0]["id"] == 100);
    CHECK(list[0]["type"] == "Managed Service");
    CHECK(list[0]["status"] == "Active");
    CHECK(list[0]["default"] == true);
    CHECK(list[1]["default"] == false);
    CHECK(list[2]["default"] == false);
    o = plugin.invoke("agreements", {{"company_id", "2"}});
    REQUIRE(o.ok());
    for (const json& a : o.answer["agreements"]) CHECK(a["default"] == false);
  }
  SECTION("search_catalog needs two characters") {
    CHECK(plugin.invoke("search_catalog", {{"text", "A"}}).status == MB_E_INVALID_ARGUMENT);
    Outcome o = plugin.invoke("search_catalog", {{"text", "AV"}});
    REQUIRE(o.ok());
    REQUIRE(o.answer["items"].size() == 1);
    CHECK(o.answer["items"][0]["identifier"] == "AV-SEAT");
  }
  SECTION("create_product and edit_product") {
    Outcome o = plugin.invoke("create_product",
                              {{"identifier", "EDR-1"}, {"description", "EDR seat"}, {"price", 6}});
    REQUIRE(o.ok());
    CHECK(o.answer["identifier"] == "EDR-1");
    REQUIRE(emu.writes.size() == 1);
    json body = json::parse(emu.writes[0].body);
    CHECK(body["customerDescription"] == "EDR seat");
    CHECK(emu.writes[0].url == kBase + kApi + "/procurement/catalog");
    const int64_t id = o.answer["id"].get<int64_t>();
    o = plugin.invoke("edit_product", {{"id", id}, {"fields", {{"price", 7}}}});
    REQUIRE(o.ok());
    CHECK(o.answer["price"] == 7);
    CHECK(plugin.invoke("create_product", {{"identifier", "X"}}).status == MB_E_INVALID_ARGUMENT);
  }
  CHECK(plugin.invoke("nonsense").status == MB_E_UNSUPPORTED);
}

// Answers of the wrong shape found with the tests/fuzz/fuzz_connectwise_responses harness (its
// regressions/): each was undefined behaviour (UBSan) or an internal error before.
TEST_CASE_METHOD(Fixture, "odd answers are a clear error or ignored, never undefined behaviour") {
  create();
  SECTION("a Codebase of only '/' is no codebase") {
    emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.url.find("/login/companyinfo/") == std::string::npos) return std::nullopt;
      return respond(200, {{"Codebase", "/"}});
    };
    Outcome o = plugin.check();
    CHECK(o.status == MB_E_CONFIG);
    CHECK(o.message.find("without a Codebase") != std::string::npos);
  }
  SECTION("an empty Link target ends the paging") {
    emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.url.find("/company/companies?") == std::string::npos) return std::nullopt;
      return respond(200, json::array({{{"id", 1}, {"name", "Alpha Ltd"}}}),
                     {{"link", "<>; rel=\"next\""}});
    };
    Outcome o = plugin.invoke("discover");
    REQUIRE(o.ok());
    CHECK(o.answer["companies"].size() == 1);
  }
  SECTION("a company id too large for an integer, a deletedFlag that is no boolean") {
    emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.url.find("/company/companies/2") == std::string::npos) return std::nullopt;
      return respond(200, {{"id", 1e300}, {"name", "Beta GmbH"}, {"deletedFlag", "no"}});
    };
    Outcome o = plugin.invoke("verify_company", {{"company_id", "2"}});
    REQUIRE(o.ok());
    CHECK(o.answer["exists"] == true);
    CHECK(o.answer["id"] == "2");
  }
  SECTION("a company lookup that is not an object is transient") {
    emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.url.find("/company/companies/2") == std::string::npos) return std::nullopt;
      return respond(200, json::array({{{"id", 2}}}));
    };
    CHECK(plugin.invoke("verify_company", {{"company_id", "2"}}).status == MB_E_TRANSIENT);
  }
  SECTION("a product answer or an agreement that is not an object is transient") {
    // Found by the mutator: a PATCH of a catalog item answered with an array.
    emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.method == "PATCH") return respond(200, json::array({{{"id", 1}}}));
      if (r.url.find("/finance/agreements?") != std::string::npos)
        return respond(200, json::array({7, agreement(100, 1, "Managed Service", "Active")}));
      return std::nullopt;
    };
    Outcome o = plugin.invoke("edit_product", {{"id", "1"}, {"fields", {{"price", 5}}}});
    CHECK(o.status == MB_E_TRANSIENT);
    CHECK(o.message.find("PATCH /procurement/catalog/1") != std::string::npos);
    CHECK(plugin.invoke("agreements", {{"company_id", "1"}}).status == MB_E_TRANSIENT);
  }
  SECTION("an agreement whose company id is no integer belongs to no company") {
    emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.url.find("/finance/agreements?") == std::string::npos) return std::nullopt;
      json a = agreement(100, 1, "Managed Service", "Active");
      a["company"]["id"] = 1e300;
      return respond(200, json::array({a}));
    };
    json l = read_one(line("k", "1", "AV-SEAT"));
    CHECK(l["error"].get<std::string>().find("no active") != std::string::npos);
  }
}

TEST_CASE_METHOD(Fixture, "a next link to another host is refused, the credentials stay home") {
  create();
  emu.intercept = [](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.url.find("/company/companies?") == std::string::npos) return std::nullopt;
    return respond(200, json::array({{{"id", 1}, {"name", "Alpha Ltd"}}}),
                   {{"link", "<https://elsewhere.test/company/companies?page=2>; rel=\"next\""}});
  };
  Outcome o = plugin.invoke("discover");
  CHECK(o.status == MB_E_TRANSIENT);
  CHECK(o.message.find("another host (https://elsewhere.test") != std::string::npos);
  for (const HttpRequest& r : host.requests) CHECK(r.url.rfind(kBase, 0) == 0);
}

TEST_CASE_METHOD(Fixture,
                 "cancelled after a write: the written line is answered, the rest not sent") {
  emu.agreements.push_back(agreement(300, 3, "Managed Service", "Active"));
  // The host starts shutting down while the first addition is being posted (SIGTERM of serve).
  emu.intercept = [this](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method == "POST") host.cancelled = true;
    return std::nullopt;
  };
  create();
  Outcome o =
      plugin.invoke("apply", {{"lines", json::array({want(line("a", "1", "AV-SEAT"), 5),
                                                     want(line("b", "3", "M365-E3"), 2)})}});
  REQUIRE(o.ok());
  CHECK(o.answer["lines"][0]["action"] == "create");  // landed: the journal records it
  CHECK(o.answer["lines"][0]["ref"] == "100/500");
  CHECK(o.answer["lines"][1]["action"] == "error");
  CHECK(o.answer["lines"][1]["error_class"] == "cancelled");
  CHECK_FALSE(o.answer["lines"][1].contains("uncertain"));
  CHECK(emu.writes.size() == 1);
  // Cancelled before anything was written, the call fails as a whole.
  emu.intercept = nullptr;
  o = plugin.invoke("apply", {{"lines", json::array({want(line("c", "3", "AV-SEAT"), 1)})}});
  CHECK(o.status == MB_E_CANCELLED);
  CHECK(emu.writes.size() == 1);
}
