// autotask: the REST client. See at_client.hpp.
#include "at_client.hpp"

#include "at_errors.hpp"

#include <meterbridge/paging.hpp>

#include <algorithm>

namespace autotask {
namespace {

using meterbridge::ApiRequest;
using meterbridge::ApiResponse;

// A listing that has not ended after this many pages is broken, not big: 2,500,000 records.
constexpr int kMaxPages = 5000;

std::string string_field(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Every Autotask answer is an object: anything else is a broken answer.
json object_of(const ApiResponse& r) {
  json j = r.json();
  if (!j.is_object()) {
    throw meterbridge::transient_error("Autotask answered " + r.call +
                                       " with a body that is not a JSON object (HTTP " +
                                       std::to_string(r.status) + ")");
  }
  return j;
}

}  // namespace

std::string error_text(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {};
  std::string out;
  if (j.contains("errors") && j["errors"].is_array()) {
    for (const json& e : j["errors"]) {
      std::string m = e.is_string() ? e.get<std::string>() : string_field(e, "message");
      if (!m.empty()) out += (out.empty() ? "" : "; ") + m;
    }
  }
  if (out.empty()) out = string_field(j, "Message");
  if (out.empty()) out = string_field(j, "message");
  return out;
}

Client::Client(meterbridge::Host host, ClientSettings settings)
    : host_(host), settings_(std::move(settings)), api_(host, "Autotask", settings_.global_url) {
  for (std::string* u : {&settings_.zone_url, &settings_.global_url}) {
    if (!u->empty() && u->back() != '/') *u += '/';
  }
  zone_ = settings_.zone_url;
  api_.auth_hint = "check username ('" + settings_.username +
                   "'), secret and integration_code (the API user's tracking identifier); a "
                   "zone_url of another zone is refused too";
  api_.forbidden_hint =
      "the API user's security level does not allow it (contracts need a level that can see "
      "and adjust them)";
  api_.config_hint = "check zone_url and the settings";
  api_.error_detail = [](const meterbridge::HttpResponse& r) { return error_text(r.body); };
  api_.classify = classify;
}

ApiRequest Client::with_credentials(ApiRequest request) {
  {
    std::lock_guard lock(mutex_);
    if (secret_.empty()) {
      integration_code_ = host_.secret("integration_code");
      secret_ = host_.secret("secret");
    }
  }
  request.header("ApiIntegrationCode", integration_code_)
      .header("UserName", settings_.username)
      .header("Secret", secret_);
  if (settings_.impersonation_resource_id) {
    request.header("ImpersonationResourceId", std::to_string(*settings_.impersonation_resource_id));
  }
  return request;
}

ApiRequest Client::request(const char* method, const std::string& path) {
  return with_credentials(ApiRequest(method, api_base(), &api_).raw_path(path));
}

std::string Client::zone_url() {
  {
    std::lock_guard lock(mutex_);
    if (!zone_.empty()) return zone_;
  }
  const std::string state_key = "zone/" + settings_.global_url + settings_.username;
  if (std::optional<std::string> cached = host_.state_get(state_key); cached && !cached->empty()) {
    std::lock_guard lock(mutex_);
    return zone_ = *cached;
  }
  // Not thread limited and without credentials: the lookup only names the user.
  ApiRequest request = api_.get("v1.0", "zoneInformation").query("user", settings_.username);
  const std::string full = request.what();
  const std::string what = full.substr(0, full.find('?'));  // the user is named apart
  ApiResponse r = request.send({400, 404});
  if (r.status == 404 || r.status == 400) {
    throw meterbridge::config_error("Autotask does not know the API user '" + settings_.username +
                                    "' (" + what + " answered HTTP " + std::to_string(r.status) +
                                    "); check username, or set zone_url");
  }
  std::string found = string_field(object_of(r), "url");
  if (found.rfind("https://", 0) != 0 && found.rfind("http://", 0) != 0) {
    throw meterbridge::config_error("Autotask answered " + what +
                                    " without a zone url; set the 'zone_url' setting");
  }
  if (found.back() != '/') found += '/';
  host_.state_put(state_key, found);
  host_.debug("Autotask zone of API user '" + settings_.username + "' is " + found);
  std::lock_guard lock(mutex_);
  return zone_ = found;
}

json Client::get(const std::string& path) {
  return object_of(request("GET", path).send());
}

std::optional<json> Client::get_optional(const std::string& path) {
  ApiResponse r = request("GET", path).send({404});
  if (r.status == 404) return std::nullopt;
  return object_of(r);
}

std::vector<json> Client::query(const Query& q) {
  json fields = json::array({"id"});
  for (const auto& f : q.include_fields) {
    if (f != "id") fields.push_back(f);
  }
  json body = {{"MaxRecords", std::clamp(q.max_records, 1, 500)}, {"Filter", q.filter}};
  if (!q.include_fields.empty()) body["IncludeFields"] = std::move(fields);
  const std::string what = "POST /" + q.entity + "/query";
  std::vector<json> items;
  // The credentials go with every page: by_next_url keeps them on the zone's host.
  meterbridge::paging::by_next_url(
      host_, "Autotask query " + what, api_base() + "/" + q.entity + "/query",
      [&](const std::string& url) -> std::string {
        // Every page is POSTed with the same body (some deployments refuse GET on the next
        // page), and may be retried by the host on a 5xx: a query changes nothing.
        json answer = object_of(
            with_credentials(api_.at("POST", url)).json_body(body).as_read().retry_unsafe().send());
        if (!answer.contains("items") || !answer["items"].is_array()) {
          throw meterbridge::transient_error("Autotask answered " + what +
                                             " without an 'items' array");
        }
        for (json& item : answer["items"]) {
          if (!item.is_object()) {
            throw meterbridge::transient_error("Autotask answered " + what +
                                               " with an item that is not a JSON object");
          }
          items.push_back(std::move(item));
          if (q.max_items > 0 && items.size() >= q.max_items) return "";
        }
        if (answer["items"].empty()) return "";
        return string_field(answer.value("pageDetails", json::object()), "nextPageUrl");
      },
      kMaxPages);
  return items;
}

json Client::post(const std::string& path, const json& body) {
  return object_of(request("POST", path).json_body(body).send());
}

json Client::patch(const std::string& path, const json& body) {
  return object_of(request("PATCH", path).json_body(body).send());
}

Threshold Client::threshold() {
  json j = get("/ThresholdInformation");
  auto number = [&](const char* key) {
    return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : int64_t{-1};
  };
  Threshold t{number("externalRequestThreshold"), number("requestThresholdTimeframe"),
              number("currentTimeframeRequestCount")};
  if (t.limit < 0 || t.timeframe_minutes < 0 || t.used < 0) {
    throw meterbridge::transient_error(
        "Autotask answered GET /ThresholdInformation without its three counts");
  }
  return t;
}

}  // namespace autotask
