// connectwise-manage: a sink plugin that writes billed quantities into ConnectWise PSA (Manage)
// agreement additions (quantity model "absolute"), plus the operations the setup screens use
// (verify_company, agreements, search_catalog, create_product, edit_product).
#include <meterbridge/plugin.hpp>

#include "cw_client.hpp"
#include "cw_sink.hpp"
#include "cw_summary.hpp"

#include <set>
#include <string>
#include <utility>
#include <vector>

using meterbridge::json;

namespace connectwise_manage {
namespace {

const char* const kSchema = R"json({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "connectwise-manage settings",
  "type": "object",
  "additionalProperties": false,
  "required": ["site_url", "company_id", "public_key", "private_key", "client_id"],
  "properties": {
    "site_url": {"type": "string", "pattern": "^https?://", "minLength": 8,
                 "description": "ConnectWise API site, e.g. https://api-na.myconnectwise.net"},
    "company_id": {"type": "string", "minLength": 1,
                   "description": "The login company id of the API member"},
    "public_key": {"type": "string", "minLength": 1, "description": "API member public key"},
    "private_key": {"type": "string", "minLength": 1, "x-secret": true,
                    "description": "API member private key: ${env:NAME} or ${file:PATH}"},
    "client_id": {"type": "string", "minLength": 1,
                  "description": "clientId from the ConnectWise developer portal"},
    "codebase": {"type": "string", "minLength": 1,
                 "description": "e.g. v4_6_release/; absent: discovered via /login/companyinfo"},
    "agreement_type": {"type": "string", "minLength": 1, "default": "Managed Service",
                       "description": "Agreement type whose active agreement gets the additions"},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000,
                  "description": "Page size of listings"},
    "marker": {"type": "string", "minLength": 1, "maxLength": 20, "default": "meterbridge",
               "description": "Additions owned by meterbridge start their invoiceDescription with [marker]"},
    "summary_delivery": {"enum": ["ticket", "management_report"], "default": "ticket",
                         "description": "Where post_summary delivers: a service ticket or a company management summary report"},
    "summary_board": {"type": "string", "minLength": 1, "maxLength": 50, "default": "Help Desk",
                      "description": "The service board (by name) of post_summary tickets"}
  }
})json";

struct Settings {
  ClientSettings client;
  SinkSettings sink;
  SummarySettings summary;
};

std::string required_string(const json& s, const char* key) {
  if (!s.contains(key) || !s[key].is_string() || s[key].get<std::string>().empty())
    throw meterbridge::config_error(std::string("setting '") + key +
                                    "' is required (a non-empty string)");
  return s[key].get<std::string>();
}

std::string optional_string(const json& s, const char* key, const char* fallback) {
  if (!s.contains(key)) return fallback;
  if (!s[key].is_string() || s[key].get<std::string>().empty())
    throw meterbridge::config_error(std::string("setting '") + key +
                                    "' must be a non-empty string");
  return s[key].get<std::string>();
}

Settings parse_settings(const json& s) {
  if (!s.is_object()) throw meterbridge::config_error("settings must be a JSON object");
  static const std::set<std::string> kKnown = {
      "site_url",  "company_id",     "public_key", "private_key",      "client_id",    "codebase",
      "page_size", "agreement_type", "marker",     "summary_delivery", "summary_board"};
  for (const auto& [key, value] : s.items()) {
    (void)value;
    if (!kKnown.count(key)) throw meterbridge::config_error("unknown setting '" + key + "'");
  }
  Settings out;
  out.client.site_url = required_string(s, "site_url");
  if (out.client.site_url.rfind("https://", 0) != 0 && out.client.site_url.rfind("http://", 0) != 0)
    throw meterbridge::config_error("setting 'site_url' must be an http(s) URL");
  out.client.company_id = required_string(s, "company_id");
  out.client.public_key = required_string(s, "public_key");
  out.client.client_id = required_string(s, "client_id");
  if (!s.contains("private_key"))
    throw meterbridge::config_error(
        "setting 'private_key' is required (${env:NAME} or ${file:PATH})");
  out.client.codebase = optional_string(s, "codebase", "");
  out.sink.agreement_type = optional_string(s, "agreement_type", "Managed Service");
  out.sink.marker = optional_string(s, "marker", "meterbridge");
  if (out.sink.marker.size() > 20 || out.sink.marker.find(']') != std::string::npos)
    throw meterbridge::config_error("setting 'marker' must be at most 20 characters without ']'");
  out.summary.delivery = optional_string(s, "summary_delivery", "ticket");
  if (out.summary.delivery != "ticket" && out.summary.delivery != "management_report")
    throw meterbridge::config_error(
        "setting 'summary_delivery' must be \"ticket\" or \"management_report\"");
  out.summary.board = optional_string(s, "summary_board", "Help Desk");
  if (s.contains("page_size")) {
    const json& p = s["page_size"];
    if (!p.is_number_integer() || p.get<int64_t>() < 1 || p.get<int64_t>() > 1000)
      throw meterbridge::config_error("setting 'page_size' must be an integer from 1 to 1000");
    out.client.page_size = p.get<int>();
  }
  return out;
}

std::string string_field(const json& o, const char* key) {
  if (!o.is_object() || !o.contains(key) || !o[key].is_string()) return {};
  return o[key].get<std::string>();
}

std::string ref_name(const json& o, const char* key) {
  return o.is_object() && o.contains(key) ? string_field(o[key], "name") : std::string();
}

meterbridge::Error invalid(const std::string& m) {
  return meterbridge::Error(MB_E_INVALID_ARGUMENT, m);
}

std::string request_string(const json& r, const char* key) {
  if (!r.is_object() || !r.contains(key)) throw invalid(std::string("missing field '") + key + "'");
  const json& v = r[key];
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (!v.is_string() || v.get<std::string>().empty())
    throw invalid(std::string("field '") + key + "' must be a non-empty string");
  return v.get<std::string>();
}

// An item of an answer that is not a JSON object is a broken answer (transient), not a bug here.
const json& object_item(const json& item, const std::string& what) {
  if (!item.is_object()) {
    throw meterbridge::transient_error("ConnectWise answered " + what +
                                       " with an item that is not a JSON object");
  }
  return item;
}

json product_summary(const json& answer, const std::string& what) {
  const json& item = object_item(answer, what);
  json out = {{"id", item.value("id", json(nullptr))},
              {"identifier", string_field(item, "identifier")},
              {"description", string_field(item, "description")},
              {"price", item.contains("price") ? item["price"] : json(nullptr)}};
  if (item.contains("inactiveFlag")) out["inactive"] = item["inactiveFlag"];
  return out;
}

}  // namespace

class ConnectWiseSink : public meterbridge::SinkPlugin {
 public:
  ConnectWiseSink(meterbridge::Host host, const json& settings)
      : ConnectWiseSink(host, parse_settings(settings)) {}

  static void validate_settings(const json& settings) { (void)parse_settings(settings); }

  json check() override {
    json info = client_.get("/system/info");
    client_.get("/company/companies", "pageSize=1");
    return {{"codebase", client_.codebase()},
            {"version", string_field(info, "version")},
            {"site_url", client_.settings().site_url},
            {"company_id", client_.settings().company_id}};
  }

  json discover() override {
    json companies = json::array();
    for (const json& c : client_.list("/company/companies", "deletedFlag=false")) {
      if (!c.contains("id") || !c["id"].is_number_integer()) continue;
      companies.push_back(
          {{"id", std::to_string(c["id"].get<int64_t>())}, {"name", string_field(c, "name")}});
    }
    json lines = json::array();
    for (const json& p :
         client_.list("/procurement/catalog", "inactiveFlag=false and productClass!=\"Bundle\"")) {
      std::string id = string_field(p, "identifier");
      if (id.empty()) continue;
      json line = {{"id", id}, {"name", string_field(p, "description")}};
      if (p.contains("price") && p["price"].is_number()) line["unit_price"] = p["price"];
      lines.push_back(std::move(line));
    }
    return {{"companies", std::move(companies)},
            {"lines", std::move(lines)},
            {"quantity_model", "absolute"}};
  }

  json read(const json& lines) override { return sink_.read(lines); }
  json apply(const json& lines) override { return sink_.apply(lines); }

  json invoke(const std::string& op, const json& request) override {
    if (op == "verify_company") return verify_company(request);
    if (op == "agreements") return agreements(request);
    if (op == "search_catalog") return search_catalog(request);
    if (op == "create_product") return create_product(request);
    if (op == "edit_product") return edit_product(request);
    if (op == "post_summary") return summaries_.post(request);
    if (op == "remove_duplicates") {
      if (!request.contains("lines") || !request["lines"].is_array()) {
        throw meterbridge::Error(MB_E_INVALID_ARGUMENT, "remove_duplicates needs an array 'lines'");
      }
      return {{"schema", "psa-duplicates.v1"},
              {"lines", sink_.remove_duplicates(request["lines"])}};
    }
    return meterbridge::SinkPlugin::invoke(op, request);
  }

 private:
  ConnectWiseSink(meterbridge::Host host, Settings settings)
      : client_(host, std::move(settings.client)),
        sink_settings_(settings.sink),
        sink_(host, client_, settings.sink),
        summaries_(host, client_, settings.summary) {}

  json verify_company(const json& r) {
    const std::string id = request_string(r, "company_id");
    std::optional<json> found;
    if (is_numeric_id(id)) {
      found = client_.get_optional("/company/companies/" + id);
    } else {
      std::vector<json> hits = client_.list("/company/companies", "identifier=" + quote(id), 1);
      if (!hits.empty()) found = std::move(hits.front());
    }
    if (found && !found->is_object()) {
      throw meterbridge::transient_error("ConnectWise answered the company lookup of '" + id +
                                         "' with JSON that is not an object");
    }
    // Fields of the wrong type count as absent: a number too large for int64 would be undefined
    // behaviour to convert, and a deletedFlag that is no boolean says nothing.
    if (!found || (found->contains("deletedFlag") && (*found)["deletedFlag"] == true)) {
      return {{"exists", false}, {"id", id}};
    }
    const json& found_id = found->contains("id") ? (*found)["id"] : json();
    return {{"exists", true},
            {"id", found_id.is_number_integer() ? std::to_string(found_id.get<int64_t>()) : id},
            {"name", string_field(*found, "name")},
            {"identifier", string_field(*found, "identifier")}};
  }

  json agreements(const json& r) {
    const std::string id = request_string(r, "company_id");
    if (!is_numeric_id(id)) throw invalid("company_id '" + id + "' is not a numeric id");
    json list = json::array();
    std::vector<json> all = client_.list("/finance/agreements", "company/id=" + id);
    // The default: the single active agreement of the configured type, else of the usual
    // managed-services types.
    std::optional<size_t> chosen;
    for (const std::set<std::string>& types :
         {std::set<std::string>{sink_settings_.agreement_type},
          std::set<std::string>{"Managed Service", "TMRM management solution"}}) {
      std::vector<size_t> hits;
      for (size_t i = 0; i < all.size(); ++i) {
        if (string_field(all[i], "agreementStatus") == "Active" &&
            types.count(ref_name(all[i], "type")))
          hits.push_back(i);
      }
      if (!hits.empty()) {
        if (hits.size() == 1) chosen = hits.front();
        break;
      }
    }
    for (size_t i = 0; i < all.size(); ++i) {
      const json& a = object_item(all[i], "GET /finance/agreements");
      list.push_back({{"id", a.value("id", json(nullptr))},
                      {"name", string_field(a, "name")},
                      {"type", ref_name(a, "type")},
                      {"status", string_field(a, "agreementStatus")},
                      {"default", chosen && *chosen == i}});
    }
    return {{"agreements", std::move(list)}};
  }

  json search_catalog(const json& r) {
    const std::string text = r.is_object() && r.contains("text") && r["text"].is_string()
                                 ? r["text"].get<std::string>()
                                 : std::string();
    if (text.size() < 2) throw invalid("search_catalog needs a 'text' of at least 2 characters");
    json items = json::array();
    for (const json& p : client_.list(
             "/procurement/catalog",
             "identifier contains " + quote(text) + " or description contains " + quote(text),
             200)) {
      items.push_back(product_summary(p, "GET /procurement/catalog"));
    }
    return {{"items", std::move(items)}};
  }

  json create_product(const json& r) {
    json body = r.is_object() ? r : json::object();
    body["identifier"] = request_string(r, "identifier");
    body["description"] = request_string(r, "description");
    if (!r.contains("price") || !r["price"].is_number() || r["price"].get<double>() < 0)
      throw invalid("create_product needs a non-negative number 'price'");
    if (!body.contains("customerDescription")) body["customerDescription"] = body["description"];
    // A refusal (4xx) is MB_E_INVALID_ARGUMENT with ConnectWise's message.
    return product_summary(client_.post("/procurement/catalog", body), "POST /procurement/catalog");
  }

  json edit_product(const json& r) {
    const std::string id = request_string(r, "id");
    if (!is_numeric_id(id)) throw invalid("edit_product 'id' must be a numeric catalog id");
    if (!r.contains("fields") || !r["fields"].is_object() || r["fields"].empty())
      throw invalid("edit_product needs a non-empty object 'fields'");
    json ops = json::array();
    for (const auto& [key, value] : r["fields"].items()) {
      if (key == "id" || key == "_info") throw invalid("field '" + key + "' cannot be edited");
      ops.push_back({{"op", "replace"}, {"path", key}, {"value", value}});
    }
    return product_summary(client_.patch("/procurement/catalog/" + id, ops),
                           "PATCH /procurement/catalog/" + id);
  }

  Client client_;
  SinkSettings sink_settings_;
  Sink sink_;
  Summaries summaries_;
};

}  // namespace connectwise_manage

MB_PLUGIN(connectwise_manage::ConnectWiseSink,
          "ConnectWise PSA (Manage): billed quantities on agreement additions",
          connectwise_manage::kSchema)
