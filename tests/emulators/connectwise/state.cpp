#include "state.hpp"

#include <chrono>
#include <ctime>
#include <fstream>
#include <set>
#include <stdexcept>

#include "records.hpp"

namespace cw_emu {

namespace {

std::string required_string(const nlohmann::json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_string() ||
      obj[key].get<std::string>().empty())
    throw std::runtime_error(where + ": \"" + key + "\" must be a non-empty string");
  return obj[key].get<std::string>();
}

long long required_id(const nlohmann::json& obj, const std::string& where) {
  if (!obj.is_object() || !obj.contains("id") || !obj["id"].is_number_integer() ||
      obj["id"].get<long long>() < 1)
    throw std::runtime_error(where + ": \"id\" must be a positive integer");
  return obj["id"].get<long long>();
}

nlohmann::json array_of(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) return nlohmann::json::array();
  if (!j[key].is_array())
    throw std::runtime_error(std::string("seed.") + key + " must be an array");
  return j[key];
}

// Checks every element has a unique positive id.
void unique_ids(const nlohmann::json& arr, const std::string& where) {
  std::set<long long> ids;
  for (const auto& o : arr)
    if (!ids.insert(required_id(o, where)).second)
      throw std::runtime_error(where + ": duplicate id " + o["id"].dump());
}

// The fields a real AgreementType carries (Jetbuilt/connect_wise docs/AgreementType.md; the
// values are the ConnectWise defaults of a new type, our choice where the spec names none).
nlohmann::json agreement_type_defaults() {
  return {{"defaultFlag", false},
          {"inactiveFlag", false},
          {"prePaymentFlag", false},
          {"employeeCompRate", "Actual"},
          {"employeeCompNotExceed", "Billing"},
          {"invoicingCycle", "CalendarYear"},
          {"billTime", "Billable"},
          {"billExpenses", "Billable"},
          {"billProducts", "Billable"},
          {"applicationUnits", "Amount"},
          {"applicationUnlimitedFlag", false},
          {"oneTimeFlag", false},
          {"coverAgreementTimeFlag", false},
          {"coverAgreementProductFlag", false},
          {"coverAgreementExpenseFlag", false},
          {"coverSalesTaxFlag", false},
          {"chargeToFirmFlag", false},
          {"taxableFlag", false},
          {"prorateFlag", false},
          {"autoInvoiceFlag", false}};
}

// A real Board's required and common fields (docs/Board.md); location/department are ours.
nlohmann::json board_defaults() {
  return {{"inactiveFlag", false},
          {"projectFlag", false},
          {"location", {{"id", 2}, {"name", "Main Office"}}},
          {"department", {{"id", 10}, {"name", "Service"}}},
          {"billTime", "Billable"},
          {"billExpense", "Billable"},
          {"billProduct", "Billable"}};
}

}  // namespace

nlohmann::json company_reference(const std::string& base_url, const nlohmann::json& company) {
  return reference(
      base_url, "company", "/company/companies/" + company["id"].dump(),
      {{"id", company["id"]}, {"identifier", company["identifier"]}, {"name", company["name"]}});
}

std::string now_iso8601() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string today() {
  return now_iso8601().substr(0, 10);
}

std::string base64(const std::string& in) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(tbl[(n >> s) & 63]);
  }
  if (i < in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(tbl[(n >> 18) & 63]);
    out.push_back(tbl[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? tbl[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

nlohmann::json reference(const std::string& base_url, const std::string& kind,
                         const std::string& path, nlohmann::json fields) {
  fields["_info"] = {{kind + "_href", base_url + "/v4_6_release/apis/3.0" + path}};
  return fields;
}

Seed parse_seed(const nlohmann::json& j) {
  if (!j.is_object()) throw std::runtime_error("seed: top level must be an object");
  Seed s;
  s.company_id = required_string(j, "company_id", "seed");
  s.public_key = required_string(j, "public_key", "seed");
  s.private_key = required_string(j, "private_key", "seed");
  if (j.contains("company_name") && j["company_name"].is_string())
    s.company_name = j["company_name"].get<std::string>();
  for (const auto& c : array_of(j, "client_ids")) {
    if (!c.is_string() || c.get<std::string>().empty())
      throw std::runtime_error("seed.client_ids: entries must be non-empty strings");
    s.client_ids.push_back(c.get<std::string>());
  }
  if (s.client_ids.empty()) throw std::runtime_error("seed.client_ids must not be empty");

  s.companies = array_of(j, "companies");
  unique_ids(s.companies, "seed.companies[]");
  for (const auto& c : s.companies) {
    required_string(c, "identifier", "seed.companies[" + c["id"].dump() + "]");
    required_string(c, "name", "seed.companies[" + c["id"].dump() + "]");
  }
  s.agreement_types = array_of(j, "agreement_types");
  unique_ids(s.agreement_types, "seed.agreement_types[]");
  for (const auto& t : s.agreement_types) required_string(t, "name", "seed.agreement_types[]");
  s.agreements = array_of(j, "agreements");
  unique_ids(s.agreements, "seed.agreements[]");
  for (const auto& a : s.agreements) {
    const std::string where = "seed.agreements[" + a["id"].dump() + "]";
    required_string(a, "name", where);
    if (!a.contains("company") || !find_by_id(s.companies, required_id(a["company"], where)))
      throw std::runtime_error(where + ": company.id must be a seeded company");
    if (!a.contains("type") || !find_by_id(s.agreement_types, required_id(a["type"], where)))
      throw std::runtime_error(where + ": type.id must be a seeded agreement type");
  }
  s.boards = j.contains("boards") ? array_of(j, "boards")
                                  : nlohmann::json::array({{{"id", 1}, {"name", "Help Desk"}}});
  unique_ids(s.boards, "seed.boards[]");
  for (const auto& b : s.boards) required_string(b, "name", "seed.boards[" + b["id"].dump() + "]");
  s.catalog = array_of(j, "catalog");
  s.additions = array_of(j, "additions");
  unique_ids(s.catalog, "seed.catalog[]");
  unique_ids(s.additions, "seed.additions[]");
  return s;
}

Seed load_seed(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open seed file " + path);
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("seed file " + path + " is not valid JSON: " + e.what());
  }
  return parse_seed(j);
}

State::State(Seed seed, std::string base_url)
    : seed_(std::move(seed)), base_url_(std::move(base_url)) {
  const std::string stamp = now_iso8601();
  auto info = [&](nlohmann::json& o) {
    o["_info"] = {{"lastUpdated", stamp}, {"updatedBy", "seed"}};
  };
  data_.companies = seed_.companies;
  for (auto& c : data_.companies) {
    if (!c.contains("deletedFlag")) c["deletedFlag"] = false;
    if (!c.contains("status")) c["status"] = {{"id", 1}, {"name", "Active"}};
    info(c);
  }
  data_.agreement_types = nlohmann::json::array();
  for (const auto& t : seed_.agreement_types) {
    nlohmann::json full = agreement_type_defaults();
    full.update(t);  // the seed's own values win
    info(full);
    data_.agreement_types.push_back(std::move(full));
  }
  data_.boards = nlohmann::json::array();
  for (const auto& b : seed_.boards) {
    nlohmann::json full = board_defaults();
    full.update(b);
    info(full);
    data_.boards.push_back(std::move(full));
  }
  data_.tickets = nlohmann::json::array();
  data_.management_reports = nlohmann::json::array();
  data_.agreements = seed_.agreements;
  for (auto& a : data_.agreements) {
    const auto* c = find_by_id(data_.companies, a["company"]["id"].get<long long>());
    a["company"] = company_reference(base_url_, *c);
    const auto* t = find_by_id(data_.agreement_types, a["type"]["id"].get<long long>());
    a["type"] = reference(base_url_, "type", "/finance/agreements/types/" + (*t)["id"].dump(),
                          {{"id", (*t)["id"]}, {"name", (*t)["name"]}});
    if (!a.contains("agreementStatus")) a["agreementStatus"] = "Active";
    if (!a.contains("cancelledFlag")) a["cancelledFlag"] = a["agreementStatus"] == "Cancelled";
    info(a);
  }
  for (const auto& c : seed_.catalog) {
    nlohmann::json item;
    if (auto e = build_catalog_item(data_, c, c["id"].get<long long>(), item))
      throw std::runtime_error("seed.catalog[" + c["id"].dump() + "]: " + e->message);
    item["id"] = c["id"];
    info(item);
    data_.catalog.push_back(std::move(item));
    data_.next_catalog_id = std::max(data_.next_catalog_id, c["id"].get<long long>() + 1);
  }
  if (data_.catalog.is_null()) data_.catalog = nlohmann::json::array();
  data_.additions = nlohmann::json::array();
  for (const auto& a : seed_.additions) {
    const std::string where = "seed.additions[" + a["id"].dump() + "]";
    if (!a.contains("agreementId") || !a["agreementId"].is_number_integer())
      throw std::runtime_error(where + ": agreementId must be an integer");
    const auto* agreement = find_by_id(data_.agreements, a["agreementId"].get<long long>());
    if (!agreement) throw std::runtime_error(where + ": agreementId is not a seeded agreement");
    nlohmann::json add;
    if (auto e = build_addition(data_, *agreement, a, add))
      throw std::runtime_error(where + ": " + e->field + ": " + e->message);
    add["id"] = a["id"];
    info(add);
    data_.additions.push_back(std::move(add));
    data_.next_addition_id = std::max(data_.next_addition_id, a["id"].get<long long>() + 1);
  }
}

nlohmann::json State::state_json() {
  nlohmann::json out = {{"base_url", base_url_},
                        {"company_id", seed_.company_id},
                        {"public_key", seed_.public_key},
                        {"client_ids", seed_.client_ids}};
  {
    std::lock_guard<std::mutex> lock(data_mutex_);
    out["companies"] = data_.companies.size();
    out["agreements"] = data_.agreements.size();
    out["catalog"] = data_.catalog;
    out["additions"] = data_.additions;
    out["boards"] = data_.boards;
    out["tickets"] = data_.tickets;
    out["ticket_notes"] = data_.ticket_notes;
    out["management_reports"] = data_.management_reports;
  }
  return out;  // the fault control adds faults and requests_logged
}

}  // namespace cw_emu
