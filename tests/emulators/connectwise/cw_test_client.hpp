// What the emulator-connectwise tests share: the emulator under test, Basic auth headers of the
// example seed, a GET that checks its status, query encoding, fault injection.
#pragma once

#include <catch2/catch.hpp>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "../common/url_encode.hpp"
#include "../emulator_under_test.hpp"

namespace cw_test {

using nlohmann::json;

inline const std::string kApi = "/v4_6_release/apis/3.0";

class Emulator : public EmulatorUnderTest {
 public:
  explicit Emulator(std::vector<std::string> extra = {})
      : EmulatorUnderTest(EMULATOR_CONNECTWISE_EXE, CONNECTWISE_SEED_EXAMPLE, extra) {}
};

inline json seed() {
  return read_json_file(CONNECTWISE_SEED_EXAMPLE);
}

inline std::string b64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned val = 0;
  int bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(t[(val >> bits) & 63]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(t[((val << 8) >> (bits + 8)) & 63]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

inline httplib::Headers auth(const std::string& private_key = "") {
  auto s = seed();
  const std::string priv = private_key.empty() ? s["private_key"].get<std::string>() : private_key;
  return {{"Authorization", "Basic " + b64(s["company_id"].get<std::string>() + "+" +
                                           s["public_key"].get<std::string>() + ":" + priv)},
          {"clientId", s["client_ids"][0].get<std::string>()}};
}

inline json get_json(httplib::Client& cli, const std::string& path, int expect = 200) {
  auto res = cli.Get((kApi + path).c_str(), auth());
  REQUIRE(res);
  INFO(path << " -> " << res->body);
  REQUIRE(res->status == expect);
  return json::parse(res->body);
}

// Percent-encodes a query value, as the emulators encode their own links.
inline std::string q(const std::string& value) {
  return emulator_kit::url_encode(value);
}

inline void add_fault(const Emulator& emu, const json& fault) {
  auto res = emu.client().Post("/_emulator/faults", fault.dump(), "application/json");
  REQUIRE(res);
  REQUIRE(res->status == 201);
}

inline std::set<long long> ids(const json& arr) {
  std::set<long long> out;
  for (const auto& o : arr) out.insert(o["id"].get<long long>());
  return out;
}

}  // namespace cw_test
