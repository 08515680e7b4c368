// connectwise-manage: read and apply of billed quantities on ConnectWise agreement additions.
//
// Ownership: the plugin only ever edits an addition it created or adopted: one whose
// invoiceDescription starts with "[<marker>]" and whose id it recorded in host state under
// "addition/<company>/<line>" (or, with no state, the single active marked addition for the
// product on the target agreement, which it then records). Unmarked additions are never touched.
#pragma once

#include "cw_client.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace connectwise_manage {

struct SinkSettings {
  std::string agreement_type = "Managed Service";
  std::string marker = "meterbridge";
};

class Sink {
 public:
  Sink(meterbridge::Host host, Client& client, SinkSettings settings);

  json read(const json& lines);
  json apply(const json& lines);

  // The conditions that find the active agreements of company_id of the configured type.
  std::string agreement_conditions(const std::string& company_id) const;

 private:
  // What the PSA holds for one requested line.
  struct Target {
    std::string error;             // non-empty: cannot resolve the line unambiguously
    int64_t agreement = 0;         // the target agreement
    std::optional<json> addition;  // the owned addition (maybe cancelled)
    bool active = false;           // the owned addition exists and is not cancelled
    double quantity = 0;           // its quantity when active
    std::string ref() const;
  };

  Target resolve(const std::string& company, const std::string& line);
  bool marked(const json& addition) const;
  void record(const std::string& company, const std::string& line, int64_t agreement,
              int64_t addition) const;
  json apply_line(const json& line, bool& wrote);
  std::string line_name(const std::string& line);

  meterbridge::Host host_;
  Client& client_;
  SinkSettings settings_;
};

}  // namespace connectwise_manage
