// Listing, counting and body helpers shared by the emulator's resources (api_support.hpp).
#include <algorithm>
#include <cctype>

#include "api_support.hpp"
#include "conditions.hpp"
#include "url_encode.hpp"

namespace cw_emu {

namespace {

constexpr int kMaxPageSize = 1000;
constexpr int kDefaultPageSize = 25;

using emulator_kit::url_encode;

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

}  // namespace

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

void send_invalid(httplib::Response& res, const FieldError& e, const std::string& resource) {
  send_error(res, 400, "InvalidObject", resource + " object is invalid",
             nlohmann::json::array({{{"code", e.code},
                                     {"message", e.message},
                                     {"resource", resource},
                                     {"field", e.field}}}));
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

void no_route(const httplib::Request& req, httplib::Response& res) {
  send_error(res, 404, "NotFound", "No route for " + req.method + " " + req.path);
}

}  // namespace cw_emu
