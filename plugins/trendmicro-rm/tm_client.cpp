// trendmicro-rm: the Trend Micro Remote Manager client. See tm_client.hpp.
//
// Secrets: the access token goes nowhere but the x-access-token header, the secret key nowhere
// but the HMAC. Neither is ever part of a log line or an error message.
#include "tm_client.hpp"

#include "tm_signing.hpp"

#include <meterbridge/paging.hpp>

#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <utility>

using meterbridge::ApiRequest;
using meterbridge::ApiResponse;
using meterbridge::HttpResponse;

namespace trendmicro_rm {
namespace {

constexpr int64_t kMaxPages = 100'000;  // a guard against a server that never stops paging

std::string string_field(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  if (it == object.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return {};
}

int64_t count_field(const json& object, const char* key, const std::string& call) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return 0;
  if (!it->is_number_integer() || it->get<int64_t>() < 0) {
    throw meterbridge::transient_error("Trend Micro answered " + call + " with '" + key +
                                       "' that is not a count");
  }
  return it->get<int64_t>();
}

// The array `key` of an answer's top-level object; MB_E_TRANSIENT naming the call otherwise.
const json& array_of(const json& body, const char* key, const std::string& call) {
  if (!body.is_object() || !body.contains(key) || !body[key].is_array()) {
    throw meterbridge::transient_error("Trend Micro answered " + call + " without a '" + key +
                                       "' array");
  }
  return body[key];
}

// A random (version 4) GUID: x-traceid must be fresh for every call.
std::string new_guid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t a = rng(), b = rng();
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0x0FFF),
                static_cast<unsigned>(((b >> 48) & 0x3FFF) | 0x8000),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
  return out;
}

// "a,b,c" of percent-encoded ids: the documented cids form, commas unencoded.
std::string id_list(const std::vector<std::string>& ids, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) {
    if (!out.empty()) out += ',';
    out += meterbridge::percent_encode(ids[i]);
  }
  return out;
}

// A refused x-posix-time says nothing about the credentials: the two clocks disagree.
std::optional<meterbridge::Error> classify(const ApiResponse& r, const ApiRequest& request) {
  (void)request;
  if (r.status != 401) return std::nullopt;
  const std::string detail = error_detail(r);
  if (detail.find("PosixTime") == std::string::npos) return std::nullopt;
  return meterbridge::auth_error(
      "Trend Micro refused the request time of " + r.call + " (HTTP 401, " + detail +
      "): the host clock differs from Trend Micro's by more than 15 minutes; set the host's "
      "clock right (NTP) and try again");
}

}  // namespace

std::string error_detail(const HttpResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {};
  std::string subject = string_field(j, "error_subject");
  std::string message = string_field(j, "error_message");
  if (subject.empty()) return meterbridge::default_error_detail(r);
  return message.empty() ? subject : subject + ": " + message;
}

Client::Client(meterbridge::Host host, ClientSettings settings)
    : host_(host), settings_(std::move(settings)), api_(host, "Trend Micro", settings_.api_url) {
  api_.auth_hint =
      "check access_token and secret_key (Remote Manager > Administration > "
      "Third-party integration)";
  api_.config_hint = "check api_url and api_version";
  api_.error_detail = error_detail;
  // A cids list of 20 ids says nothing to an operator: calls are named by their path.
  api_.name_calls_by_path = true;
  api_.classify = classify;
  api_.authorize = [this](meterbridge::HttpRequest& r) { sign(r); };
}

void Client::sign(meterbridge::HttpRequest& r) {
  if (secret_key_.empty()) {
    access_token_ = host_.secret("access_token");
    secret_key_ = host_.secret("secret_key");
  }
  // The host's clock, not the system's: the host may run a test clock, and its time is what the
  // operator's days are computed from.
  const int64_t now_s = host_.now_unix_ms() / 1000;
  const std::string uri = meterbridge::url_target(r.url);
  r.headers["x-access-token"] = access_token_;
  r.headers["x-posix-time"] = std::to_string(now_s);
  r.headers["x-signature"] = signature(secret_key_, now_s, r.method, uri, r.body);
  r.headers["x-traceid"] = new_guid();
  r.headers["content-type"] = "application/json; charset=utf-8";
}

ApiRequest Client::smpi(const char* service) const {
  ApiRequest r = api_.get("SMPI", settings_.api_version, "service", service, "api");
  return r;
}

std::vector<Customer> Client::customers_page(int64_t page, int64_t* total) {
  ApiResponse r =
      smpi("wfbss").raw_path("customers").query("page", page).query("limit", kPageLimit).send();
  json body = r.json();
  std::vector<Customer> out;
  for (const json& item : array_of(body, "customers", r.call)) {
    Customer c{string_field(item, "id"), string_field(item, "name")};
    if (c.id.empty()) {
      throw meterbridge::transient_error("Trend Micro answered " + r.call +
                                         " with a customer without an id");
    }
    if (c.name.empty()) c.name = c.id;
    out.push_back(std::move(c));
  }
  if (total) {
    *total = -1;
    if (body.contains("paging") && body["paging"].is_object() && body["paging"].contains("total") &&
        body["paging"]["total"].is_number_integer()) {
      *total = body["paging"]["total"].get<int64_t>();
    }
  }
  return out;
}

std::vector<Customer> Client::customers() {
  std::vector<Customer> all;
  meterbridge::paging::by_number(
      host_, "Trend Micro customers listing",
      [&](int64_t page) {
        int64_t total = -1;
        std::vector<Customer> got = customers_page(page, &total);
        // paging.total when the answer has it; else a full page means another may follow.
        const bool more =
            total >= 0 ? page * kPageLimit < total : got.size() >= static_cast<size_t>(kPageLimit);
        json ids = json::array();  // what tells one page from the next
        for (Customer& c : got) {
          ids.push_back(c.id);
          all.push_back(std::move(c));
        }
        return meterbridge::paging::page(ids, more);
      },
      1, kMaxPages);
  return all;
}

std::vector<CustomerUsage> Client::usage(const std::vector<std::string>& ids) {
  std::vector<CustomerUsage> out;
  for (size_t from = 0; from < ids.size(); from += kMaxBatch) {
    const size_t to = std::min(ids.size(), from + kMaxBatch);
    ApiResponse r = smpi("wfbss").raw_path("customers/usage?cids=" + id_list(ids, from, to)).send();
    json body = r.json();
    std::set<std::string> answered;
    for (const json& c : array_of(body, "customers", r.call)) {
      CustomerUsage u{string_field(c, "id"), {}};
      const json none = json::array();
      const json& seats =
          c.contains("seat_usages") && c["seat_usages"].is_array() ? c["seat_usages"] : none;
      for (const json& s : seats) {
        const auto used = s.find("used");
        if (used == s.end() || !used->is_number() || used->get<double>() < 0) {
          throw meterbridge::transient_error("Trend Micro answered " + r.call + " for customer " +
                                             u.customer_id +
                                             " with a seat count that is not a "
                                             "non-negative number");
        }
        u.seats.push_back({string_field(s, "activationcode"), used->get<double>()});
      }
      answered.insert(u.customer_id);
      out.push_back(std::move(u));
    }
    // A customer left out of the answer would bill as zero seats: the day is not read whole.
    for (size_t i = from; i < to; ++i) {
      if (!answered.count(ids[i])) {
        throw meterbridge::transient_error("Trend Micro answered " + r.call +
                                           " without the usage of customer " + ids[i]);
      }
    }
  }
  return out;
}

std::vector<License> Client::licenses(const std::string& customer_id) {
  ApiResponse r = api_.get("LMPI", "v3", "customers", customer_id, "subscriptions").send();
  json body = r.json();
  std::vector<License> out;
  for (const json& sub : array_of(body, "subscriptions", r.call)) {
    if (!sub.is_object() || !sub.contains("licenses") || !sub["licenses"].is_array()) continue;
    for (const json& l : sub["licenses"]) {
      License lic{string_field(l, "ac_code"), string_field(l, "product_id"),
                  !(l.contains("enabled") && l["enabled"] == false)};
      if (lic.ac_code.empty() || lic.product_id.empty()) {
        throw meterbridge::transient_error("Trend Micro answered " + r.call +
                                           " with a licence without ac_code or product_id");
      }
      out.push_back(std::move(lic));
    }
  }
  return out;
}

std::vector<CustomerDetections> Client::detections(const std::vector<std::string>& ids,
                                                   const std::string& from_day,
                                                   const std::string& to_day) {
  std::vector<CustomerDetections> out;
  for (size_t from = 0; from < ids.size(); from += kMaxBatch) {
    const size_t to = std::min(ids.size(), from + kMaxBatch);
    ApiResponse r = smpi("tmems")
                        .raw_path("customers/detections?cids=" + id_list(ids, from, to))
                        .query("start_date", from_day)
                        .query("end_date", to_day)
                        .send();
    json body = r.json();
    for (const json& c : array_of(body, "customers", r.call)) {
      CustomerDetections d{string_field(c, "id"), {}};
      const json none = json::array();
      const json& products =
          c.contains("products") && c["products"].is_array() ? c["products"] : none;
      for (const json& p : products) {
        ProductDetections pd;
        pd.product_id = string_field(p, "product_id");
        pd.spam = count_field(p, "spam", r.call);
        pd.phishing = count_field(p, "phishing", r.call);
        pd.malware = count_field(p, "malware", r.call);
        pd.blocked = count_field(p, "blocked", r.call);
        pd.total_messages = count_field(p, "total_messages", r.call);
        d.products.push_back(std::move(pd));
      }
      out.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace trendmicro_rm
