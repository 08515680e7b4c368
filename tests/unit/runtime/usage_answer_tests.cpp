// The host's reading of a source's usage.v1 answer: every breach refuses the whole day.
#include <catch2/catch.hpp>

#include "runtime/usage_answer.hpp"

using meterbridge::host::read_usage_answer;

namespace {
std::string answer_with(const std::string& records, const std::string& extra = "") {
  return R"({"schema": "usage.v1", "date": "2026-10-01", "records": [)" + records + "]" + extra +
         "}";
}
const std::string kGood =
    R"({"customer_id": "c1", "customer_name": "Acme", "sku": "EP", "product_name": "Endpoint",
        "metric": "seats", "quantity": 7, "vendor_note": {"ignored": true}})";
}  // namespace

TEST_CASE("a good answer gives its records, rejections and the series to keep") {
  auto a = read_usage_answer(answer_with(
      kGood + R"(, {"customer_id": "c2", "sku": "EP", "metric": "seats", "quantity": 2.5})",
      R"(, "rejected": [{"file": "/d/x.csv", "line": 4, "reason": "bad quantity",
          "customer_id": "c3", "sku": "EP", "metric": "seats"}, {"file": "/d/y.csv", "line": 1,
          "reason": "bad header"}])"));
  CHECK(a.date == "2026-10-01");
  REQUIRE(a.records.size() == 2);
  CHECK(a.records[0].customer_name == "Acme");
  CHECK(a.records[0].quantity == 7);
  CHECK(a.records[1].customer_name.empty());
  CHECK(a.records[1].quantity == 2.5);
  REQUIRE(a.rejected.size() == 2);
  CHECK(a.rejected[0].line == 4);
  REQUIRE(a.keep.size() == 1);
  CHECK(a.keep[0].customer_id == "c3");
}

TEST_CASE("every breach of usage.v1 is refused with what and where") {
  using Catch::Contains;
  CHECK_THROWS_WITH(read_usage_answer("{not json"), Contains("not valid JSON"));
  CHECK_THROWS_WITH(read_usage_answer("[]"), Contains("not a JSON object"));
  CHECK_THROWS_WITH(read_usage_answer(R"({"schema": "catalog.v1", "records": []})"),
                    Contains("not a usage.v1 document"));
  CHECK_THROWS_WITH(read_usage_answer(R"({"schema": "usage.v1"})"), Contains("no 'records'"));
  CHECK_THROWS_WITH(read_usage_answer(answer_with(kGood + ", 3")),
                    Contains("record 1 is not an object"));
  CHECK_THROWS_WITH(
      read_usage_answer(answer_with(R"({"sku": "EP", "metric": "m", "quantity": 1})")),
      Contains("record 0: 'customer_id' must be a non-empty string"));
  CHECK_THROWS_WITH(read_usage_answer(answer_with(
                        R"({"customer_id": "c", "sku": "", "metric": "m", "quantity": 1})")),
                    Contains("'sku' must be a non-empty string"));
  CHECK_THROWS_WITH(read_usage_answer(answer_with(
                        R"({"customer_id": "c", "sku": "s", "metric": "m", "quantity": -1})")),
                    Contains("'quantity' must be a non-negative number"));
  CHECK_THROWS_WITH(read_usage_answer(answer_with(
                        R"({"customer_id": "c", "sku": "s", "metric": "m", "quantity": "7"})")),
                    Contains("'quantity' must be a non-negative number"));
}
