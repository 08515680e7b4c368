#include "records.hpp"

#include <cctype>
#include <set>

namespace cw_emu {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool digits(const std::string& s, std::size_t from, std::size_t n) {
  for (std::size_t i = from; i < from + n; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

FieldError invalid(const std::string& field, const std::string& message) {
  return {"InvalidField", field, message};
}

const std::set<std::string> kBillCustomer = {"Billable", "DoNotBill", "NoCharge"};
const std::set<std::string> kProductClass = {"Agreement", "Bundle", "Inventory", "NonInventory",
                                             "Service"};

}  // namespace

std::size_t text_length(const std::string& s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte
    n += c >= 0xF0 ? 2 : 1;            // outside the BMP: a surrogate pair in .NET
  }
  return n;
}

std::optional<FieldError> check_length(const nlohmann::json& in, const char* key,
                                       std::size_t max_len) {
  if (!in.contains(key) || !in[key].is_string()) return std::nullopt;
  if (text_length(in[key].get<std::string>()) > max_len)
    return FieldError{
        "InvalidField", key,
        std::string(key) + " is longer than " + std::to_string(max_len) + " characters"};
  return std::nullopt;
}

namespace {

// An optional string field with a maximum length.
std::optional<FieldError> copy_string(const nlohmann::json& in, nlohmann::json& out,
                                      const char* key, std::size_t max_len) {
  if (!in.contains(key) || in[key].is_null()) return std::nullopt;
  if (!in[key].is_string()) return invalid(key, std::string(key) + " must be a string");
  if (auto e = check_length(in, key, max_len)) return e;
  out[key] = in[key];
  return std::nullopt;
}

std::optional<FieldError> copy_number(const nlohmann::json& in, nlohmann::json& out,
                                      const char* key) {
  if (!in.contains(key) || in[key].is_null()) return std::nullopt;
  if (!in[key].is_number()) return invalid(key, std::string(key) + " must be a number");
  out[key] = in[key];
  return std::nullopt;
}

// A reference {id, name} whose id is an integer.
std::optional<FieldError> reference(const nlohmann::json& in, nlohmann::json& out, const char* key,
                                    bool required) {
  if (!in.contains(key) || in[key].is_null()) {
    if (required) return FieldError{"Required", key, std::string(key) + " is required"};
    return std::nullopt;
  }
  const auto& r = in[key];
  if (!r.is_object() || !r.contains("id") || !r["id"].is_number_integer())
    return invalid(key, std::string(key) + " must be an object with an integer id");
  out[key] = {{"id", r["id"]}, {"name", r.value("name", "")}};
  return std::nullopt;
}

}  // namespace

const nlohmann::json* find_by_id(const nlohmann::json& arr, long long id) {
  for (const auto& o : arr)
    if (o.contains("id") && o["id"].is_number_integer() && o["id"].get<long long>() == id)
      return &o;
  return nullptr;
}

std::optional<std::string> normalize_date(const nlohmann::json& v) {
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  if (s.size() != 10 && !(s.size() == 20 && s.compare(10, 10, "T00:00:00Z") == 0))
    return std::nullopt;
  if (!digits(s, 0, 4) || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' || !digits(s, 8, 2))
    return std::nullopt;
  const int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  return s.substr(0, 10) + "T00:00:00Z";
}

bool agreement_open(const nlohmann::json& agreement) {
  return agreement.value("agreementStatus", "Active") == "Active" &&
         !agreement.value("cancelledFlag", false);
}

std::optional<FieldError> build_addition(const Data& data, const nlohmann::json& agreement,
                                         const nlohmann::json& in, nlohmann::json& out) {
  if (!in.is_object()) return invalid("addition", "body must be a JSON object");
  out = nlohmann::json::object();

  // product {id} or {identifier}: must exist, be active and not a Bundle.
  if (!in.contains("product") || !in["product"].is_object())
    return FieldError{"Required", "product", "product {id or identifier} is required"};
  const auto& p = in["product"];
  const nlohmann::json* item = nullptr;
  if (p.contains("id") && !p["id"].is_null()) {
    if (!p["id"].is_number_integer()) return invalid("product", "product/id must be an integer");
    item = find_by_id(data.catalog, p["id"].get<long long>());
  }
  if (p.contains("identifier") && !p["identifier"].is_null()) {
    if (!p["identifier"].is_string()) return invalid("product", "product/identifier: string");
    const nlohmann::json* by_ident = nullptr;
    for (const auto& c : data.catalog)
      if (lower(c["identifier"].get<std::string>()) == lower(p["identifier"].get<std::string>()))
        by_ident = &c;
    if (item && by_ident != item)
      return invalid("product", "product/id and product/identifier name different items");
    item = by_ident;
  } else if (!p.contains("id") || p["id"].is_null()) {
    return FieldError{"Required", "product", "product needs an id or an identifier"};
  }
  if (!item) return invalid("product", "product not found in the catalog");
  if (item->value("productClass", "") == "Bundle")
    return invalid("product", "a Bundle product cannot be added to an agreement");
  if (item->value("inactiveFlag", false))
    return invalid("product",
                   "product " + (*item)["identifier"].get<std::string>() + " is inactive");
  // IvItemReference has no description (Jetbuilt/connect_wise docs/IvItemReference.md).
  out["product"] = {{"id", (*item)["id"]},
                    {"identifier", (*item)["identifier"]},
                    {"serializedFlag", item->value("serializedFlag", false)}};

  if (!in.contains("billCustomer") || !in["billCustomer"].is_string() ||
      !kBillCustomer.count(in["billCustomer"].get<std::string>()))
    return invalid("billCustomer", "billCustomer must be Billable, DoNotBill or NoCharge");
  out["billCustomer"] = in["billCustomer"];

  out["quantity"] = 0;
  if (in.contains("quantity") && !in["quantity"].is_null()) {
    if (!in["quantity"].is_number() || in["quantity"].get<double>() < 0)
      return invalid("quantity", "quantity must be a number >= 0");
    out["quantity"] = in["quantity"];
  }
  for (const char* k : {"lessIncluded", "unitPrice", "unitCost"})
    if (auto e = copy_number(in, out, k)) return e;
  if (!out.contains("unitPrice")) out["unitPrice"] = item->value("price", 0.0);
  if (!out.contains("unitCost")) out["unitCost"] = item->value("cost", 0.0);
  out["extPrice"] = out["quantity"].get<double>() * out["unitPrice"].get<double>();
  out["extCost"] = out["quantity"].get<double>() * out["unitCost"].get<double>();
  if (auto e = copy_string(in, out, "description", 6000)) return e;
  if (!out.contains("description")) out["description"] = (*item)["description"];
  if (auto e = copy_string(in, out, "invoiceDescription", 6000)) return e;
  if (auto e = copy_string(in, out, "serialNumber", 50)) return e;
  for (const char* k : {"taxableFlag", "purchaseItemFlag", "specialOrderFlag"}) {
    if (!in.contains(k) || in[k].is_null()) continue;
    if (!in[k].is_boolean()) return invalid(k, std::string(k) + " must be true or false");
    out[k] = in[k];
  }

  for (const char* k : {"effectiveDate", "cancelledDate"}) {
    if (!in.contains(k) || in[k].is_null()) continue;
    auto d = normalize_date(in[k]);
    if (!d) return invalid(k, std::string(k) + " must be YYYY-MM-DD or YYYY-MM-DDT00:00:00Z");
    out[k] = *d;
  }
  if (!out.contains("effectiveDate")) out["effectiveDate"] = today() + "T00:00:00Z";
  const bool cancelled = out.contains("cancelledDate") &&
                         out["cancelledDate"].get<std::string>().substr(0, 10) <= today();
  out["agreementStatus"] = cancelled ? "Cancelled" : agreement.value("agreementStatus", "Active");
  out["agreementId"] = agreement["id"];
  return std::nullopt;
}

std::optional<FieldError> build_catalog_item(const Data& data, const nlohmann::json& in,
                                             long long self_id, nlohmann::json& out) {
  if (!in.is_object()) return invalid("catalogItem", "body must be a JSON object");
  out = nlohmann::json::object();
  for (const char* k : {"identifier", "description", "customerDescription"}) {
    if (!in.contains(k) || !in[k].is_string() || in[k].get<std::string>().empty())
      return FieldError{"Required", k, std::string(k) + " is required"};
    out[k] = in[k];
  }
  // Published limits (CatalogItem, spec 2025): identifier 75, description 60, customer 6000.
  for (const auto& [key, max] : {std::pair<const char*, std::size_t>{"identifier", 75},
                                 {"description", 60},
                                 {"customerDescription", 6000}})
    if (auto e = check_length(out, key, max)) return e;
  for (const auto& c : data.catalog)
    if (c["id"].get<long long>() != self_id &&
        lower(c["identifier"].get<std::string>()) == lower(out["identifier"].get<std::string>()))
      return FieldError{
          "ObjectExists", "identifier",
          "A product with identifier " + out["identifier"].get<std::string>() + " already exists"};
  if (auto e = reference(in, out, "subcategory", true)) return e;
  if (auto e = reference(in, out, "type", true)) return e;
  if (auto e = reference(in, out, "unitOfMeasure", false)) return e;
  if (auto e = reference(in, out, "category", false)) return e;
  for (const char* k : {"price", "cost"}) {
    out[k] = 0.0;
    if (auto e = copy_number(in, out, k)) return e;
  }
  out["inactiveFlag"] = false;
  if (in.contains("inactiveFlag")) {
    if (!in["inactiveFlag"].is_boolean()) return invalid("inactiveFlag", "must be true or false");
    out["inactiveFlag"] = in["inactiveFlag"];
  }
  out["productClass"] = "NonInventory";
  if (in.contains("productClass")) {
    if (!in["productClass"].is_string() || !kProductClass.count(in["productClass"]))
      return invalid("productClass",
                     "productClass must be Agreement, Bundle, Inventory, NonInventory or Service");
    out["productClass"] = in["productClass"];
  }
  if (in.contains("recurringFlag") && in["recurringFlag"].is_boolean())
    out["recurringFlag"] = in["recurringFlag"];
  return std::nullopt;
}

std::optional<FieldError> apply_patch(const nlohmann::json& ops, nlohmann::json& target,
                                      const PatchFields& fields) {
  if (!ops.is_array())
    return invalid("patch", "PATCH body must be a JSON array of {op, path, value}");
  for (const auto& op : ops) {
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string() || !op.contains("path") ||
        !op["path"].is_string())
      return invalid("patch", "each operation needs string op and path");
    const std::string kind = lower(op["op"].get<std::string>());
    std::string path = op["path"].get<std::string>();
    if (path.empty()) return invalid("patch", "empty path");
    if (path[0] != '/') path = "/" + path;
    // ConnectWise refuses a patch of a field the object lacks or may not change, rather than
    // ignoring it: a client must learn that its write did nothing.
    const std::string top = path.substr(1, path.find('/', 1) - 1);
    if (fields.read_only.count(top))
      return invalid(top, top + " is read-only and cannot be changed");
    if (!fields.writable.count(top))
      return invalid(top, top + " is not a writable field of " + fields.resource);
    nlohmann::json::json_pointer ptr;
    try {
      ptr = nlohmann::json::json_pointer(path);
    } catch (const nlohmann::json::exception&) {
      return invalid(path, "bad path " + path);
    }
    if (kind == "replace" || kind == "add") {
      if (!op.contains("value")) return invalid(path, "operation " + kind + " needs a value");
      if (ptr.parent_pointer() != nlohmann::json::json_pointer() &&
          !target.contains(ptr.parent_pointer()))
        target[ptr.parent_pointer()] = nlohmann::json::object();
      // Replacing one key of a reference (product/identifier, board/id) names another object:
      // the reference's other keys (its old id or name) must not survive.
      if (path.find('/', 1) != std::string::npos) target[top] = nlohmann::json::object();
      target[ptr] = op["value"];
    } else if (kind == "remove") {
      if (target.contains(ptr)) target[ptr.parent_pointer()].erase(ptr.back());
    } else {
      return invalid("patch", "op must be replace, add or remove");
    }
  }
  return std::nullopt;
}

const PatchFields& addition_patch_fields() {
  static const PatchFields f{
      "addition",
      {"product", "billCustomer", "quantity", "lessIncluded", "unitPrice", "unitCost",
       "effectiveDate", "cancelledDate", "taxableFlag", "serialNumber", "invoiceDescription",
       "purchaseItemFlag", "specialOrderFlag", "description"},
      {"id", "_info", "agreementId", "agreementStatus", "extPrice", "extCost"}};
  return f;
}

const PatchFields& catalog_patch_fields() {
  static const PatchFields f{
      "catalogItem",
      {"identifier", "description", "customerDescription", "subcategory", "type", "unitOfMeasure",
       "category", "price", "cost", "inactiveFlag", "productClass", "recurringFlag"},
      {"id", "_info"}};
  return f;
}

}  // namespace cw_emu
