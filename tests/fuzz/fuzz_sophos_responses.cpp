// Fuzzes sophos-central's handling of Sophos Central answers: the token, whoami, tenants listing,
// one tenant, billing usage and licenses bodies, with their status and headers. The plugin runs
// through its entry point as the host runs it (the SDK's FakeHost and PluginHarness); the input
// is one endpoint's answer (canned_answer.hpp), the other endpoints answer canned valid bodies, and
// the operations that reach that endpoint run in turn, an hour apart so the token is refreshed.
// A status that names the server's fault (transient, auth, config, ...) is fine; a crash, an ASan
// or UBSan report, MB_E_INTERNAL (an exception the plugin did not expect: a bug, whatever the
// server sends) or a collect answer that breaks usage.v1 is not.
//
// Endpoints: token, whoami, tenants, tenant, usage, licenses.
#include <meterbridge/testing.hpp>

#include <cmath>
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

const std::string kBase = "https://sophos.fuzz";
const std::string kRegion = "https://api-eu02.sophos.fuzz";
constexpr int kMaxRequests = 64;  // per input: a paging loop ends here, not after 100,000 pages

std::string endpoint_of(const HttpRequest& r) {
  const std::string& u = r.url;
  if (u.rfind(kBase + "/oauth2/token", 0) == 0) return "token";
  if (u.find("/whoami/v1") != std::string::npos) return "whoami";
  if (u.find("/partner/v1/tenants/") != std::string::npos) return "tenant";
  if (u.find("/partner/v1/tenants") != std::string::npos) return "tenants";
  if (u.find("/partner/v1/billing/usage/") != std::string::npos) return "usage";
  if (u.find("/licenses/v1/licenses") != std::string::npos) return "licenses";
  return "";
}

json usage_item(const char* tenant, const char* sku, double quantity) {
  return {{"accountId", tenant},
          {"sku", sku},
          {"productCode", "PC-" + std::string(sku)},
          {"productDescription", "Product " + std::string(sku)},
          {"billableQuantity", quantity},
          {"actualQuantity", quantity + 1}};
}

HttpResponse make_canned(const std::string& endpoint) {
  if (endpoint == "token") {
    return fuzz::json_answer(
        200, {{"access_token", "tok"}, {"token_type", "bearer"}, {"expires_in", 3600}});
  }
  if (endpoint == "whoami")
    return fuzz::json_answer(200, {{"id", "partner-1"}, {"idType", "partner"}});
  json t1 = {{"id", "t1"}, {"name", "Tenant 1"}, {"apiHost", kRegion}};
  if (endpoint == "tenant") return fuzz::json_answer(200, t1);
  if (endpoint == "tenants") {
    json t2 = {{"id", "t2"}, {"name", "Tenant 2"}, {"showAs", "Second"}, {"apiHost", kRegion}};
    return fuzz::json_answer(
        200, {{"items", {t1, t2}},
              {"pages", {{"current", 1}, {"size", 2}, {"total", 1}, {"items", 2}}}});
  }
  if (endpoint == "usage") {
    return fuzz::json_answer(200,
                             {{"items", {usage_item("t1", "CSMG", 6), usage_item("t2", "XDR", 2)}},
                              {"pages", {{"size", 2}, {"items", 2}}}});
  }
  if (endpoint == "licenses") {
    json l = {{"licenseIdentifier", "CIXA-1"},
              {"product", {{"code", "CIXA"}}},
              {"type", "usage"},
              {"quantity", 50},
              {"usage", {{"current", {{"count", 23}}}}}};
    return fuzz::json_answer(200, {{"licenses", {l}}});
  }
  return fuzz::json_answer(404, {{"error", "notFound"}});
}

const HttpResponse& canned(const std::string& endpoint) {
  static const std::map<std::string, HttpResponse> answers = [] {
    std::map<std::string, HttpResponse> m;
    for (const char* e : {"token", "whoami", "tenants", "tenant", "usage", "licenses", ""})
      m[e] = make_canned(e);
    return m;
  }();
  auto it = answers.find(endpoint);
  return it != answers.end() ? it->second : answers.at("");
}

// The operations that send a request to each endpoint (token: every one; an hour apart, the
// second fetches a new token).
const std::map<std::string, std::vector<std::string>>& operations() {
  static const std::map<std::string, std::vector<std::string>> ops = {
      {"token", {"check", "collect"}},
      {"whoami", {"check"}},
      {"tenants", {"check", "collect", "discover"}},
      {"tenant", {"licenses"}},
      {"usage", {"collect", "discover"}},
      {"licenses", {"licenses"}}};
  return ops;
}

// A successful collect answers usage.v1 with finite, non-negative quantities.
void check_usage_answer(const json& answer) {
  fuzz::require(answer.value("schema", "") == "usage.v1", "collect answers usage.v1");
  fuzz::require(answer.contains("records") && answer["records"].is_array(),
                "collect answers a records array");
  for (const json& r : answer["records"]) {
    fuzz::require(r.is_object() && r.contains("quantity") && r["quantity"].is_number(),
                  "a record has a number quantity");
    const double q = r["quantity"].get<double>();
    fuzz::require(std::isfinite(q) && q >= 0, "a record's quantity is finite and non-negative");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = fuzz::parse_canned_answer({reinterpret_cast<const char*>(data), size});
  if (!input || !operations().count(input->endpoint)) return -1;  // not worth keeping

  meterbridge::testing::FakeHost host;
  host.secrets["client_secret"] = "fuzz-secret";
  int requests = 0;
  host.http_handler = [&](const HttpRequest& r) -> HttpResponse {
    if (++requests > kMaxRequests) throw meterbridge::transient_error("fuzz: request budget spent");
    const std::string endpoint = endpoint_of(r);
    return endpoint == input->endpoint ? input->response : canned(endpoint);
  };
  meterbridge::testing::PluginHarness plugin(meterbridge_plugin_entry, host);
  const json settings = {{"client_id", "fuzz"},
                         {"client_secret", "${env:SOPHOS_CLIENT_SECRET}"},
                         {"token_url", kBase + "/oauth2/token"},
                         {"api_url", kBase + "/api"},
                         {"page_size", 2}};
  fuzz::require(plugin.create(settings).ok(), "the plugin takes the settings");

  for (const std::string& op : operations().at(input->endpoint)) {
    meterbridge::testing::Outcome o;
    if (op == "check") {
      o = plugin.check();
    } else if (op == "collect") {
      o = plugin.invoke("collect", {{"date", "2025-11-15"}});
      if (o.ok()) check_usage_answer(o.answer);
    } else if (op == "licenses") {
      o = plugin.invoke("licenses", {{"tenant_id", "t1"}});
    } else {
      o = plugin.invoke(op);
    }
    if (o.status == MB_E_INTERNAL) std::fprintf(stderr, "%s: %s\n", op.c_str(), o.message.c_str());
    fuzz::require(o.status != MB_E_INTERNAL, "no server answer makes the plugin fail internally");
    host.now_unix_ms += 3600 * 1000;
  }
  return 0;
}
