// Entity reads: GET /{Entity}/{id}, queries (POST body or GET ?search=), query/count, paging
// through nextPageUrl (query/next), the Contracts child collections, and the Services writes.
#include <algorithm>
#include <cctype>

#include "query.hpp"
#include "records.hpp"
#include "routes.hpp"
#include "url_encode.hpp"

namespace at_emu {

namespace {

using emulator_kit::url_encode;

std::optional<long long> parse_id(const std::string& s) {
  if (s.empty() || s.size() > 12 || !std::all_of(s.begin(), s.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      }))
    return std::nullopt;
  return std::stoll(s);
}

// The query of a GET (?search=) or a POST (body); nullopt after answering 500.
std::optional<nlohmann::json> search_of(const httplib::Request& req, httplib::Response& res) {
  const bool get = req.method == "GET";
  if (get && !req.has_param("search")) {
    send_errors(res, 500, "The search parameter is required.");
    return std::nullopt;
  }
  auto j = nlohmann::json::parse(get ? req.get_param_value("search") : req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    send_errors(res, 500, "The query is not a valid JSON object.");
    return std::nullopt;
  }
  return j;
}

// Runs a query and answers the page at `offset`. Returns false after answering an error.
void run_query(State& st, httplib::Response& res, const std::string& entity,
               const nlohmann::json& search, long long offset, bool count_only) {
  Query q;
  try {
    q = parse_query(search, entity_fields(entity));
  } catch (const QueryError& e) {
    return send_errors(res, 500, e.what());
  }
  std::vector<nlohmann::json> matched;
  {
    std::lock_guard<std::mutex> lock(st.data_mutex());
    for (const auto& r : entity_records(st.data(), entity))
      if (matches(q.filter, r)) matched.push_back(r);
  }
  if (count_only) return send_json(res, 200, {{"queryCount", matched.size()}});
  std::sort(matched.begin(), matched.end(),
            [](const nlohmann::json& a, const nlohmann::json& b) { return a["id"] < b["id"]; });
  const long long total = static_cast<long long>(matched.size());
  const auto& inc = q.include_fields;
  if (!inc.empty() && total > q.max_records && std::find(inc.begin(), inc.end(), "id") == inc.end())
    return send_errors(res, 500,
                       "IncludeFields must include id when a query has more results "
                       "than MaxRecords.");
  nlohmann::json items = nlohmann::json::array();
  for (long long i = offset; i < total && i < offset + q.max_records; ++i)
    items.push_back(project(matched[static_cast<std::size_t>(i)], inc));
  const auto page_url = [&](long long at) -> nlohmann::json {
    const nlohmann::json paging = {{"offset", at}, {"pageSize", q.max_records}};
    return st.zone_url() + "V1.0/" + entity + "/query/next?paging=" + url_encode(paging.dump()) +
           "&search=" + url_encode(search.dump());
  };
  const nlohmann::json details = {
      {"count", items.size()},
      {"requestCount", q.max_records},
      {"prevPageUrl", offset > 0 ? page_url(std::max(0LL, offset - q.max_records)) : nullptr},
      {"nextPageUrl", offset + q.max_records < total ? page_url(offset + q.max_records) : nullptr}};
  send_json(res, 200, {{"items", items}, {"pageDetails", details}});
}

// GET|POST {Entity}/query/next?paging=...&search=...: the page a nextPageUrl or prevPageUrl names.
void next_page(State& st, const httplib::Request& req, httplib::Response& res,
               const std::string& entity) {
  const auto paging = nlohmann::json::parse(req.get_param_value("paging"), nullptr, false);
  if (!paging.is_object() || !paging.contains("offset") || !paging["offset"].is_number_integer() ||
      paging["offset"] < 0 || !req.has_param("search"))
    return send_errors(res, 500, "The paging or search parameter is not valid.");
  const auto search = nlohmann::json::parse(req.get_param_value("search"), nullptr, false);
  if (!search.is_object()) return send_errors(res, 500, "The search parameter is not valid.");
  run_query(st, res, entity, search, paging["offset"].get<long long>(), false);
}

void get_item(State& st, httplib::Response& res, const std::string& entity, long long id) {
  std::lock_guard<std::mutex> lock(st.data_mutex());
  const nlohmann::json& records = entity_records(st.data(), entity);
  const auto* item = find_by_id(records, id);
  if (!item) return send_errors(res, 404, entity + " " + std::to_string(id) + " was not found.");
  send_json(res, 200, {{"item", *item}});
}

// /Contracts/{id}/Services[/{id}] and /Contracts/{id}/ServiceUnits[/{id}].
void contract_child(State& st, const httplib::Request& req, httplib::Response& res,
                    const std::vector<std::string>& seg) {
  const auto contract = parse_id(seg[1]);
  const std::string entity = seg[2] == "services" ? "ContractServices" : "ContractServiceUnits";
  if (!contract) return send_errors(res, 404, "No route for " + req.path);
  if (seg.size() == 4) {
    const auto id = parse_id(seg[3]);
    if (!id) return send_errors(res, 404, "No route for " + req.path);
    if (req.method != "GET") return send_405(res, req.method);
    return get_item(st, res, entity, *id);
  }
  if (req.method == "GET")
    return run_query(st, res, entity,
                     {{"Filter", {{{"op", "eq"}, {"field", "contractID"}, {"value", *contract}}}}},
                     0, false);
  if (req.method != "POST" || entity != "ContractServices") return send_405(res, req.method);
  const auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return send_errors(res, 500, "The request body is not valid JSON.");
  std::lock_guard<std::mutex> lock(st.data_mutex());
  const Created made = create_contract_service(st.data(), body, *contract, 0);
  if (!made.error.empty()) return send_errors(res, 500, made.error);
  send_json(res, 200, {{"itemId", made.id}});
}

// POST /Services (create) and PATCH /Services (partial update, the body names the id).
void write_service(State& st, const httplib::Request& req, httplib::Response& res) {
  const auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return send_errors(res, 500, "The request body is not valid JSON.");
  std::lock_guard<std::mutex> lock(st.data_mutex());
  const Created made =
      req.method == "POST" ? create_service(st.data(), body) : patch_service(st.data(), body);
  if (!made.error.empty()) return send_errors(res, 500, made.error);
  send_json(res, 200, {{"itemId", made.id}});
}

}  // namespace

void route_entities(State& st, const httplib::Request& req, httplib::Response& res,
                    const std::vector<std::string>& seg) {
  const auto entity = canonical_entity(seg[0]);
  if (!entity) return send_errors(res, 404, "No route for " + req.method + " " + req.path);
  if (*entity == "Contracts" && (seg.size() == 3 || seg.size() == 4) &&
      (seg[2] == "services" || seg[2] == "serviceunits"))
    return contract_child(st, req, res, seg);
  if (*entity == "Services" && seg.size() == 1 && (req.method == "POST" || req.method == "PATCH"))
    return write_service(st, req, res);
  // Creates and updates of Companies and Contracts, and PUT of Services, are not emulated;
  // ContractServices are written through /Contracts/{id}/Services and ContractServiceUnits are
  // read-only.
  if (seg.size() == 1) return send_405(res, req.method);
  if (seg[1] == "query") {
    if (req.method != "GET" && req.method != "POST") return send_405(res, req.method);
    if (seg.size() == 3 && seg[2] == "next") return next_page(st, req, res, *entity);
    const bool count = seg.size() == 3 && seg[2] == "count";
    if (seg.size() != 2 && !count) return send_errors(res, 404, "No route for " + req.path);
    const auto search = search_of(req, res);
    if (search) run_query(st, res, *entity, *search, 0, count);
    return;
  }
  const auto id = seg.size() == 2 ? parse_id(seg[1]) : std::nullopt;
  if (!id) return send_errors(res, 404, "No route for " + req.method + " " + req.path);
  if (req.method != "GET") return send_405(res, req.method);
  get_item(st, res, *entity, *id);
}

}  // namespace at_emu
