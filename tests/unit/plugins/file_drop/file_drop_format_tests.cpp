// file-drop's format layer on its own: dates, quantities, the CSV reader and the JSON reader.
#include <catch2/catch.hpp>

#include "file_drop_format.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace file_drop;

namespace {

struct Recorder : Sink {
  struct R {
    uint32_t line;
    Date date;
    std::string customer_id, customer_name, sku, product_name, metric;
    double quantity;
  };
  struct J {
    uint32_t line;
    std::string reason;
    Date date;
    std::string customer_id, sku, metric;
  };
  std::vector<R> rows;
  std::vector<J> rejected;
  void row(const Row& r) override {
    rows.push_back({r.line, r.date, std::string(r.customer_id), std::string(r.customer_name),
                    std::string(r.sku), std::string(r.product_name), std::string(r.metric),
                    r.quantity});
  }
  void reject(const Rejection& r) override {
    rejected.push_back({r.line, r.reason, r.date, std::string(r.customer_id), std::string(r.sku),
                        std::string(r.metric)});
  }
};

const std::string kHeader = std::string(kCsvHeader) + "\n";

Recorder csv(const std::string& text) {
  Recorder r;
  scan_csv(text, r);
  return r;
}

}  // namespace

TEST_CASE("format: dates are strict ISO and real calendar days") {
  CHECK(parse_date("2026-01-31") == 20260131);
  CHECK(parse_date("2024-02-29") == 20240229);  // leap year
  CHECK(parse_date("2000-02-29") == 20000229);  // divisible by 400
  CHECK(parse_date("1900-02-29") == 0);         // divisible by 100 only
  CHECK(parse_date("2026-02-29") == 0);
  CHECK(parse_date("2026-02-30") == 0);
  CHECK(parse_date("2026-04-31") == 0);
  CHECK(parse_date("2026-13-01") == 0);
  CHECK(parse_date("2026-00-10") == 0);
  CHECK(parse_date("2026-01-00") == 0);
  CHECK(parse_date("2026-1-05") == 0);
  CHECK(parse_date("2026/01/05") == 0);
  CHECK(parse_date("05-01-2026") == 0);
  CHECK(parse_date("2026-01-05T00:00") == 0);
  CHECK(parse_date("") == 0);
  CHECK(format_date(20260105) == "2026-01-05");
  CHECK(format_date(parse_date("0999-12-31")) == "0999-12-31");
}

TEST_CASE("format: quantities are finite non-negative decimal numbers") {
  double q = -1;
  std::string problem;
  CHECK(parse_quantity("12", q, problem));
  CHECK(q == 12);
  CHECK(parse_quantity(" 2.5 ", q, problem));
  CHECK(q == 2.5);
  CHECK(parse_quantity("0", q, problem));
  CHECK(q == 0);
  CHECK(parse_quantity("1.5e3", q, problem));
  CHECK(q == 1500);
  for (const char* bad :
       {"abc", "-1", "1e400", "NaN", "nan", "inf", "", "1,5", "+3", "1.2.3", "12 seats", "0x10"}) {
    INFO(bad);
    problem.clear();
    CHECK_FALSE(parse_quantity(bad, q, problem));
    CHECK_FALSE(problem.empty());
  }
  parse_quantity("-1", q, problem);
  CHECK(problem == "quantity '-1' is negative");
  parse_quantity("1e400", q, problem);
  CHECK(problem == "quantity '1e400' is out of range");
  parse_quantity("", q, problem);
  CHECK(problem == "quantity is empty");
}

TEST_CASE("format: metrics are lower-case names") {
  CHECK(valid_metric("seats"));
  CHECK(valid_metric("devices_2-x"));
  CHECK_FALSE(valid_metric("Seats"));
  CHECK_FALSE(valid_metric("seats per user"));
  CHECK_FALSE(valid_metric(""));
}

TEST_CASE("format: CSV rows are read with their line numbers and trimmed values") {
  auto r = csv(kHeader +
               "2026-01-05, c1 ,Acme Inc,SKU-1,Endpoint,seats,12\n"
               "2026-01-06,c2,Beta,SKU-2,Mail,users,0.5\n");
  REQUIRE(r.rejected.empty());
  REQUIRE(r.rows.size() == 2);
  CHECK(r.rows[0].line == 2);
  CHECK(r.rows[0].date == 20260105);
  CHECK(r.rows[0].customer_id == "c1");
  CHECK(r.rows[0].customer_name == "Acme Inc");
  CHECK(r.rows[0].quantity == 12);
  CHECK(r.rows[1].line == 3);
  CHECK(r.rows[1].metric == "users");
  CHECK(r.rows[1].quantity == 0.5);
}

TEST_CASE("format: RFC 4180 quoting keeps commas, quotes and newlines and counts lines") {
  auto r = csv(kHeader +
               "2026-01-05,c1,\"Acme, Inc\",SKU-1,\"The \"\"Best\"\" AV\",seats,1\n"
               "2026-01-05,c2,\"Multi\nLine\r\nName\",SKU-1,AV,seats,\"2\"\n"
               "2026-01-05,c3,Gamma,SKU-1,AV,seats,bad\n"
               "\"2026-01-05\" , \"c4\" ,Delta,SKU-1,AV,seats,4\n");
  REQUIRE(r.rows.size() == 3);
  CHECK(r.rows[0].customer_name == "Acme, Inc");
  CHECK(r.rows[0].product_name == "The \"Best\" AV");
  CHECK(r.rows[1].line == 3);
  CHECK(r.rows[1].customer_name == "Multi\nLine\r\nName");
  CHECK(r.rows[1].quantity == 2);
  CHECK(r.rows[2].line == 7);
  CHECK(r.rows[2].customer_id == "c4");
  REQUIRE(r.rejected.size() == 1);
  CHECK(r.rejected[0].line == 6);  // after the record spanning lines 3-5
  CHECK(r.rejected[0].customer_id == "c3");
}

TEST_CASE("format: broken quoting rejects the record, the next line still counts") {
  auto r = csv(kHeader +
               "2026-01-05,c1,\"Acme\"x,SKU-1,AV,seats,1\n"
               "2026-01-05,c2,Beta,SKU-1,AV,seats,2\n"
               "2026-01-05,c3,\"never closed,SKU-1,AV,seats,3\n"
               "2026-01-05,c4,Delta,SKU-1,AV,seats,4\n");
  REQUIRE(r.rows.size() == 1);
  CHECK(r.rows[0].customer_id == "c2");
  CHECK(r.rows[0].line == 3);
  REQUIRE(r.rejected.size() == 2);
  CHECK(r.rejected[0].line == 2);
  CHECK(r.rejected[0].reason == "unexpected character after a closing quote");
  CHECK(r.rejected[0].date == 20260105);
  CHECK(r.rejected[1].line == 4);
  CHECK(r.rejected[1].reason == "unterminated quoted field");
}

TEST_CASE("format: BOM, CRLF, blank lines and a missing final newline are accepted") {
  auto r =
      csv("\xEF\xBB\xBF" + std::string(kCsvHeader) +
          "\r\n2026-01-05,c1,Acme,SKU-1,AV,seats,1\r\n\r\n2026-01-05,c2,Beta,SKU-1,AV,seats,2");
  REQUIRE(r.rejected.empty());
  REQUIRE(r.rows.size() == 2);
  CHECK(r.rows[0].quantity == 1);
  CHECK(r.rows[1].line == 4);
  CHECK(r.rows[1].customer_id == "c2");
  CHECK(r.rows[1].quantity == 2);
}

TEST_CASE("format: a wrong or missing header rejects the whole file at line 1") {
  auto r = csv("date,customer,name,sku,product,metric,qty\n2026-01-05,c1,A,S,P,seats,1\n");
  CHECK(r.rows.empty());
  REQUIRE(r.rejected.size() == 1);
  CHECK(r.rejected[0].line == 1);
  CHECK_THAT(r.rejected[0].reason, Catch::Contains(std::string(kCsvHeader)));
  CHECK_THAT(r.rejected[0].reason, Catch::Contains("date,customer,name"));

  auto empty = csv("");
  REQUIRE(empty.rejected.size() == 1);
  CHECK_THAT(empty.rejected[0].reason, Catch::StartsWith("file is empty"));
}

TEST_CASE("format: rejections carry the keys that could be parsed") {
  auto r = csv(kHeader +
               "2026-01-05,c1,A,S1,P,seats,-3\n"
               "2026-02-30,c1,A,S1,P,seats,1\n"
               "2026-01-05,,A,S1,P,Seats,1\n"
               "2026-01-05,c1,A,S1,P,seats\n"
               "junk,c1,A,S1,P,seats,1,extra\n");
  REQUIRE(r.rows.empty());
  REQUIRE(r.rejected.size() == 5);
  CHECK(r.rejected[0].reason == "quantity '-3' is negative");
  CHECK(r.rejected[0].date == 20260105);
  CHECK(r.rejected[0].customer_id == "c1");
  CHECK(r.rejected[0].sku == "S1");
  CHECK(r.rejected[0].metric == "seats");
  CHECK_THAT(r.rejected[1].reason, Catch::Contains("'2026-02-30' is not a valid calendar date"));
  CHECK(r.rejected[1].date == 0);
  CHECK(r.rejected[1].customer_id == "c1");
  CHECK(r.rejected[2].reason ==
        "customer_id is empty; metric 'Seats' must be lower-case letters, digits, '_' or '-'");
  CHECK(r.rejected[2].customer_id.empty());
  CHECK(r.rejected[2].metric.empty());
  CHECK(r.rejected[2].sku == "S1");
  CHECK(r.rejected[3].reason == "expected 7 fields, found 6");
  CHECK(r.rejected[3].date == 20260105);
  CHECK(r.rejected[3].line == 5);
  CHECK(r.rejected[4].reason == "expected 7 fields, found 8");
  CHECK(r.rejected[4].date == 0);
}

TEST_CASE("format: JSON arrays and records objects, rejections by record index") {
  Recorder a;
  scan_json(R"([{"date":"2026-01-05","customer_id":"c1","customer_name":"Acme","sku":"S1",
                 "product_name":"AV","metric":"seats","quantity":3},
                {"date":"2026-01-05","customer_id":"c2","customer_name":"Beta","sku":"S1",
                 "product_name":"AV","metric":"seats","quantity":"3"},
                7,
                {"date":"2026-01-05","customer_name":"Gamma","sku":"S1",
                 "product_name":"AV","metric":"seats","quantity":-1.5},
                {"date":"2026-01-06","customer_id":"c5","customer_name":"Eps","sku":"S1",
                 "product_name":"AV","metric":"seats","quantity":2.25}])",
            a);
  REQUIRE(a.rows.size() == 2);
  CHECK(a.rows[0].line == 1);
  CHECK(a.rows[0].quantity == 3);
  CHECK(a.rows[1].line == 5);
  CHECK(a.rows[1].quantity == 2.25);
  REQUIRE(a.rejected.size() == 3);
  CHECK(a.rejected[0].line == 2);
  CHECK(a.rejected[0].reason == "record 2: quantity must be a JSON number, found string");
  CHECK(a.rejected[0].customer_id == "c2");
  CHECK(a.rejected[1].reason == "record 3: not an object");
  CHECK(a.rejected[2].reason == "record 4: missing field 'customer_id'; quantity -1.5 is negative");

  Recorder b;
  scan_json(R"({"records":[{"date":"2026-01-05","customer_id":"c1","customer_name":"Acme",
                "sku":"S1","product_name":"AV","metric":"seats","quantity":1e400}]})",
            b);
  CHECK(b.rows.empty());
  // The parser refuses a number it cannot represent: the file is rejected at that line.
  REQUIRE(b.rejected.size() == 1);
  CHECK(b.rejected[0].line == 2);
  CHECK_THAT(b.rejected[0].reason,
             Catch::StartsWith("not valid JSON: ") && Catch::Contains("1e400"));

  Recorder c;
  scan_json("{\"records\": [\n  {\"date\": \"2026-01-05\",\n   oops}\n]}", c);
  CHECK(c.rows.empty());
  REQUIRE(c.rejected.size() == 1);
  CHECK(c.rejected[0].line == 3);
  CHECK_THAT(c.rejected[0].reason, Catch::StartsWith("not valid JSON: "));
  CHECK_THAT(c.rejected[0].reason, Catch::Contains("line 3"));

  Recorder d;
  scan_json(R"({"rows": []})", d);
  REQUIRE(d.rejected.size() == 1);
  CHECK(d.rejected[0].line == 1);
}

TEST_CASE("format: reasons stay UTF-8 when they quote or cut UTF-8 text") {
  // The faults tests/fuzz/fuzz_config found in the host's config reader, here too (inputs in
  // tests/fuzz/regressions/file_drop_*): a quote cut inside a character, and nlohmann's message
  // quoting part of one, made the reason invalid UTF-8, and the plugin's JSON answer could not
  // be written.
  std::string long_value = "x";
  for (int i = 0; i < 40; ++i) long_value += "\u00e9";
  auto r = csv(kHeader + "2026-01-05,c1,A,S,P,seats," + long_value + "\n");
  REQUIRE(r.rejected.size() == 1);
  CHECK(r.rejected[0].reason.find("...") != std::string::npos);
  CHECK_NOTHROW(nlohmann::json(r.rejected[0].reason).dump());

  Recorder j;
  scan_json("\xC5\x89 [1]", j);  // the parser stops after the first byte of a character
  REQUIRE(j.rejected.size() == 1);
  CHECK(j.rejected[0].reason.rfind("not valid JSON: ", 0) == 0);
  CHECK_NOTHROW(nlohmann::json(j.rejected[0].reason).dump());
}
