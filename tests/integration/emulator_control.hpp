// A test's side of an emulator's /_emulator control endpoints (faults, request log, state),
// over HTTP or HTTPS (ca_file: the test CA the emulator's certificate chains to).
#pragma once

#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT  // https:// emulator URLs
#endif
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

class EmulatorControl {
 public:
  explicit EmulatorControl(std::string url, std::string ca_file = "")
      : url_(std::move(url)), ca_file_(std::move(ca_file)) {}

  nlohmann::json get(const std::string& path) const {
    httplib::Client c(url_);
    setup(c);
    auto res = c.Get(path.c_str());
    if (!res) throw std::runtime_error("emulator control GET " + path + " failed");
    return nlohmann::json::parse(res->body);
  }
  // Queues a fault (see tests/emulators/sophos/README.md "Control endpoints").
  void add_fault(const nlohmann::json& fault) const {
    httplib::Client c(url_);
    setup(c);
    auto res = c.Post("/_emulator/faults", fault.dump(), "application/json");
    if (!res || res->status != 201)
      throw std::runtime_error("emulator refused fault " + fault.dump());
  }
  void clear_log() const {
    httplib::Client c(url_);
    setup(c);
    c.Delete("/_emulator/requests");
  }
  nlohmann::json requests() const { return get("/_emulator/requests"); }
  nlohmann::json state() const { return get("/_emulator/state"); }
  nlohmann::json pending_faults() const { return get("/_emulator/faults"); }

  // The logged requests whose path starts with prefix.
  nlohmann::json requests_to(const std::string& prefix) const {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : requests()) {
      if (r["path"].get<std::string>().rfind(prefix, 0) == 0) out.push_back(r);
    }
    return out;
  }
  // POST, PUT, PATCH and DELETE calls the emulator answered or dropped.
  int writes() const {
    int n = 0;
    for (const auto& r : requests()) {
      const std::string m = r["method"];
      if (m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE") ++n;
    }
    return n;
  }
  const std::string& url() const { return url_; }

 private:
  void setup(httplib::Client& c) const {
    if (!ca_file_.empty()) c.set_ca_cert_path(ca_file_.c_str());
    c.set_read_timeout(30, 0);
  }

  std::string url_;
  std::string ca_file_;
};
