// The emulated ConnectWise PSA API: /login/companyinfo/{companyId} and /v4_6_release/apis/3.0/...
#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

#include "conditions.hpp"
#include "records.hpp"
#include "routes.hpp"
#include "url_encode.hpp"

namespace cw_emu {

namespace {

const std::string kApi = "/v4_6_release/apis/3.0";
constexpr int kMaxPageSize = 1000;
constexpr int kDefaultPageSize = 25;

std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < p.size()) {
    auto slash = p.find('/', start);
    if (slash == std::string::npos) slash = p.size();
    if (slash > start) out.push_back(p.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool parse_int(const std::string& s, long long& out) {
  if (s.empty() || s.size() > 12) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  out = std::stoll(s);
  return true;
}

using emulator_kit::url_encode;

void send_invalid(httplib::Response& res, const FieldError& e, const std::string& resource) {
  send_error(res, 400, "InvalidObject", resource + " object is invalid",
             nlohmann::json::array({{{"code", e.code},
                                     {"message", e.message},
                                     {"resource", resource},
                                     {"field", e.field}}}));
}

// Applies conditions (and orderBy for lists). Returns false after answering 400.
bool select(const httplib::Request& req, httplib::Response& res, const nlohmann::json& items,
            std::vector<nlohmann::json>& out) {
  std::unique_ptr<Condition> cond;
  if (req.has_param("conditions") && !req.get_param_value("conditions").empty()) {
    try {
      cond = parse_conditions(req.get_param_value("conditions"));
    } catch (const ConditionError& e) {
      send_error(res, 400, "InvalidObject",
                 std::string("conditions could not be parsed: ") + e.what());
      return false;
    }
  }
  for (const auto& o : items)
    if (!cond || cond->eval(o)) out.push_back(o);
  std::string order_field = "id";
  bool desc = false;
  if (req.has_param("orderBy") && !req.get_param_value("orderBy").empty()) {
    std::string ob = req.get_param_value("orderBy");
    const auto space = ob.find(' ');
    order_field = ob.substr(0, space);
    if (space != std::string::npos) {
      std::string dir = ob.substr(space + 1);
      for (auto& c : dir) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      dir.erase(0, dir.find_first_not_of(' '));
      if (dir == "desc")
        desc = true;
      else if (dir != "asc" && !dir.empty()) {
        send_error(res, 400, "InvalidObject", "orderBy direction must be asc or desc");
        return false;
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [&](const nlohmann::json& a, const nlohmann::json& b) {
    const auto va = resolve_path(a, order_field), vb = resolve_path(b, order_field);
    return desc ? vb < va : va < vb;
  });
  return true;
}

void list(const httplib::Request& req, httplib::Response& res, const State& st,
          const nlohmann::json& items) {
  long long page = 1, size = kDefaultPageSize;
  if (req.has_param("page") && (!parse_int(req.get_param_value("page"), page) || page < 1))
    return send_error(res, 400, "InvalidObject", "page must be an integer >= 1");
  if (req.has_param("pageSize") && (!parse_int(req.get_param_value("pageSize"), size) || size < 1))
    return send_error(res, 400, "InvalidObject", "pageSize must be an integer >= 1");
  if (size > kMaxPageSize)
    return send_error(res, 400, "InvalidObject",
                      "pageSize " + std::to_string(size) + " exceeds the maximum of 1000");
  std::vector<nlohmann::json> matched;
  if (!select(req, res, items, matched)) return;
  const long long total = static_cast<long long>(matched.size());
  const long long last = std::max(1LL, (total + size - 1) / size);
  nlohmann::json body = nlohmann::json::array();
  for (long long i = (page - 1) * size; i < total && i < page * size; ++i)
    body.push_back(matched[static_cast<std::size_t>(i)]);

  std::string other;  // the other query parameters, kept in the Link URLs
  for (const auto& [k, v] : req.params)
    if (k != "page" && k != "pageSize") other += url_encode(k) + "=" + url_encode(v) + "&";
  auto link = [&](long long p, const char* rel) {
    return "<" + st.base_url() + req.path + "?" + other + "pageSize=" + std::to_string(size) +
           "&page=" + std::to_string(p) + ">; rel=\"" + rel + "\"";
  };
  std::vector<std::string> links;
  if (page > 1) {
    links.push_back(link(1, "first"));
    links.push_back(link(std::min(page - 1, last), "prev"));
  }
  if (page < last) {
    links.push_back(link(page + 1, "next"));
    links.push_back(link(last, "last"));
  }
  std::string header;
  for (const auto& l : links) header += (header.empty() ? "" : ", ") + l;
  if (!header.empty()) res.set_header("Link", header);
  send_json(res, 200, body);
}

void count(const httplib::Request& req, httplib::Response& res, const nlohmann::json& items) {
  std::vector<nlohmann::json> matched;
  if (!select(req, res, items, matched)) return;
  send_json(res, 200, {{"count", matched.size()}});
}

// GET list / count / one item of a read-only or writable collection: handles rest = [] / [count]
// / [id]. Returns false when the path is not one of those.
bool read_collection(const httplib::Request& req, httplib::Response& res, const State& st,
                     const nlohmann::json& items, const std::vector<std::string>& rest,
                     const std::string& what) {
  if (req.method != "GET") return false;
  if (rest.empty()) return list(req, res, st, items), true;
  if (rest.size() != 1) return false;
  if (rest[0] == "count") return count(req, res, items), true;
  long long id = 0;
  const nlohmann::json* o = parse_int(rest[0], id) ? find_by_id(items, id) : nullptr;
  if (!o)
    send_error(res, 404, "NotFound", what + " with id " + rest[0] + " was not found");
  else
    send_json(res, 200, *o);
  return true;
}

bool authorized(const State& st, const httplib::Request& req, httplib::Response& res) {
  const auto& s = st.seed();
  const std::string expected =
      "Basic " + base64(s.company_id + "+" + s.public_key + ":" + s.private_key);
  std::string got = req.get_header_value("Authorization");
  if (got.size() > 6 && got.compare(0, 6, "basic ") == 0) got = "Basic " + got.substr(6);
  if (got != expected) {
    send_error(res, 401, "Unauthorized",
               got.empty() ? "Authorization header is required" : "Invalid credentials");
    return false;
  }
  const std::string client = req.get_header_value("clientId");
  if (std::find(s.client_ids.begin(), s.client_ids.end(), client) == s.client_ids.end()) {
    send_error(res, 401, "Unauthorized",
               client.empty() ? "clientId header is required" : "Unknown clientId");
    return false;
  }
  return true;
}

// Parses a JSON body; answers 415/400 and returns false when it is not usable.
bool json_body(const httplib::Request& req, httplib::Response& res, nlohmann::json& out) {
  const std::string ct = req.get_header_value("Content-Type");
  if (ct.rfind("application/json", 0) != 0) {
    send_error(res, 415, "UnsupportedMediaType", "Content-Type must be application/json");
    return false;
  }
  out = nlohmann::json::parse(req.body, nullptr, false);
  if (out.is_discarded()) {
    send_error(res, 400, "InvalidObject", "The request body is not valid JSON");
    return false;
  }
  return true;
}

void stamp(nlohmann::json& o) {
  o["_info"] = {{"lastUpdated", now_iso8601()}, {"updatedBy", "api"}};
}

void additions(State& st, const httplib::Request& req, httplib::Response& res,
               const std::vector<std::string>& seg) {
  // seg = finance agreements {aid} additions [count|{id}]
  Data& d = st.data();
  long long aid = 0;
  const nlohmann::json* agreement =
      parse_int(seg[2], aid) ? find_by_id(d.agreements, aid) : nullptr;
  if (!agreement)
    return send_error(res, 404, "NotFound", "Agreement with id " + seg[2] + " was not found");
  nlohmann::json mine = nlohmann::json::array();
  for (const auto& a : d.additions)
    if (a["agreementId"].get<long long>() == aid) mine.push_back(a);
  const std::vector<std::string> rest(seg.begin() + 4, seg.end());
  if (read_collection(req, res, st, mine, rest, "Addition")) return;
  if (rest.empty() && req.method == "POST") {
    nlohmann::json in, out;
    if (!json_body(req, res, in)) return;
    if (!agreement_open(*agreement))
      return send_invalid(
          res,
          {"InvalidField", "agreementId",
           "Agreement " + seg[2] + " is " + agreement->value("agreementStatus", "Cancelled") +
               ": additions cannot be added"},
          "addition");
    if (auto e = build_addition(d, *agreement, in, out)) return send_invalid(res, *e, "addition");
    out["id"] = d.next_addition_id++;
    stamp(out);
    d.additions.push_back(out);
    return send_json(res, 201, out);
  }
  long long id = 0;
  if (rest.size() != 1 || !parse_int(rest[0], id))
    return send_error(res, 404, "NotFound", "No route for " + req.method + " " + req.path);
  auto it = std::find_if(d.additions.begin(), d.additions.end(), [&](const nlohmann::json& a) {
    return a["id"].get<long long>() == id && a["agreementId"].get<long long>() == aid;
  });
  if (it == d.additions.end())
    return send_error(res, 404, "NotFound", "Addition with id " + rest[0] + " was not found");
  if (req.method == "DELETE") {
    d.additions.erase(it);
    res.status = 204;
    return;
  }
  if (req.method != "PUT" && req.method != "PATCH")
    return send_error(res, 404, "NotFound", "No route for " + req.method + " " + req.path);
  nlohmann::json in, out;
  if (!json_body(req, res, in)) return;
  if (req.method == "PATCH") {
    nlohmann::json patched = *it;
    if (auto e = apply_patch(in, patched)) return send_invalid(res, *e, "addition");
    in = patched;
  }
  if (auto e = build_addition(d, *agreement, in, out)) return send_invalid(res, *e, "addition");
  out["id"] = id;
  stamp(out);
  *it = out;
  send_json(res, 200, out);
}

void catalog(State& st, const httplib::Request& req, httplib::Response& res,
             const std::vector<std::string>& rest) {
  Data& d = st.data();
  if (read_collection(req, res, st, d.catalog, rest, "Catalog item")) return;
  nlohmann::json in, out;
  if (rest.empty() && req.method == "POST") {
    if (!json_body(req, res, in)) return;
    if (auto e = build_catalog_item(d, in, 0, out)) return send_invalid(res, *e, "catalogItem");
    out["id"] = d.next_catalog_id++;
    stamp(out);
    d.catalog.push_back(out);
    return send_json(res, 201, out);
  }
  long long id = 0;
  if (rest.size() != 1 || !parse_int(rest[0], id) || (req.method != "PUT" && req.method != "PATCH"))
    return send_error(res, 404, "NotFound", "No route for " + req.method + " " + req.path);
  auto it = std::find_if(d.catalog.begin(), d.catalog.end(),
                         [&](const nlohmann::json& c) { return c["id"].get<long long>() == id; });
  if (it == d.catalog.end())
    return send_error(res, 404, "NotFound", "Catalog item with id " + rest[0] + " was not found");
  if (!json_body(req, res, in)) return;
  if (req.method == "PATCH") {
    nlohmann::json patched = *it;
    if (auto e = apply_patch(in, patched)) return send_invalid(res, *e, "catalogItem");
    in = patched;
  }
  if (auto e = build_catalog_item(d, in, id, out)) return send_invalid(res, *e, "catalogItem");
  out["id"] = id;
  stamp(out);
  *it = out;
  send_json(res, 200, out);
}

void company_info(State& st, const std::string& company, httplib::Response& res) {
  const auto& s = st.seed();
  if (company != s.company_id)
    return send_error(res, 404, "NotFound", "Company " + company + " was not found");
  send_json(res, 200,
            {{"CompanyName", s.company_name},
             {"Codebase", "v4_6_release/"},
             {"VersionCode", "v2025.1"},
             {"VersionNumber", "v4.6"},
             {"CompanyID", s.company_id},
             {"IsCloud", true},
             {"SiteUrl", st.base_url()}});
}

}  // namespace

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const nlohmann::json& errors) {
  nlohmann::json body = {{"code", code}, {"message", message}};
  if (!errors.is_null()) body["errors"] = errors;
  send_json(res, status, body);
}

void route_api(State& st, const httplib::Request& req, httplib::Response& res) {
  const auto seg = split_path(req.path);
  if (req.method == "GET" && seg.size() == 3 && seg[0] == "login" && seg[1] == "companyinfo")
    return company_info(st, seg[2], res);
  if (req.path.rfind(kApi + "/", 0) != 0)
    return send_error(res, 404, "NotFound", "No route for " + req.method + " " + req.path);
  if (!authorized(st, req, res)) return;
  const std::vector<std::string> s(seg.begin() + 3, seg.end());  // after v4_6_release/apis/3.0
  std::lock_guard<std::mutex> lock(st.data_mutex());
  Data& d = st.data();
  const auto rest_from = [&](std::size_t n) {
    return std::vector<std::string>(s.begin() + n, s.end());
  };
  if (s.size() == 2 && s[0] == "system" && s[1] == "info" && req.method == "GET")
    return send_json(res, 200,
                     {{"version", "v2025.1.10431"},
                      {"isCloud", true},
                      {"serverTimeZone", "Eastern Standard Time"},
                      {"cloudRegion", "NA"}});
  if (s.size() >= 2 && s[0] == "company" && s[1] == "companies" &&
      read_collection(req, res, st, d.companies, rest_from(2), "Company"))
    return;
  if (s.size() >= 3 && s[0] == "finance" && s[1] == "agreements" && s[2] == "types" &&
      read_collection(req, res, st, d.agreement_types, rest_from(3), "Agreement type"))
    return;
  if (s.size() >= 4 && s[0] == "finance" && s[1] == "agreements" && s[3] == "additions" &&
      s.size() <= 5)
    return additions(st, req, res, s);
  if (s.size() >= 2 && s[0] == "finance" && s[1] == "agreements" &&
      read_collection(req, res, st, d.agreements, rest_from(2), "Agreement"))
    return;
  if (s.size() >= 2 && s[0] == "procurement" && s[1] == "catalog" && s.size() <= 3)
    return catalog(st, req, res, rest_from(2));
  send_error(res, 404, "NotFound", "No route for " + req.method + " " + req.path);
}

}  // namespace cw_emu
