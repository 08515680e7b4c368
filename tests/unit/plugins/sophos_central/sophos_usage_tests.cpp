// sophos-central: mapping of billing usage items to records, and the client's error detail.
#include <catch2/catch.hpp>

#include "sophos_client.hpp"
#include "sophos_usage.hpp"

using meterbridge::json;
using namespace sophos_central;

namespace {

json item(const std::string& account, const std::string& sku, json billable, json actual) {
  return {{"accountId", account},         {"sku", sku},
          {"productCode", "PC-" + sku},   {"productDescription", "Product " + sku},
          {"billableQuantity", billable}, {"actualQuantity", actual}};
}

}  // namespace

TEST_CASE("usage mapper picks billable or actual quantities") {
  for (auto field : {QuantityField::billable, QuantityField::actual}) {
    UsageMapper m(field, {{"t1", "Tenant One"}}, "src");
    m.add(item("t1", "A", 10, 12));
    auto records = m.records();
    REQUIRE(records.size() == 1);
    CHECK(records[0].customer_id == "t1");
    CHECK(records[0].customer_name == "Tenant One");
    CHECK(records[0].sku == "A");
    CHECK(records[0].product_name == "Product A");
    CHECK(records[0].quantity == (field == QuantityField::billable ? 10 : 12));
  }
}

TEST_CASE("usage mapper sums the order lines of one tenant and sku") {
  UsageMapper m(QuantityField::billable, {}, "src");
  m.add(item("t1", "A", 10, 0));
  m.add(item("t1", "A", 5, 0));
  m.add(item("t1", "B", 1, 0));
  m.add(item("t2", "A", 2.5, 0));
  auto records = m.records();
  REQUIRE(records.size() == 3);
  CHECK(records[0].quantity == 15);
  CHECK(records[1].sku == "B");
  CHECK(records[2].customer_id == "t2");
  CHECK(records[2].quantity == 2.5);
  CHECK(records[2].customer_name == "t2");  // no tenant name and no item name: the id
  CHECK(m.rejections().empty());
}

TEST_CASE("usage mapper rejects bad quantities and leaves their series out") {
  UsageMapper m(QuantityField::billable, {}, "src");
  m.add(item("t1", "A", 10, 0));
  m.add(item("t1", "A", -1, 0));                   // negative: the whole (t1, A) series goes
  m.add(item("t1", "B", nullptr, 0));              // missing
  m.add(item("t1", "C", "7", 0));                  // not a number
  m.add(item("t2", "A", 3, 0));                    // kept
  m.add({{"sku", "A"}, {"billableQuantity", 1}});  // no accountId
  m.add(json::array());                            // not an object
  auto records = m.records();
  REQUIRE(records.size() == 1);
  CHECK(records[0].customer_id == "t2");
  REQUIRE(m.rejections().size() == 5);
  CHECK(m.rejections()[0].line == 2);
  CHECK(m.rejections()[0].customer_id == "t1");
  CHECK(m.rejections()[0].sku == "A");
  CHECK(m.rejections()[0].reason.find("negative") != std::string::npos);
  CHECK(m.rejections()[1].reason.find("billableQuantity is missing") != std::string::npos);
  CHECK(m.rejections()[2].reason.find("not a number") != std::string::npos);
  CHECK(m.rejections()[3].reason.find("accountId") != std::string::npos);
  CHECK(m.rejections()[4].line == 7);
}

TEST_CASE("usage mapper falls back to productCode and item names") {
  UsageMapper m(QuantityField::actual, {}, "src");
  m.add({{"accountId", "t9"},
         {"sku", ""},
         {"productCode", "CODE"},
         {"accountName", "Nine"},
         {"actualQuantity", 4}});
  auto records = m.records();
  REQUIRE(records.size() == 1);
  CHECK(records[0].sku == "CODE");
  CHECK(records[0].customer_name == "Nine");
  CHECK(records[0].product_name == "CODE");
  CHECK(item_sku({{"productCode", "X"}}) == "X");
}

TEST_CASE("the error detail names errorCode or error, code and message") {
  auto detail = [](const char* body) {
    meterbridge::HttpResponse r;
    r.body = body;
    return error_detail(r);
  };
  CHECK(detail(R"({"errorCode":"oauth.invalid_client_secret","message":"Unauthorized"})") ==
        "oauth.invalid_client_secret: Unauthorized");
  CHECK(detail(R"({"error":"badRequest","code":"BAD_PAGE","message":"pageSize"})") ==
        "badRequest (BAD_PAGE): pageSize");
  CHECK(detail(R"({"error":"notFound","code":"notFound"})") == "notFound");
  CHECK(detail("<html>").empty());
}

TEST_CASE("a rejection quoting a long non-ASCII value stays UTF-8") {
  // Found with the tests/fuzz/fuzz_sophos_responses harness: the quote was cut inside a
  // character, and the whole collect failed when the answer's JSON was written.
  for (const std::string prefix : {"", "a", "ab", "abc"}) {
    UsageMapper m(QuantityField::billable, {}, "src");
    std::string value = prefix;
    for (int i = 0; i < 30; ++i) value += "\u00e9";
    m.add(item("t1", "A", value, 0));
    REQUIRE(m.rejections().size() == 1);
    const std::string& reason = m.rejections()[0].reason;
    CHECK(reason.find("...") != std::string::npos);
    CHECK_NOTHROW(json(reason).dump());
  }
}
