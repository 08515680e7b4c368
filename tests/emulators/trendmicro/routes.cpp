// The emulated Trend Micro Remote Manager API (README.md): SMPI under /SMPI/{version}/service/...,
// LMPI under /LMPI/v3/.... Every call passes the header and signature checks before its route.
#include "routes.hpp"

#include <meterbridge/digest.hpp>
#include <meterbridge/http.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace trendmicro_emu {

namespace {

constexpr int64_t kMaxSkewSeconds = 15 * 60;  // LMPI: requests more than 15 minutes off fail
const std::set<std::string> kVersions = {"v2.6", "v2.7", "v2.8"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The signature recomputed from the request as received: its raw target (path and query exactly
// as sent), not httplib's decoded path.
std::string expected_signature(const State& st, const httplib::Request& req,
                               const std::string& posix_time) {
  std::string message = posix_time;
  for (char c : req.method)
    message += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  message += req.target;
  if (!req.body.empty()) message += meterbridge::base64_encode(meterbridge::md5(req.body));
  return meterbridge::base64_encode(meterbridge::hmac_sha256(st.seed().secret_key, message));
}

// The header checks of every call; false once an error answer is written.
bool authenticated(const State& st, const httplib::Request& req, httplib::Response& res) {
  const std::pair<const char*, const char*> required[] = {
      {"x-access-token", "MissingHeaderAccessToken"},
      {"x-posix-time", "MissingHeaderPosixTime"},
      {"x-signature", "MissingHeaderSignature"},
      {"x-traceid", "MissingHeaderTraceId"},
      {"content-type", "MissingHeaderContentType"}};
  for (const auto& [header, subject] : required) {
    if (req.get_header_value(header).empty()) {
      send_error(res, 400, subject, std::string("The request has no ") + header + " header.");
      return false;
    }
  }
  const std::string type = lower(req.get_header_value("content-type"));
  const std::string media = type.substr(0, type.find(';'));
  const size_t charset = type.find("charset=");
  if (media != "application/json" ||
      (charset != std::string::npos && type.substr(charset + 8, 5) != "utf-8")) {
    send_error(res, 415, "InvalidHeaderContentType",
               "content-type must be application/json; charset=utf-8.");
    return false;
  }
  if (req.get_header_value("x-access-token") != st.seed().access_token) {
    send_error(res, 401, "AuthenticationFailureAccessToken", "The access token is not valid.");
    return false;
  }
  const std::string time_text = req.get_header_value("x-posix-time");
  static const std::regex kDigits("[0-9]{1,12}");
  if (!std::regex_match(time_text, kDigits)) {
    send_error(res, 400, "InvalidHeaderPosixTime", "x-posix-time must be unix seconds.");
    return false;
  }
  if (std::llabs(std::stoll(time_text) - st.now_s()) > kMaxSkewSeconds) {
    send_error(res, 401, "AuthenticationFailurePosixTime",
               "x-posix-time differs from the server time by more than 15 minutes.");
    return false;
  }
  if (req.get_header_value("x-signature") != expected_signature(st, req, time_text)) {
    send_error(res, 401, "AuthenticationFailureSignature", "The signature does not match.");
    return false;
  }
  return true;
}

// A positive integer parameter within [1, max], or `fallback` when absent; nullopt when invalid.
std::optional<int64_t> int_param(const httplib::Request& req, const char* name, int64_t fallback,
                                 int64_t max) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  static const std::regex kNumber("[0-9]{1,9}");
  if (!std::regex_match(v, kNumber)) return std::nullopt;
  const int64_t n = std::stoll(v);
  if (n < 1 || n > max) return std::nullopt;
  return n;
}

// The cids parameter: 1-20 known ids; nullopt once an error answer is written.
std::optional<std::vector<const Customer*>> cids(const State& st, const httplib::Request& req,
                                                 httplib::Response& res) {
  std::vector<const Customer*> out;
  std::stringstream in(req.get_param_value("cids"));
  std::string id;
  while (std::getline(in, id, ',')) {
    if (id.empty()) continue;
    const Customer* c = st.find_customer(id);
    if (!c) {
      send_error(res, 400, "InvalidParameters", "Unknown customer id in cids: " + id);
      return std::nullopt;
    }
    out.push_back(c);
  }
  if (out.empty() || out.size() > 20) {
    send_error(res, 400, "InvalidParameters", "cids must hold 1 to 20 customer ids.");
    return std::nullopt;
  }
  return out;
}

void customers(const State& st, const httplib::Request& req, httplib::Response& res) {
  const auto page = int_param(req, "page", 1, 1'000'000);
  const auto limit = int_param(req, "limit", 100, 100);
  if (!page || !limit)
    return send_error(res, 400, "InvalidParameters", "page must be >= 1 and limit 1 to 100.");
  const std::string q = lower(req.get_param_value("q"));
  std::set<std::string> only;
  if (req.has_param("cids")) {
    auto list = cids(st, req, res);
    if (!list) return;
    for (const Customer* c : *list) only.insert(c->id);
  }
  std::vector<const Customer*> matching;
  for (const Customer& c : st.seed().customers) {
    if (!only.empty() && !only.count(c.id)) continue;
    if (!q.empty() && lower(c.name).find(q) == std::string::npos) continue;
    matching.push_back(&c);
  }
  nlohmann::json list = nlohmann::json::array();
  const size_t from = static_cast<size_t>((*page - 1) * *limit);
  for (size_t i = from; i < matching.size() && i < from + static_cast<size_t>(*limit); ++i)
    list.push_back(matching[i]->listing);
  send_json(res, 200,
            {{"paging", {{"total", matching.size()}, {"limit", *limit}, {"page", *page}}},
             {"customers", list}});
}

void usage(const State& st, const httplib::Request& req, httplib::Response& res) {
  auto list = cids(st, req, res);
  if (!list) return;
  nlohmann::json out = nlohmann::json::array();
  for (const Customer* c : *list) {
    nlohmann::json seats = nlohmann::json::array();
    for (auto s : c->seat_usages) {
      if (!s.contains("update_time")) s["update_time"] = st.now_s();
      seats.push_back(std::move(s));
    }
    out.push_back({{"id", c->id}, {"seat_usages", seats}});
  }
  send_json(res, 200, {{"customers", out}});
}

bool valid_day(const std::string& d) {
  static const std::regex kDate("[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])");
  return std::regex_match(d, kDate);
}

// Our assumption (README.md): per-customer, per-product sums of the seeded days in range.
void detections(const State& st, const httplib::Request& req, httplib::Response& res) {
  const std::string start = req.get_param_value("start_date");
  const std::string end = req.get_param_value("end_date");
  if (!valid_day(start) || !valid_day(end) || start > end)
    return send_error(res, 400, "InvalidParameters",
                      "start_date and end_date must be YYYY-MM-DD, start_date <= end_date.");
  auto list = cids(st, req, res);
  if (!list) return;
  nlohmann::json out = nlohmann::json::array();
  for (const Customer* c : *list) {
    std::map<std::string, DayDetections> sums;
    for (const DayDetections& d : c->detections) {
      if (d.date < start || d.date > end) continue;
      DayDetections& s = sums[d.product_id];
      s.spam += d.spam;
      s.phishing += d.phishing;
      s.malware += d.malware;
      s.blocked += d.blocked;
      s.total_messages += d.total_messages;
    }
    nlohmann::json products = nlohmann::json::array();
    for (const auto& [product, s] : sums) {
      products.push_back({{"product_id", product},
                          {"spam", s.spam},
                          {"phishing", s.phishing},
                          {"malware", s.malware},
                          {"blocked", s.blocked},
                          {"total_messages", s.total_messages}});
    }
    out.push_back({{"id", c->id}, {"products", products}});
  }
  send_json(res, 200, {{"start_date", start}, {"end_date", end}, {"customers", out}});
}

void subscriptions(const State& st, const std::string& customer_id, const std::string& sub_id,
                   httplib::Response& res) {
  const Customer* c = st.find_customer(customer_id);
  if (!c) return send_error(res, 404, "CustomerNotFound", "No customer " + customer_id + ".");
  if (sub_id.empty()) return send_json(res, 200, {{"subscriptions", c->subscriptions}});
  for (const auto& s : c->subscriptions) {
    if (s["subscription_id"] == sub_id) return send_json(res, 200, s);
  }
  send_error(res, 404, "SubscriptionNotFound", "No subscription " + sub_id + ".");
}

}  // namespace

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& subject,
                const std::string& message) {
  send_json(res, status, {{"error_subject", subject}, {"error_message", message}});
}

void route_api(const State& st, const httplib::Request& req, httplib::Response& res) {
  static const std::regex kSmpi("/SMPI/(v[0-9]+\\.[0-9]+)/service/(wfbss|tmems)/api/(.+)");
  static const std::regex kLmpi("/LMPI/v3/customers/([^/]+)/subscriptions(/([^/]+))?");
  std::smatch m;
  const std::string path = req.path;
  const bool smpi = std::regex_match(path, m, kSmpi);
  std::smatch l;
  const bool lmpi = !smpi && std::regex_match(path, l, kLmpi);
  if ((!smpi && !lmpi) || (smpi && !kVersions.count(m[1].str())))
    return send_error(res, 404, "NotFound", "No such resource: " + path);
  if (!authenticated(st, req, res)) return;
  if (req.method != "GET")
    return send_error(res, 405, "MethodNotAllowed", req.method + " is not supported here.");
  if (lmpi) return subscriptions(st, l[1].str(), l[3].str(), res);
  const std::string service = m[2].str(), resource = m[3].str();
  if (service == "wfbss" && resource == "customers") return customers(st, req, res);
  if (service == "wfbss" && resource == "customers/usage") return usage(st, req, res);
  if (service == "tmems" && resource == "customers/detections") return detections(st, req, res);
  send_error(res, 404, "NotFound", "No such resource: " + path);
}

}  // namespace trendmicro_emu
