// Fuzzes connectwise-manage's handling of ConnectWise PSA answers: company info (codebase),
// system info, companies, agreements, additions, catalog, and the answers to its POSTs and
// PATCHes, with their status and headers (Link paging included). The plugin runs through its
// entry point as the host runs it (the SDK's FakeHost and PluginHarness); the input is one
// endpoint's answer (canned_answer.hpp), the other endpoints answer a canned, consistent world
// (company 250 with one Managed Service agreement, owned and unowned additions, a catalog), and
// the operations that reach that endpoint run in turn (of check, discover, read, apply with an
// update, a create, a cancel and a refused company, verify_company, agreements, search_catalog,
// create_product, edit_product). A status that names the server's fault is fine; a crash, an
// ASan or UBSan report, MB_E_INTERNAL (an exception the plugin did not expect: a bug, whatever the
// server sends) or a read or apply answer of the wrong shape is not.
//
// Endpoints: companyinfo, system_info, companies, company, agreements, additions, addition_post,
// addition_patch, catalog, catalog_post, catalog_patch.
#include <meterbridge/testing.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "canned_answer.hpp"

extern "C" mb_status meterbridge_plugin_entry(const mb_host_version*, const mb_plugin_api**);

namespace {

using meterbridge::HttpRequest;
using meterbridge::HttpResponse;
using meterbridge::json;

const std::string kSite = "https://cw.fuzz";
const std::string kApi = kSite + "/v4_6_release/apis/3.0";
constexpr int kMaxRequests = 64;  // per input: a paging loop ends here

bool has_prefix(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

std::string endpoint_of(const HttpRequest& r) {
  if (r.url.find("/login/companyinfo/") != std::string::npos) return "companyinfo";
  if (!has_prefix(r.url, kApi)) return "";
  std::string path = r.url.substr(kApi.size());
  path = path.substr(0, path.find('?'));
  if (path == "/system/info") return "system_info";
  if (path == "/company/companies") return "companies";
  if (has_prefix(path, "/company/companies/")) return "company";
  if (has_prefix(path, "/finance/agreements/") && path.find("/additions") != std::string::npos) {
    if (r.method == "POST") return "addition_post";
    if (r.method == "PATCH") return "addition_patch";
    return "additions";
  }
  if (path == "/finance/agreements") return "agreements";
  if (has_prefix(path, "/procurement/catalog")) {
    if (r.method == "POST") return "catalog_post";
    if (r.method == "PATCH") return "catalog_patch";
    return "catalog";
  }
  return "";
}

json addition(int64_t id, const char* product, double quantity, const std::string& description) {
  return {{"id", id},
          {"agreementId", 500},
          {"product", {{"identifier", product}}},
          {"quantity", quantity},
          {"billCustomer", "Billable"},
          {"effectiveDate", "2025-11-01T00:00:00Z"},
          {"invoiceDescription", description}};
}

json catalog_item(int64_t id, const char* identifier, const char* description, double price) {
  return {{"id", id},
          {"identifier", identifier},
          {"description", description},
          {"price", price},
          {"inactiveFlag", false}};
}

HttpResponse make_canned(const std::string& endpoint) {
  const json company = {{"id", 250}, {"identifier", "AcmeMfg"}, {"name", "Acme Manufacturing"}};
  if (endpoint == "companyinfo") {
    return fuzz::json_answer(200, {{"Codebase", "v4_6_release/"}, {"CompanyID", "msp"}});
  }
  if (endpoint == "system_info") return fuzz::json_answer(200, {{"version", "v2025.1"}});
  if (endpoint == "companies") return fuzz::json_answer(200, json::array({company}));
  if (endpoint == "company") return fuzz::json_answer(200, company);
  if (endpoint == "agreements") {
    return fuzz::json_answer(200, json::array({{{"id", 500},
                                                {"name", "Acme Managed Services"},
                                                {"type", {{"id", 1}, {"name", "Managed Service"}}},
                                                {"company", {{"id", 250}}},
                                                {"agreementStatus", "Active"}}}));
  }
  if (endpoint == "additions") {
    return fuzz::json_answer(200,
                             json::array({addition(9001, "CSMG", 5, "[meterbridge] Sophos Central"),
                                          addition(9002, "MDR", 1, "[meterbridge] Sophos MDR"),
                                          addition(9003, "BACKUP", 2, "Server backup (manual)")}));
  }
  if (endpoint == "addition_post") {
    return fuzz::json_answer(201, addition(9004, "XDR", 3, "[meterbridge] Sophos XDR"));
  }
  if (endpoint == "addition_patch") {
    return fuzz::json_answer(200, addition(9001, "CSMG", 7, "[meterbridge] Sophos Central"));
  }
  if (endpoint == "catalog") {
    return fuzz::json_answer(200, json::array({catalog_item(101, "CSMG", "Sophos Central", 3.5),
                                               catalog_item(102, "XDR", "Sophos XDR", 5)}));
  }
  if (endpoint == "catalog_post") return fuzz::json_answer(201, catalog_item(103, "NEW", "New", 1));
  if (endpoint == "catalog_patch") {
    return fuzz::json_answer(200, catalog_item(101, "CSMG", "Sophos Central", 4));
  }
  return fuzz::json_answer(404, {{"code", "NotFound"}, {"message", "no route"}});
}

const HttpResponse& canned(const std::string& endpoint) {
  static const std::map<std::string, HttpResponse> answers = [] {
    std::map<std::string, HttpResponse> m;
    for (const char* e :
         {"companyinfo", "system_info", "companies", "company", "agreements", "additions",
          "addition_post", "addition_patch", "catalog", "catalog_post", "catalog_patch", ""})
      m[e] = make_canned(e);
    return m;
  }();
  auto it = answers.find(endpoint);
  return it != answers.end() ? it->second : answers.at("");
}

// The operations that send a request to each endpoint.
const std::map<std::string, std::vector<std::string>>& operations() {
  static const std::map<std::string, std::vector<std::string>> ops = {
      {"companyinfo", {"check"}},
      {"system_info", {"check"}},
      {"companies", {"check", "discover", "verify_name"}},
      {"company", {"verify_id"}},
      {"agreements", {"read", "apply", "agreements"}},
      {"additions", {"read", "apply"}},
      {"addition_post", {"apply"}},
      {"addition_patch", {"apply"}},
      {"catalog", {"discover", "apply", "search_catalog"}},
      {"catalog_post", {"create_product"}},
      {"catalog_patch", {"edit_product"}}};
  return ops;
}

json line(const char* key, const char* company, const char* product, double quantity) {
  return {{"key", key},           {"company_id", company},        {"line_id", product},
          {"quantity", quantity}, {"expected_quantity", nullptr}, {"effective_date", "2025-12-01"},
          {"period", "2025-12"}};
}

// A successful read or apply answers one line per requested line, each with its key.
void check_lines(const meterbridge::testing::Outcome& o, const json& lines) {
  if (!o.ok()) return;
  fuzz::require(o.answer.contains("lines") && o.answer["lines"].is_array(), "answers lines");
  fuzz::require(o.answer["lines"].size() == lines.size(), "answers one line per line asked");
  for (size_t i = 0; i < lines.size(); ++i) {
    fuzz::require(o.answer["lines"][i].is_object() &&
                      o.answer["lines"][i].value("key", json()) == lines[i]["key"],
                  "each answered line carries its key");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = fuzz::parse_canned_answer({reinterpret_cast<const char*>(data), size});
  if (!input || !operations().count(input->endpoint)) return -1;  // not worth keeping

  meterbridge::testing::FakeHost host;
  host.secrets["private_key"] = "fuzz-private-key";
  int requests = 0;
  host.http_handler = [&](const HttpRequest& r) -> HttpResponse {
    if (++requests > kMaxRequests) throw meterbridge::transient_error("fuzz: request budget spent");
    const std::string endpoint = endpoint_of(r);
    return endpoint == input->endpoint ? input->response : canned(endpoint);
  };
  meterbridge::testing::PluginHarness plugin(meterbridge_plugin_entry, host);
  const json settings = {{"site_url", kSite},          {"company_id", "msp"},
                         {"public_key", "pub"},        {"private_key", "${env:CW_PRIVATE_KEY}"},
                         {"client_id", "fuzz-client"}, {"page_size", 2}};
  fuzz::require(plugin.create(settings).ok(), "the plugin takes the settings");

  static const json lines = {line("update", "250", "CSMG", 7), line("create", "250", "XDR", 3),
                             line("cancel", "250", "MDR", 0), line("unowned", "250", "BACKUP", 4),
                             line("refused", "Acme", "CSMG", 1)};
  for (const std::string& op : operations().at(input->endpoint)) {
    meterbridge::testing::Outcome o;
    if (op == "check") {
      o = plugin.check();
    } else if (op == "read" || op == "apply") {
      o = plugin.invoke(op, {{"lines", lines}});
      check_lines(o, lines);
    } else if (op == "verify_id") {
      o = plugin.invoke("verify_company", {{"company_id", "250"}});
    } else if (op == "verify_name") {
      o = plugin.invoke("verify_company", {{"company_id", "AcmeMfg"}});
    } else if (op == "agreements") {
      o = plugin.invoke(op, {{"company_id", "250"}});
    } else if (op == "search_catalog") {
      o = plugin.invoke(op, {{"text", "CS"}});
    } else if (op == "create_product") {
      o = plugin.invoke(op, {{"identifier", "NEW"}, {"description", "New"}, {"price", 1}});
    } else if (op == "edit_product") {
      o = plugin.invoke(op, {{"id", "101"}, {"fields", {{"price", 4}}}});
    } else {
      o = plugin.invoke(op);
    }
    if (o.status == MB_E_INTERNAL) std::fprintf(stderr, "%s: %s\n", op.c_str(), o.message.c_str());
    fuzz::require(o.status != MB_E_INTERNAL, "no server answer makes the plugin fail internally");
  }
  return 0;
}
