// connectwise-manage: read and apply of billed quantities on ConnectWise agreement additions.
//
// Ownership: the plugin only ever edits an addition it created or adopted: one whose
// invoiceDescription starts with "[<marker>]" or "[<marker> #<intent>]" (the journal intent
// that created it). Every read and apply looks at ALL active marked additions of the product on
// the target agreement, whatever the state says: one is kept (the one recorded in host state
// under "addition/<company>/<line>", else the oldest, which is then recorded) and any other is a
// duplicate, reported and never written around; remove_duplicates cancels the extra ones dated
// their own effective date, so they bill nothing. Unmarked additions are never touched.
//
// Calls: each read or apply starts from what ConnectWise holds at that moment, but reads each
// thing once per call: the target agreements of all requested companies in one listing (chunks
// of 100 ids), each target agreement's additions in one listing, each catalog name once. A sync
// of N companies costs about N + 1 reads, not several per line.
#pragma once

#include "cw_client.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

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
  // For each line {"key","company_id","line_id"}: cancels every duplicate (active marked
  // addition other than the kept one) dated its own effective date. Answers {"key","action":
  // "removed"|"none"|"error","kept","removed":[{"ref","quantity"}],"message"?}.
  json remove_duplicates(const json& lines);

  // The conditions that find the active agreements of the configured type of these companies.
  std::string agreement_conditions(const std::vector<std::string>& company_ids) const;

 private:
  // What the PSA holds for one requested line.
  struct Target {
    std::string error;             // non-empty: cannot resolve the line unambiguously
    int64_t agreement = 0;         // the target agreement
    std::optional<json> addition;  // the owned addition (maybe cancelled)
    bool active = false;           // the owned addition exists and is not cancelled
    double quantity = 0;           // its quantity when active
    std::vector<json> duplicates;  // the other active marked additions for the same product
    std::string ref() const;
  };

  // What one read or apply has seen of ConnectWise; empty at the start of each.
  struct Seen {
    std::map<std::string, std::vector<json>> agreements;  // company id -> its target agreements
    std::map<int64_t, std::vector<json>> additions;       // agreement id -> all its additions
    std::map<std::string, json> targets;  // operator-named agreement id -> it (null: none)
  };
  // Catalog identifier -> description, kept across calls: a sync writes in small batches, and
  // a product's description is no ownership fact that must be read again at write time.
  std::map<std::string, std::string> line_names_;

  // Lists the target agreements of every numeric company id among lines, in few calls.
  void load_agreements(const json& lines);
  const std::vector<json>& agreements_of(const std::string& company);
  std::vector<json>& additions_of(int64_t agreement);
  // Keeps what a write answered, so later lines of the same call see it.
  void remember(int64_t agreement, const json& addition);
  // The agreement and owned addition of a line: the operator's target agreement when one is
  // given (it must be the company's and active, of any type), else the company's single
  // active agreement of the configured type.
  Target resolve(const std::string& company, const std::string& line, const std::string& target);
  // The owned additions of line on t.agreement.
  Target resolve_addition(Target t, const std::string& company, const std::string& line);
  // "" when the target agreement fits company (sets agreement), else why not.
  std::string check_target(const std::string& company, const std::string& target,
                           int64_t& agreement);
  bool marked(const json& addition) const;
  // The journal intent named in an addition's marker ("[<marker> #<intent>]"); 0 when none.
  int64_t intent_of(const json& addition) const;
  // "[<marker> #<intent_id>] " for a line with an intent id, else "[<marker>] ".
  std::string marker_text(const json& line) const;
  void record(const std::string& company, const std::string& line, int64_t agreement,
              int64_t addition) const;
  json apply_line(const json& line, bool& wrote);
  json remove_line_duplicates(const json& line);
  std::string line_name(const std::string& line);

  meterbridge::Host host_;
  Client& client_;
  SinkSettings settings_;
  Seen seen_;
};

}  // namespace connectwise_manage
