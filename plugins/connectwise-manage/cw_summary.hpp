// connectwise-manage: post_summary, an email-security summary (a detection or an executive
// report) delivered to one ConnectWise company as a service ticket or as a company management
// summary report, at most once per host intent.
//
// Idempotency: the summary line carries the marker "[mb #<intent_id>]". Before creating, the
// company's tickets (or reports) are searched for that marker; one found is answered with
// action "none" and nothing is written, so a crash between the POST and the host's journal
// never opens a second ticket.
#pragma once

#include "cw_client.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace connectwise_manage {

struct SummarySettings {
  std::string delivery = "ticket";  // or "management_report"
  std::string board = "Help Desk";  // the service board of the tickets, by name
};

// Ticket.summary and CompanyManagementSummary.groupIdentifier hold at most 100 characters.
constexpr size_t kSummaryMax = 100;

// "[mb #<intent_id>]"
std::string summary_marker(int64_t intent_id);
// The title on one line (control characters become spaces), cut at a UTF-8 boundary so that
// it and " " + the marker fit in kSummaryMax bytes, followed by " [mb #<intent_id>]".
std::string summary_line(const std::string& title, int64_t intent_id);

class Summaries {
 public:
  Summaries(meterbridge::Host host, Client& client, SummarySettings settings);

  // The post_summary operation (PROTOCOL.md section 6): answers psa-summary-result.v1.
  json post(const json& request);

 private:
  struct Request;
  static Request parse(const json& r);
  // The company's own record; invalid-argument when unknown or deleted.
  void check_company(const std::string& company);
  // The id of the configured board, resolved once by name; a config error when none.
  int64_t board_id();
  // The first ticket / report of the company whose summary line carries the marker.
  std::optional<json> find_existing(const Request& r, const std::string& path, const char* field);
  json create_ticket(const Request& r, const std::string& line);
  json create_report(const Request& r, const std::string& line);

  meterbridge::Host host_;
  Client& client_;
  SummarySettings settings_;
  std::optional<int64_t> board_id_;
};

}  // namespace connectwise_manage
