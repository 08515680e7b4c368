// UsageWriter writes usage.v1 text by hand: it must be JSON that reads back to the same values.
#include <catch2/catch.hpp>

#include <meterbridge/plugin.hpp>

using meterbridge::json;
using meterbridge::UsageWriter;

TEST_CASE("UsageWriter text reads back to the same strings and quantities") {
  UsageWriter w;
  const std::string awkward = "Quote \" backslash \\ tab \t newline \n bell \x07 Città ✓";
  w.add("c-1", awkward, "SKU/1", "Product \"Pro\"", "seats", 5);
  w.add("c-2", "", "SKU-2", "", "devices", 0.1);
  w.add("c-3", "Big", "SKU-3", "p", "gb", 12345678.901);
  w.add("c-4", "Tiny", "SKU-4", "p", "gb", 1e-7);
  w.reject({{"file", "/x.csv"}, {"line", 3}, {"reason", "bad"}});
  CHECK(w.records() == 4);
  json doc = json::parse(w.finish("2026-10-01"));
  CHECK(doc["schema"] == "usage.v1");
  CHECK(doc["date"] == "2026-10-01");
  REQUIRE(doc["records"].size() == 4);
  CHECK(doc["records"][0]["customer_name"] == awkward);
  CHECK(doc["records"][0]["product_name"] == "Product \"Pro\"");
  CHECK(doc["records"][0]["quantity"] == 5);
  CHECK(doc["records"][1]["quantity"].get<double>() == 0.1);
  CHECK(doc["records"][2]["quantity"].get<double>() == 12345678.901);
  CHECK(doc["records"][3]["quantity"].get<double>() == 1e-7);
  CHECK(doc["rejected"][0]["line"] == 3);
  // finish() leaves the writer empty for the next day.
  json empty = json::parse(w.finish("2026-10-02"));
  CHECK(empty["records"].empty());
  CHECK(empty["rejected"].empty());
}

TEST_CASE("UsageWriter refuses a quantity that JSON cannot carry") {
  UsageWriter w;
  CHECK_THROWS_AS(w.add("c", "n", "s", "p", "m", std::nan("")), meterbridge::Error);
}
