// The agreements a sink listed for each PSA company (loaded by the Verify of `map customer` and
// by `psa agreements --refresh`) and the operator's agreement per PSA line (`psa target --line`).
// The sync asks TargetMap which container each line goes to: the line's own agreement, else the
// company's target (`psa target COMPANY --agreement`), else the sink's own choice.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite_db.hpp"

namespace meterbridge::host::store {

struct PsaAgreement {
  std::string id;
  std::string name;
  std::string type;
  std::string status;  // as the PSA says it: Active, Cancelled, Expired, Inactive
  bool is_default = false;
};

// The operator's agreement for one PSA line of one company of one sink.
struct LineTarget {
  std::string psa;  // the sink instance
  std::string company_id;
  std::string line_id;
  std::string target;          // the agreement id
  std::string how;             // explicit or default
  std::string agreement_type;  // as chosen (type first, then name, as in Trend Micro's screen)
  std::string agreement_name;
  std::string set_at;
  // The journal's last entry id when it was set: a write with a higher id went into it
  // (none for a target set before migration 8).
  std::optional<int64_t> journal_mark = std::nullopt;
};

// Where the lines of one sink go. of() is "" when the sink chooses.
class TargetMap {
 public:
  std::map<std::string, std::string> companies;                      // company -> target
  std::map<std::pair<std::string, std::string>, std::string> lines;  // (company, line) -> target

  std::string of(const std::string& company, const std::string& line) const;
  // "line", "company" or "" (the sink's choice): where of() found it.
  std::string source_of(const std::string& company, const std::string& line) const;
};

class AgreementStore {
 public:
  explicit AgreementStore(Database& db) : db_(db) {}

  // Replaces what is known of the company's agreements (one transaction).
  void replace(const std::string& psa, const std::string& company_id,
               const std::vector<PsaAgreement>& agreements);
  // The company's agreements, or nothing when they were never loaded.
  std::optional<std::vector<PsaAgreement>> of(const std::string& psa,
                                              const std::string& company_id);
  std::optional<std::string> loaded_at(const std::string& psa, const std::string& company_id);

  void put_line_target(const LineTarget& t);
  bool clear_line_target(const std::string& psa, const std::string& company_id,
                         const std::string& line_id);
  std::vector<LineTarget> line_targets();  // every sink's, by psa, company and line

  // The company targets (psa_targets) and line targets of one sink.
  TargetMap targets_of(const std::string& psa);

 private:
  Database& db_;
};

}  // namespace meterbridge::host::store
