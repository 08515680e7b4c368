// autotask: setup operations. See at_setup.hpp.
#include "at_setup.hpp"

namespace autotask {
namespace {

meterbridge::Error invalid(const std::string& m) {
  return meterbridge::Error(MB_E_INVALID_ARGUMENT, m);
}

std::string request_id(const json& r, const char* key) {
  if (!r.is_object() || !r.contains(key)) throw invalid(std::string("missing field '") + key + "'");
  const json& v = r[key];
  std::string text = v.is_number_integer() ? std::to_string(v.get<int64_t>())
                     : v.is_string()       ? v.get<std::string>()
                                           : std::string();
  if (text.empty() || text.size() > 12 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    throw invalid(std::string("field '") + key + "' must be an Autotask id (a number)");
  }
  return text;
}

json field(const json& item, const char* key) {
  return item.is_object() && item.contains(key) ? item[key] : json(nullptr);
}

json summary_of(const json& item) {
  const json id = field(item, "id");
  return {{"id", id},
          {"identifier", id.is_number_integer() ? json(std::to_string(id.get<int64_t>())) : id},
          {"description", field(item, "name")},
          {"price", field(item, "unitPrice")},
          {"inactive", field(item, "isActive") == json(false)}};
}

}  // namespace

json Setup::verify_company(const json& r) {
  const std::string id = request_id(r, "company_id");
  std::optional<json> found = client_.get_optional("/Companies/" + id);
  const json item = found ? found->value("item", json()) : json();
  if (!item.is_object()) return {{"exists", false}, {"id", id}};
  return {{"exists", true},
          {"id", id},
          {"name", field(item, "companyName")},
          {"identifier", field(item, "companyNumber")},
          {"type", field(item, "companyType")},
          {"active", field(item, "isActive")}};
}

json Setup::contracts(const json& r) {
  const std::string id = request_id(r, "company_id");
  Query q;
  q.entity = "Contracts";
  q.filter = json::array({{{"op", "eq"}, {"field", "companyID"}, {"value", std::stoll(id)}}});
  std::vector<Contract> all;
  for (const json& item : client_.query(q)) all.push_back(contract_from(item));
  const std::string day = utc_text(host_.now_unix_ms(), "%Y-%m-%d");
  const auto candidates = billing_candidates(all, settings_, day, day);
  json list = json::array();
  for (const Contract& c : all) {
    list.push_back({{"id", c.id},
                    {"name", c.name},
                    {"type", c.type == 7 ? "Recurring Service" : "type " + std::to_string(c.type)},
                    {"status", c.status == 1 ? "Active" : "status " + std::to_string(c.status)},
                    {"start", c.start},
                    {"end", c.end},
                    {"category", c.category ? json(*c.category) : json(nullptr)},
                    {"default", candidates.size() == 1 && candidates.front()->id == c.id}});
  }
  return {{"contracts", std::move(list)}};
}

json Setup::search_services(const json& r) {
  const std::string text = r.is_object() && r.contains("text") && r["text"].is_string()
                               ? r["text"].get<std::string>()
                               : std::string();
  if (text.size() < 2) throw invalid("search_services needs a 'text' of at least 2 characters");
  Query q;
  q.entity = "Services";
  q.filter =
      json::array({{{"op", "or"},
                    {"items",
                     {{{"op", "contains"}, {"field", "name"}, {"value", text}},
                      {{"op", "contains"}, {"field", "invoiceDescription"}, {"value", text}}}}}});
  q.max_items = 200;
  json items = json::array();
  for (const json& s : client_.query(q)) items.push_back(summary_of(s));
  return {{"items", std::move(items)}};
}

json Setup::service_item(int64_t id) {
  json answer = client_.get("/Services/" + std::to_string(id));
  return summary_of(answer.value("item", json::object()));
}

template <class F>
json Setup::write(F&& f) {
  // A refusal (4xx, or a 500 with a validation message) is MB_E_INVALID_ARGUMENT already.
  const json answer = f();
  if (!answer.contains("itemId") || !answer["itemId"].is_number_integer()) {
    throw meterbridge::transient_error("Autotask answered the write without an itemId");
  }
  return service_item(answer["itemId"].get<int64_t>());
}

json Setup::create_service(const json& r) {
  json body = r.is_object() ? r : json::object();
  if (!body.contains("name") || !body["name"].is_string() ||
      body["name"].get<std::string>().empty())
    throw invalid("create_service needs a non-empty 'name'");
  if (!body.contains("price") || !body["price"].is_number() || body["price"].get<double>() < 0)
    throw invalid("create_service needs a non-negative number 'price'");
  body["unitPrice"] = body["price"];
  body.erase("price");
  if (body.contains("id")) throw invalid("create_service: 'id' is chosen by Autotask");
  return write([&] { return client_.post("/Services", body); });
}

json Setup::edit_service(const json& r) {
  const std::string id = request_id(r, "id");
  if (!r.contains("fields") || !r["fields"].is_object() || r["fields"].empty())
    throw invalid("edit_service needs a non-empty object 'fields'");
  json body = r["fields"];
  if (body.contains("id")) throw invalid("field 'id' cannot be edited");
  if (body.contains("price")) {
    body["unitPrice"] = body["price"];
    body.erase("price");
  }
  body["id"] = std::stoll(id);
  return write([&] { return client_.patch("/Services", body); });
}

}  // namespace autotask
