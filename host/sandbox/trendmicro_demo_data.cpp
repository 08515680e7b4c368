#include "sandbox/trendmicro_demo_data.hpp"

#include "sandbox/demo_data.hpp"

namespace meterbridge::host::sandbox {
using nlohmann::json;

namespace {

// One activation code of a demo customer: its product (LMPI product_id), units bought and seats
// in use.
struct DemoLicense {
  const char* product_id;
  int units;
  int used;
};

struct DemoTrendCustomer {
  size_t demo_index;  // into demo_customers(): the same names as the other demo sources
  std::vector<DemoLicense> licenses;
};

// Mixed on purpose: Worry-Free only, email only, both, and a licensed product with no seats in
// use (a known zero).
const std::vector<DemoTrendCustomer>& demo_trend_customers() {
  static const std::vector<DemoTrendCustomer> kCustomers = {
      {0, {{"WFBSS", 30, 27}}},
      {3, {{"WFBS-ADV", 40, 38}, {"HES", 45, 44}}},
      {7, {{"WFBS-STD", 100, 96}}},
      {12, {{"TMEMS-STD", 15, 12}}},
      {20, {{"WFBSS", 60, 55}, {"TMEMS-ADV", 60, 58}}},
      {33, {{"HES", 20, 0}}},
  };
  return kCustomers;
}

bool is_email(const std::string& product_id) {
  return product_id == "HES" || product_id == "TMEMS-STD" || product_id == "TMEMS-ADV";
}

// A deterministic spread in [0, 1000): the same customer, product and day always give the same
// counts, so scenarios and their tests agree.
uint32_t spread(uint32_t a, uint32_t b, uint32_t c) {
  uint32_t h = 2166136261u;
  for (uint32_t v : {a, b, c}) {
    h ^= v;
    h *= 16777619u;
    h ^= h >> 13;
  }
  return h % 1000;
}

// guid-shaped id number n: "7d1e5c2a-0000-4000-8000-00000000000n".
std::string demo_guid(int n) {
  std::string tail = std::to_string(n);
  return "7d1e5c2a-0000-4000-8000-" + std::string(12 - tail.size(), '0') + tail;
}

json day_detections(const std::string& product_id, int seats, size_t customer, int32_t day) {
  const uint32_t r = spread(static_cast<uint32_t>(customer), static_cast<uint32_t>(day),
                            static_cast<uint32_t>(product_id.size()));
  // Roughly 40 messages a seat a day, a twentieth of them spam; weekends are quieter.
  const int weekday = ((day % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday: 0 = Monday
  const int64_t messages = static_cast<int64_t>(seats) * (weekday >= 5 ? 8 : 40) + r % 50;
  const int64_t spam = messages / 20 + r % 17;
  return {{"product_id", product_id},    {"spam", spam},
          {"phishing", r % 7},           {"malware", r % 3 == 0 ? 1 : 0},
          {"blocked", spam / 4 + r % 5}, {"total_messages", messages}};
}

json demo_customer(size_t i, const DemoTrendCustomer& c, engine::Day today) {
  const std::string id = demo_guid(static_cast<int>(i) + 1);
  json licenses = json::array(), seats = json::array(), detections = json::array();
  int seat_count = 0;
  for (size_t k = 0; k < c.licenses.size(); ++k) {
    const DemoLicense& l = c.licenses[k];
    const std::string ac = std::string(is_email(l.product_id) ? "EM" : "WS") + "-DEMO-" +
                           std::to_string(1000 + i) + "-" + std::to_string(k + 1);
    licenses.push_back({{"ac_code", ac},
                        {"product_id", l.product_id},
                        {"units", l.units},
                        {"enabled", true},
                        {"license_start_date", engine::format_iso_date(today - 200)},
                        {"license_expiration_date", engine::format_iso_date(today + 165)}});
    if (l.used > 0) seats.push_back({{"activationcode", ac}, {"used", l.used}});
    seat_count += l.units;
    if (!is_email(l.product_id)) continue;
    for (int32_t d = today - kTrendMicroDetectionDays + 1; d <= today; ++d) {
      json day = day_detections(l.product_id, l.used > 0 ? l.used : 1, i, d);
      day["date"] = engine::format_iso_date(d);
      detections.push_back(std::move(day));
    }
  }
  return {{"id", id},
          {"name", demo_customers()[c.demo_index].vendor_name},
          {"seat_count", seat_count},
          {"expire", engine::format_iso_date(today + 165) + "T00:00:00Z"},
          {"subscriptions",
           {{{"subscription_id", "sub-demo-" + std::to_string(i + 1)},
             {"name", "Demo subscription " + std::to_string(i + 1)},
             {"enabled", true},
             {"licenses", licenses}}}},
          {"seat_usages", seats},
          {"detections", detections}};
}

}  // namespace

TrendMicroDemo make_trendmicro_demo(engine::Day today) {
  TrendMicroDemo demo;
  demo.access_token = "5f0c2b9e-3a4d-4e1f-8b6a-9c7d2e1f0a3b";
  demo.secret_key = "sandbox-trendmicro-secret-key";
  json customers = json::array();
  const auto& list = demo_trend_customers();
  for (size_t i = 0; i < list.size(); ++i) {
    customers.push_back(demo_customer(i, list[i], today));
    for (const DemoLicense& l : list[i].licenses) {
      if (is_email(l.product_id)) {
        ++demo.email_customers;
        break;
      }
    }
  }
  demo.seed = {
      {"credentials", {{"access_token", demo.access_token}, {"secret_key", demo.secret_key}}},
      {"clock_offset_seconds", 0},
      {"customers", std::move(customers)}};
  return demo;
}

}  // namespace meterbridge::host::sandbox
