#include "cw_summary.hpp"

#include <map>
#include <utility>

namespace connectwise_manage {

namespace {

meterbridge::Error invalid(const std::string& m) {
  return meterbridge::Error(MB_E_INVALID_ARGUMENT, "post_summary: " + m);
}

bool digits(const std::string& s, size_t from, size_t n) {
  if (from + n > s.size()) return false;
  for (size_t i = from; i < from + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

bool is_day(const std::string& s, size_t at = 0) {
  return digits(s, at, 4) && s[at + 4] == '-' && digits(s, at + 5, 2) && s[at + 7] == '-' &&
         digits(s, at + 8, 2);
}

// "2026-11", "2026-11-23" or "2026-11-16..2026-11-22".
bool is_period(const std::string& p) {
  if (p.size() == 7) return digits(p, 0, 4) && p[4] == '-' && digits(p, 5, 2);
  if (p.size() == 10) return is_day(p);
  return p.size() == 22 && is_day(p) && p.compare(10, 2, "..") == 0 && is_day(p, 12);
}

std::string id_text(const json& o) {
  if (!o.is_object() || !o.contains("id")) return {};
  if (o["id"].is_number_integer()) return std::to_string(o["id"].get<int64_t>());
  return o["id"].is_string() ? o["id"].get<std::string>() : std::string();
}

std::string string_of(const json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>()
                                                                : std::string();
}

}  // namespace

std::string summary_marker(int64_t intent_id) {
  return "[mb #" + std::to_string(intent_id) + "]";
}

std::string summary_line(const std::string& title, int64_t intent_id) {
  const std::string marker = " " + summary_marker(intent_id);
  std::string line;
  for (char c : title) line += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  line.erase(0, line.find_first_not_of(' '));
  // Bytes, not characters: a UTF-8 byte count is never below ConnectWise's UTF-16 count.
  const size_t room = kSummaryMax - marker.size();
  if (line.size() > room) {
    size_t cut = room;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    line.resize(cut);
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + marker;
}

struct Summaries::Request {
  std::string company;
  std::string kind;
  std::string period;
  int64_t intent_id = 0;
  std::string title;
  std::string text;
  std::map<std::string, int64_t> counts;  // spam, phishing, malware, blocked, total_messages
};

Summaries::Summaries(meterbridge::Host host, Client& client, SummarySettings settings)
    : host_(host), client_(client), settings_(std::move(settings)) {}

Summaries::Request Summaries::parse(const json& r) {
  if (!r.is_object()) throw invalid("the request must be a JSON object");
  Request out;
  const json company = r.value("company_id", json());
  out.company = company.is_number_integer() ? std::to_string(company.get<int64_t>())
                : company.is_string()       ? company.get<std::string>()
                                            : std::string();
  if (!is_numeric_id(out.company)) throw invalid("'company_id' must be a numeric company id");
  out.kind = string_of(r, "kind");
  if (out.kind != "detection" && out.kind != "executive")
    throw invalid("'kind' must be \"detection\" or \"executive\"");
  out.period = string_of(r, "period");
  if (!is_period(out.period))
    throw invalid("'period' must be YYYY-MM, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD");
  const json intent = r.value("intent_id", json());
  if (!intent.is_number_integer() || intent.get<int64_t>() < 1)
    throw invalid("'intent_id' must be a positive integer");
  out.intent_id = intent.get<int64_t>();
  out.title = string_of(r, "title");
  if (out.title.find_first_not_of(" \t\r\n") == std::string::npos)
    throw invalid("'title' must be a non-empty string");
  if (!r.contains("text") || !r["text"].is_string()) throw invalid("'text' must be a string");
  out.text = r["text"].get<std::string>();
  const json counts = r.value("counts", json());
  if (counts.is_null() && out.kind == "detection")
    throw invalid("a detection summary needs 'counts'");
  if (!counts.is_null() && !counts.is_object()) throw invalid("'counts' must be an object");
  for (const char* k : {"spam", "phishing", "malware", "blocked", "total_messages"}) {
    if (counts.is_null() || !counts.contains(k)) continue;
    if (!counts[k].is_number_integer() || counts[k].get<int64_t>() < 0)
      throw invalid(std::string("counts.") + k + " must be a non-negative integer");
    out.counts[k] = counts[k].get<int64_t>();
  }
  return out;
}

void Summaries::check_company(const std::string& company) {
  std::optional<json> found = client_.get_optional("/company/companies/" + company);
  if (!found) throw meterbridge::Error(MB_E_INVALID_ARGUMENT, "no such company in ConnectWise");
  if (!found->is_object())
    throw meterbridge::transient_error("ConnectWise answered GET /company/companies/" + company +
                                       " with JSON that is not an object");
  if (found->contains("deletedFlag") && (*found)["deletedFlag"] == true)
    throw meterbridge::Error(MB_E_INVALID_ARGUMENT, "the company (" + string_of(*found, "name") +
                                                        ") is deleted in ConnectWise");
}

int64_t Summaries::board_id() {
  if (board_id_) return *board_id_;
  for (const json& b : client_.list("/service/boards", "name=" + quote(settings_.board), 10)) {
    if (b.is_object() && b.contains("id") && b["id"].is_number_integer() &&
        b.value("inactiveFlag", false) != true)
      return *(board_id_ = b["id"].get<int64_t>());
  }
  throw meterbridge::config_error("setting 'summary_board': '" + settings_.board +
                                  "' is not an active ConnectWise service board");
}

std::optional<json> Summaries::find_existing(const Request& r, const std::string& path,
                                             const char* field) {
  const std::string marker = summary_marker(r.intent_id);
  // ConnectWise turns `contains` into SQL LIKE, where "[...]" is a character class: search
  // without the opening bracket, then check the whole marker here.
  const std::string conditions =
      std::string(field) + " contains " + quote(marker.substr(1)) +
      (path == "/service/tickets" ? " and company/id=" + r.company : std::string());
  for (const json& item : client_.list(path, conditions)) {
    if (string_of(item, field).find(marker) != std::string::npos) return item;
  }
  return std::nullopt;
}

json Summaries::create_ticket(const Request& r, const std::string& line) {
  json body = {{"summary", line},
               {"company", {{"id", std::stoll(r.company)}}},
               {"board", {{"id", board_id()}}}};
  if (!r.text.empty()) body["initialDescription"] = r.text;
  return client_.post("/service/tickets", body);
}

// CompanyManagementSummary has no email-security fields; the nearest counters (README):
// malware -> virusesRemoved, phishing -> spywareItemsRemoved, spam + phishing + malware ->
// totalNotifications, blocked -> alertsGenerated (a string in the model). total_messages has
// no counterpart and is not sent.
json Summaries::create_report(const Request& r, const std::string& line) {
  json body = {{"groupIdentifier", line}};
  auto count = [&](const char* k) {
    auto it = r.counts.find(k);
    return it == r.counts.end() ? std::optional<int64_t>() : it->second;
  };
  if (auto v = count("malware")) body["virusesRemoved"] = *v;
  if (auto v = count("phishing")) body["spywareItemsRemoved"] = *v;
  if (count("spam") || count("phishing") || count("malware"))
    body["totalNotifications"] =
        count("spam").value_or(0) + count("phishing").value_or(0) + count("malware").value_or(0);
  if (auto v = count("blocked")) body["alertsGenerated"] = std::to_string(*v);
  return client_.post("/company/companies/" + r.company + "/managementSummaryReports", body);
}

json Summaries::post(const json& request) {
  const Request r = parse(request);
  const bool ticket = settings_.delivery == "ticket";
  const std::string path =
      ticket ? "/service/tickets" : "/company/companies/" + r.company + "/managementSummaryReports";
  const char* field = ticket ? "summary" : "groupIdentifier";
  json answer = {{"schema", "psa-summary-result.v1"},
                 {"delivery", ticket ? "ticket" : "management_report"}};
  try {
    check_company(r.company);
    if (ticket) board_id();  // a board that is not there is a config error, found or not
    if (std::optional<json> found = find_existing(r, path, field)) {
      answer["action"] = "none";
      answer["ref"] = id_text(*found);
      answer["summary"] = string_of(*found, field);
      return answer;
    }
    const std::string line = summary_line(r.title, r.intent_id);
    json created = ticket ? create_ticket(r, line) : create_report(r, line);
    if (id_text(created).empty())
      throw meterbridge::transient_error(
          "ConnectWise answered the POST without an id; a retry "
          "finds the summary by its marker");
    host_.info("created ConnectWise " + std::string(ticket ? "ticket " : "management report ") +
               id_text(created) + " for company " + r.company + ": " + line);
    answer["action"] = "create";
    answer["ref"] = id_text(created);
    answer["summary"] = string_of(created, field).empty() ? line : string_of(created, field);
    return answer;
  } catch (const meterbridge::Error& e) {
    // The host files the failure under the summary's company: say which, keep the class.
    throw meterbridge::Error(e.status(), "post_summary for company " + r.company + ": " + e.what());
  }
}

}  // namespace connectwise_manage
