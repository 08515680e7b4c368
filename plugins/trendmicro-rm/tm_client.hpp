// trendmicro-rm: the Trend Micro Remote Manager client (SMPI customers and seat usage, LMPI
// subscriptions, and the detections endpoint we assume, see README.md). Every call is signed the
// way SMPI/LMPI want it (tm_signing.hpp). Knows HTTP, paging, batches and error classes; knows
// nothing of usage records (tm_products.hpp maps what it reads to them).
#pragma once

#include <meterbridge/http.hpp>
#include <meterbridge/plugin.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace trendmicro_rm {

using meterbridge::json;

inline constexpr const char* kDefaultApiUrl = "https://cspi.trendmicro.com";
inline constexpr const char* kDefaultApiVersion = "v2.8";
// SMPI documents 1-20 ids per cids= and 1-100 customers per page.
inline constexpr size_t kMaxBatch = 20;
inline constexpr int kPageLimit = 100;

struct ClientSettings {
  std::string api_url = kDefaultApiUrl;  // no trailing '/'
  std::string api_version = kDefaultApiVersion;
};

struct Customer {
  std::string id;
  std::string name;
};

// One activation code's seats in use (customers/usage seat_usages[]).
struct SeatUsage {
  std::string activation_code;
  double used = 0;
};

struct CustomerUsage {
  std::string customer_id;
  std::vector<SeatUsage> seats;
};

// One licence of a customer's LMPI subscriptions (licenses[]).
struct License {
  std::string ac_code;
  std::string product_id;
  bool enabled = true;
};

// One product's detection counts of a customer over a range of days (our assumed endpoint).
struct ProductDetections {
  std::string product_id;
  int64_t spam = 0, phishing = 0, malware = 0, blocked = 0, total_messages = 0;
};
struct CustomerDetections {
  std::string customer_id;
  std::vector<ProductDetections> products;
};

// "error_subject: error_message" from a Trend Micro error body, as far as it has those fields.
std::string error_detail(const meterbridge::HttpResponse& r);

class Client {
 public:
  Client(meterbridge::Host host, ClientSettings settings);
  // api_'s callbacks hold this client: it stays where it was made.
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The first page of the customers listing: its customers and paging.total.
  std::vector<Customer> customers_page(int64_t page, int64_t* total);
  // Every customer, page by page.
  std::vector<Customer> customers();
  // Seats in use of the given customers, asked in batches of at most 20 ids.
  std::vector<CustomerUsage> usage(const std::vector<std::string>& customer_ids);
  // The licences of every subscription of one customer (LMPI).
  std::vector<License> licenses(const std::string& customer_id);
  // Detection counts from `from` to `to` (inclusive days) of the given customers, in batches.
  std::vector<CustomerDetections> detections(const std::vector<std::string>& customer_ids,
                                             const std::string& from, const std::string& to);

 private:
  // The SMPI path of a WFBSS API resource: /SMPI/{version}/service/{service}/api.
  meterbridge::ApiRequest smpi(const char* service) const;
  void sign(meterbridge::HttpRequest& request);

  meterbridge::Host host_;
  ClientSettings settings_;
  meterbridge::ApiClient api_;
  std::string access_token_, secret_key_;  // read from the host on the first call
};

}  // namespace trendmicro_rm
