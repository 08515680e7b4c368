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

// A non-2xx answer of the API, with its HTTP status and ConnectWise's own message.
class ApiError : public meterbridge::Error {
 public:
  ApiError(mb_status status, const std::string& message, int http_status, std::string cw_message)
      : meterbridge::Error(status, message),
        http_status_(http_status),
        cw_message_(std::move(cw_message)) {}
  int http_status() const noexcept { return http_status_; }
  const std::string& cw_message() const noexcept { return cw_message_; }
  // A refusal of this one request (validation, not found, conflict), not of the whole run.
  bool line_level() const noexcept {
    return http_status_ >= 400 && http_status_ < 500 && http_status_ != 401 &&
           http_status_ != 403 && http_status_ != 429;
  }

 private:
  int http_status_;
  std::string cw_message_;
};

// A string literal for a conditions expression: "value" with '"' and '\' escaped.
std::string quote(std::string_view value);
// "code: message (errors[].message; ...)" from a ConnectWise error body; empty when none.
std::string cw_error_message(const std::string& body);
// True when text is a non-empty run of decimal digits (a ConnectWise numeric id).
bool is_numeric_id(std::string_view text);

class Client {
 public:
  Client(meterbridge::Host host, ClientSettings settings);
  // api_'s error_detail holds this client: it stays where it was made.
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
  // Writes. ApiError::line_level() tells a refusal of this request from a run-wide failure.
  json post(const std::string& path, const json& body);
  json patch(const std::string& path, const json& operations);

  const ClientSettings& settings() const { return settings_; }

 private:
  // Sends request with the credentials; `name` is the call in messages ("GET /finance/
  // agreements": under apis/3.0, without the query, whose conditions can be long).
  meterbridge::ApiResponse send(const meterbridge::ApiRequest& request, const std::string& name,
                                bool allow_404 = false);
  std::string redact(std::string text) const;

  meterbridge::Host host_;
  ClientSettings settings_;
  meterbridge::ApiClient api_;  // service name, default headers, hints, error classes
  std::string private_key_;     // kept only to scrub it from messages
  std::string codebase_;
};

}  // namespace connectwise_manage
