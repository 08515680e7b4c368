// autotask: read and apply of billed quantities on Recurring Service contracts.
//
// Autotask holds a contract service's units per billing period (ContractServiceUnits, read-only)
// and changes them only through signed ContractServiceAdjustments (create-only). So a line's
// quantity is the units of the row covering the line's effective date, and a write posts
// `desired - held`, computed from the units read just before the write, never from memory: after
// a crash or a lost answer, the next run reads the units again and posts only what is missing.
//
// Target: the company's single active (status 1) Recurring Service (contractType 7) contract
// covering the billing period, of `contract_category` when set, or the contract the operator
// assigned (`meterbridge psa target`, the line's "target"). None or several: an error line.
//
// Ownership: meterbridge adjusts a contract service only when it created it (its adjustment
// created it: recorded in host state, "claim/<contract>/<service>" before the POST and
// "owned/<contract service>" once seen; or internalDescription starting with "[<marker>") or
// the operator adopted it (`meterbridge psa adopt`). Anyone else's contract service is an error
// line naming it: two writers on one quantity would each undo the other.
//
// Calls: a read costs a few paged queries whatever the number of lines (contracts by company,
// then contract services and units by contract, in chunks queried concurrently); an apply batch
// re-reads the units of its contracts (one query) and posts up to three adjustments at once,
// Autotask's thread limit per endpoint.
#pragma once

#include "at_client.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace autotask {

struct SinkSettings {
  std::string marker = "meterbridge";
  std::optional<int64_t> contract_category;
};

struct Contract {
  int64_t id = 0;
  int64_t company = 0;
  std::string name;
  int64_t type = 0;
  int64_t status = 0;
  std::optional<int64_t> category;
  std::string start;  // YYYY-MM-DD
  std::string end;    // YYYY-MM-DD
};

// A Unix time in milliseconds as UTC text in a strftime format ("%Y-%m-%d": the date).
std::string utc_text(int64_t unix_ms, const char* format);

Contract contract_from(const json& item);
// Active (status 1) Recurring Service (type 7) of the category (when set).
bool is_billing_contract(const Contract& c, const SinkSettings& s);
// The contract covers part of [from, to] (dates YYYY-MM-DD).
bool covers(const Contract& c, const std::string& from, const std::string& to);
// The contracts of one company that may take its billing for [from, to]; error names why none.
std::vector<const Contract*> billing_candidates(const std::vector<Contract>& contracts,
                                                const SinkSettings& s, const std::string& from,
                                                const std::string& to);
// The query filter of the billing contracts of these companies, ending on or after `from`.
json contract_filter(const std::vector<int64_t>& companies, const SinkSettings& s,
                     const std::string& from);

class Sink {
 public:
  Sink(meterbridge::Host host, Client& client, SinkSettings settings);

  json read(const json& lines);
  // writes_left: the writes the host's run still intends to send, this batch included; checked
  // against the hourly threshold before the first write of the instance.
  json apply(const json& lines, std::optional<int64_t> writes_left);
  // {"company_id","line_id","target"?,"date"?} -> {"adopted","ref","units"?,"message"}.
  json adopt(const json& request);

  const SinkSettings& settings() const { return settings_; }

 private:
  struct Line;  // one parsed request line
  struct ContractService {
    int64_t id = 0;
    int64_t contract = 0;
    int64_t service = 0;
    std::string internal_description;
  };
  struct UnitsRow {
    int64_t contract_service = 0;
    std::string start, end;  // YYYY-MM-DD
    int64_t units = 0;
  };
  // What the PSA holds for one line.
  struct Target {
    std::string error;
    const Contract* contract = nullptr;
    std::string effective;  // the later of the contract start and the period start
    std::optional<ContractService> service;
    std::optional<int64_t> units;  // of the owned contract service on the effective date
    std::string ref() const;
  };

  std::vector<Line> parse_lines(const json& lines, bool for_apply) const;
  void load_contracts(const std::vector<Line>& lines);
  // Reads contract services (when services) and units of the contracts the lines resolve to.
  void load_holdings(const std::vector<Line>& lines, bool services);
  std::vector<int64_t> contracts_of(const std::vector<Line>& lines);
  const Contract* choose(const Line& l, std::string& error) const;
  Target resolve(const Line& l);
  bool owned(const ContractService& cs);
  void check_threshold(int64_t writes);
  json apply_line(const Line& l, bool& run_wide, json& failure);

  meterbridge::Host host_;
  Client& client_;
  SinkSettings settings_;
  std::map<int64_t, std::vector<Contract>> company_contracts_;  // billing contracts by company
  std::map<int64_t, Contract> targets_;                         // operator-assigned, by id
  std::map<int64_t, std::vector<ContractService>> services_;    // by contract
  std::map<int64_t, std::vector<UnitsRow>> units_;              // by contract service
  bool threshold_checked_ = false;
  std::string threshold_refusal_;
};

}  // namespace autotask
