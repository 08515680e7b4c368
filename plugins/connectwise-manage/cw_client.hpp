// connectwise-manage: the ConnectWise PSA (Manage) REST client: codebase discovery, Basic auth
// with the clientId header, Link-header paging, conditions quoting and error classes. Knows
// nothing of agreements or billing (cw_sink.hpp does).
#pragma once

#include <meterbridge/http.hpp>
#include <meterbridge/plugin.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace connectwise_manage {

using meterbridge::json;

struct ClientSettings {
  std::string site_url;  // no trailing '/'
  std::string company_id;
  std::string public_key;
  std::string client_id;
  std::string codebase;  // "v4_6_release/"; empty: discovered from /login/companyinfo
  int page_size = 1000;
};

// What a ConnectWise call throws for a non-2xx answer is a meterbridge::HttpError: its message
// names the call and carries ConnectWise's own text (cw_error_message), http_status() tells a
// refusal of that one request (refused_request) from a run-wide failure.
bool refused_request(const meterbridge::HttpError& e);

// A string literal for a conditions expression: "value" with '"' and '\' escaped.
std::string quote(std::string_view value);
// "code: message (errors[].message; ...)" from a ConnectWise error body; empty when none.
std::string cw_error_message(const std::string& body);
// True when text is a non-empty run of decimal digits (a ConnectWise numeric id).
bool is_numeric_id(std::string_view text);

class Client {
 public:
  Client(meterbridge::Host host, ClientSettings settings);
  // api_'s hooks hold this client: it stays where it was made.
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The codebase ("v4_6_release/"): the setting, else the host state cache, else discovered.
  const std::string& codebase();
  // {site_url}/{codebase}apis/3.0
  std::string api_base();

  // GET path (under api_base) with an optional query ("a=b&c=d").
  json get(const std::string& path, const std::string& query = "");
  // GET path; nullopt on 404.
  std::optional<json> get_optional(const std::string& path);
  // Every item of a listing matching conditions (may be empty), following Link rel="next".
  // max_items > 0 stops after that many items.
  std::vector<json> list(const std::string& path, const std::string& conditions,
                         size_t max_items = 0);
  // Writes: a 4xx other than 401/403/429 is MB_E_INVALID_ARGUMENT (refused_request()).
  json post(const std::string& path, const json& body);
  json patch(const std::string& path, const json& operations);

  const ClientSettings& settings() const { return settings_; }

 private:
  // A request to path (under api_base, a query may follow '?') with the credentials.
  meterbridge::ApiRequest request(const char* method, const std::string& path);
  std::string redact(std::string text) const;

  meterbridge::Host host_;
  ClientSettings settings_;
  meterbridge::ApiClient api_;  // service name, credentials, hints, error classes
  std::string private_key_;     // read on the first call; kept to scrub it from messages
  std::string authorization_;
  std::string codebase_;
};

}  // namespace connectwise_manage
