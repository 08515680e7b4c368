// What a source learns from the collect request (PROTOCOL.md P6.8, P6.9): the day, the
// operator's today and time zone, and the SDK's refusal of a past day for a source of current
// counts.
#include <catch2/catch.hpp>

#include <meterbridge/plugin.hpp>

using meterbridge::json;

namespace {

class CountingSource : public meterbridge::SourcePlugin {
 public:
  explicit CountingSource(bool past_days) : past_days_(past_days) {}
  bool answers_past_days() const override { return past_days_; }
  json check() override { return json::object(); }
  json discover() override { return {{"customers", json::array()}, {"products", json::array()}}; }
  json collect(const std::string& date) override {
    seen = collect_day();
    ++calls;
    return {{"records", json::array({{{"customer_id", "c"}, {"customer_name", date}}})}};
  }
  meterbridge::CollectDay seen;
  int calls = 0;

 private:
  bool past_days_;
};

}  // namespace

TEST_CASE("collect: the request's today and time zone reach the source") {
  CountingSource source(false);
  json answer = source.invoke(
      "collect", {{"date", "2026-12-01"}, {"today", "2026-12-01"}, {"time_zone", "Europe/Berlin"}});
  CHECK(answer["schema"] == "usage.v1");
  CHECK(answer["date"] == "2026-12-01");
  CHECK(source.seen.today == "2026-12-01");
  CHECK(source.seen.time_zone == "Europe/Berlin");
  CHECK_FALSE(source.seen.is_past());
}

TEST_CASE("collect: a source of current counts refuses a past day instead of answering it") {
  CountingSource source(false);
  try {
    source.invoke("collect",
                  {{"date", "2026-11-28"}, {"today", "2026-12-01"}, {"time_zone", "Asia/Tokyo"}});
    FAIL("a past day was answered");
  } catch (const meterbridge::Error& e) {
    CHECK(e.status() == MB_E_UNSUPPORTED);
    CHECK(std::string(e.what()).find(
              "cannot answer 2026-11-28 (today is 2026-12-01 in Asia/Tokyo)") != std::string::npos);
  }
  CHECK(source.calls == 0);
  CHECK(source.invoke("discover", json::object())["past_days"] == false);
  CHECK(source.capabilities()["past_days"] == false);
  // A host that does not say what today is (older than the field) gets an answer.
  CHECK(source.invoke("collect", {{"date", "2026-11-28"}})["date"] == "2026-11-28");
}

TEST_CASE("collect: a source of dated data answers past days") {
  CountingSource source(true);
  json answer = source.invoke("collect", {{"date", "2026-11-28"}, {"today", "2026-12-01"}});
  CHECK(answer["records"][0]["customer_name"] == "2026-11-28");
  CHECK(source.seen.is_past());
  CHECK(source.capabilities()["past_days"] == true);
  CHECK_THROWS_WITH(source.invoke("collect", {{"date", 20261128}}),
                    "collect needs a string field 'date' (YYYY-MM-DD)");
  CHECK_THROWS_WITH(source.invoke("collect", {{"date", "2026-11-28"}, {"today", 1}}),
                    "collect needs a string field 'today'");
}
