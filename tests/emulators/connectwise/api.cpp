// The emulated ConnectWise PSA API: /login/companyinfo/{companyId} and /v4_6_release/apis/3.0/...
#include <algorithm>
#include <vector>

#include "api_support.hpp"
#include "service.hpp"

namespace cw_emu {

namespace {

const std::string kApi = "/v4_6_release/apis/3.0";

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
    if (auto e = apply_patch(in, patched, addition_patch_fields()))
      return send_invalid(res, *e, "addition");
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
    if (auto e = apply_patch(in, patched, catalog_patch_fields()))
      return send_invalid(res, *e, "catalogItem");
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
  if (s.size() >= 4 && s.size() <= 5 && s[0] == "company" && s[1] == "companies" &&
      s[3] == "managementSummaryReports")
    return management_reports(st, req, res, s[2], rest_from(4));
  if (s.size() >= 2 && s[0] == "company" && s[1] == "companies" &&
      read_collection(req, res, st, d.companies, rest_from(2), "Company"))
    return;
  if (s.size() >= 2 && s.size() <= 3 && s[0] == "service" && s[1] == "boards")
    return boards(st, req, res, rest_from(2));
  if (s.size() >= 2 && s.size() <= 3 && s[0] == "service" && s[1] == "tickets")
    return tickets(st, req, res, rest_from(2));
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
  no_route(req, res);
}

}  // namespace cw_emu
