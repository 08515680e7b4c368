// In-memory state of the ConnectWise PSA emulator: credentials, companies, agreements, agreement
// types, catalog items, agreement additions, service boards, tickets and management summary
// reports (mutable). Faults and the request log live in the
// shared fault control (../common/fault_control.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace cw_emu {

struct Seed {
  std::string company_id;
  std::string company_name = "Emulated MSP";
  std::string public_key;
  std::string private_key;
  std::vector<std::string> client_ids;
  nlohmann::json companies = nlohmann::json::array();
  nlohmann::json agreement_types = nlohmann::json::array();
  nlohmann::json agreements = nlohmann::json::array();
  nlohmann::json catalog = nlohmann::json::array();
  nlohmann::json additions = nlohmann::json::array();
  // Service boards; absent from the seed: one board "Help Desk" (id 1).
  nlohmann::json boards = nlohmann::json::array();
};

// The mutable records, guarded by State::data_mutex().
struct Data {
  nlohmann::json companies, agreement_types, agreements, catalog, additions;
  nlohmann::json boards, tickets, management_reports;
  // The initial description of each ticket, as the note ConnectWise makes of it (a ticket's
  // initialDescription is write-only: never in a ticket answer).
  nlohmann::json ticket_notes = nlohmann::json::array();
  long long next_catalog_id = 1;
  long long next_addition_id = 1;
  long long next_ticket_id = 1;
  long long next_report_id = 1;
  long long next_note_id = 1;
};

// Reads and validates a seed file; throws std::runtime_error with a readable message.
Seed load_seed(const std::string& path);
Seed parse_seed(const nlohmann::json& j);

std::string now_iso8601();  // "2026-11-25T17:00:00Z"
std::string today();        // "2026-11-25" (UTC)
std::string base64(const std::string& in);

// A reference as ConnectWise answers it: {id, <name fields>, _info {<kind>_href}}.
nlohmann::json reference(const std::string& base_url, const std::string& kind,
                         const std::string& path, nlohmann::json fields);
// CompanyReference {id, identifier, name, _info} of a stored company.
nlohmann::json company_reference(const std::string& base_url, const nlohmann::json& company);

class State {
 public:
  // Throws std::runtime_error when seeded additions do not validate.
  State(Seed seed, std::string base_url);

  const Seed& seed() const { return seed_; }
  const std::string& base_url() const { return base_url_; }
  std::mutex& data_mutex() { return data_mutex_; }
  Data& data() { return data_; }  // lock data_mutex() first

  nlohmann::json state_json();

 private:
  const Seed seed_;
  const std::string base_url_;
  std::mutex data_mutex_;
  Data data_;
};

}  // namespace cw_emu
