// connectwise-manage: read and apply on agreement additions. See cw_sink.hpp.
#include "cw_sink.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace connectwise_manage {
namespace {

std::string string_field(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

int64_t id_of(const json& object) {
  if (!object.is_object() || !object.contains("id") || !object["id"].is_number_integer()) return 0;
  return object["id"].get<int64_t>();
}

std::string product_identifier(const json& addition) {
  if (!addition.contains("product")) return {};
  return string_field(addition["product"], "identifier");
}

bool cancelled(const json& addition) {
  if (!string_field(addition, "cancelledDate").empty()) return true;
  const std::string status = string_field(addition, "agreementStatus");
  return status == "Cancelled" || status == "Expired" || status == "Inactive";
}

double quantity_of(const json& addition) {
  auto it = addition.find("quantity");
  return it != addition.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::string text(const json& line, const char* key) {
  if (!line.is_object() || !line.contains(key)) {
    throw meterbridge::Error(MB_E_INVALID_ARGUMENT, std::string("line without '") + key + "'");
  }
  const json& v = line[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  throw meterbridge::Error(MB_E_INVALID_ARGUMENT,
                           std::string("line field '") + key + "' is not a string");
}

// The operator's target agreement of a line ("target", optional); "" when none.
std::string target_of(const json& line) {
  return line.is_object() && line.contains("target") ? text(line, "target") : std::string();
}

bool is_date(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (d[i] < '0' || d[i] > '9') return false;
  }
  return true;
}

json error_line(const json& key, const std::string& message) {
  return {{"key", key},        {"before", nullptr}, {"after", nullptr},
          {"action", "error"}, {"ref", ""},         {"message", message}};
}

}  // namespace

std::string Sink::Target::ref() const {
  return std::to_string(agreement) + "/" + (addition ? std::to_string(id_of(*addition)) : "");
}

Sink::Sink(meterbridge::Host host, Client& client, SinkSettings settings)
    : host_(host), client_(client), settings_(std::move(settings)) {}

std::string Sink::agreement_conditions(const std::vector<std::string>& company_ids) const {
  std::string ids;
  for (const auto& id : company_ids) ids += (ids.empty() ? "" : ",") + id;
  return "company/id in (" + ids +
         ") and agreementStatus=\"Active\" and type/name=" + quote(settings_.agreement_type);
}

void Sink::load_agreements(const json& lines) {
  std::vector<std::string> wanted;
  for (const json& l : lines) {
    if (!l.is_object() || !l.contains("company_id") || !l["company_id"].is_string()) continue;
    const std::string company = l["company_id"];
    if (!is_numeric_id(company) || seen_.agreements.count(company)) continue;
    if (l.contains("target")) continue;  // the operator named its agreement: fetched by id
    seen_.agreements[company];           // known now, even with no agreement
    wanted.push_back(company);
  }
  // 100 ids keep the URL far below the limits of ConnectWise's front end.
  for (size_t i = 0; i < wanted.size(); i += 100) {
    std::vector<std::string> chunk(
        wanted.begin() + static_cast<std::ptrdiff_t>(i),
        wanted.begin() + static_cast<std::ptrdiff_t>(std::min(wanted.size(), i + 100)));
    for (json& a : client_.list("/finance/agreements", agreement_conditions(chunk))) {
      // Only an integer company id (a float like 1e300 would not convert to int64).
      const std::string company = a.contains("company") && id_of(a["company"]) > 0
                                      ? std::to_string(id_of(a["company"]))
                                      : std::string();
      auto it = seen_.agreements.find(company);
      if (it != seen_.agreements.end()) it->second.push_back(std::move(a));
    }
  }
}

const std::vector<json>& Sink::agreements_of(const std::string& company) {
  auto it = seen_.agreements.find(company);
  if (it == seen_.agreements.end()) {
    it = seen_.agreements
             .emplace(company, client_.list("/finance/agreements", agreement_conditions({company})))
             .first;
  }
  return it->second;
}

std::vector<json>& Sink::additions_of(int64_t agreement) {
  auto it = seen_.additions.find(agreement);
  if (it == seen_.additions.end()) {
    it = seen_.additions
             .emplace(agreement,
                      client_.list(
                          "/finance/agreements/" + std::to_string(agreement) + "/additions", ""))
             .first;
  }
  return it->second;
}

bool Sink::marked(const json& addition) const {
  const std::string d = string_field(addition, "invoiceDescription");
  return d.rfind("[" + settings_.marker + "]", 0) == 0 ||
         d.rfind("[" + settings_.marker + " #", 0) == 0;
}

int64_t Sink::intent_of(const json& addition) const {
  const std::string d = string_field(addition, "invoiceDescription");
  const std::string prefix = "[" + settings_.marker + " #";
  if (d.rfind(prefix, 0) != 0) return 0;
  int64_t id = 0;
  for (size_t i = prefix.size(); i < d.size() && d[i] != ']'; ++i) {
    if (d[i] < '0' || d[i] > '9' || id > 100000000000000) return 0;
    id = id * 10 + (d[i] - '0');
  }
  return id;
}

std::string Sink::marker_text(const json& line) const {
  // The journal intent that creates the addition, so a late-landing write can be tied to it.
  if (line.contains("intent_id") && line["intent_id"].is_number_integer()) {
    return "[" + settings_.marker + " #" + std::to_string(line["intent_id"].get<int64_t>()) + "] ";
  }
  return "[" + settings_.marker + "] ";
}

void Sink::record(const std::string& company, const std::string& line, int64_t agreement,
                  int64_t addition) const {
  host_.state_put("addition/" + company + "/" + line,
                  json{{"agreement", agreement}, {"addition", addition}}.dump());
}

void Sink::remember(int64_t agreement, const json& addition) {
  if (id_of(addition) <= 0) return;
  std::vector<json>& known = additions_of(agreement);
  for (json& a : known) {
    if (id_of(a) == id_of(addition)) {
      a = addition;
      return;
    }
  }
  known.push_back(addition);
}

std::string Sink::check_target(const std::string& company, const std::string& target,
                               int64_t& agreement) {
  const std::string named = "agreement " + target + " (the target set for company " + company +
                            " with `meterbridge psa target`)";
  if (!is_numeric_id(target)) return named + " is not a ConnectWise agreement id (a number)";
  auto it = seen_.targets.find(target);
  if (it == seen_.targets.end()) {
    json found = client_.get_optional("/finance/agreements/" + target).value_or(json());
    it = seen_.targets.emplace(target, std::move(found)).first;
  }
  const json& a = it->second;
  if (!a.is_object()) return named + " does not exist";
  const int64_t owner = a.contains("company") ? id_of(a["company"]) : 0;
  if (std::to_string(owner) != company) {
    return named + " belongs to company " + std::to_string(owner) + ", not " + company;
  }
  const std::string status = string_field(a, "agreementStatus");
  if (status != "Active") return named + " is not active (status '" + status + "')";
  agreement = id_of(a);
  return "";
}

Sink::Target Sink::resolve(const std::string& company, const std::string& line,
                           const std::string& target) {
  Target t;
  if (!is_numeric_id(company)) {
    t.error = "company id '" + company + "' is not a ConnectWise company id (a number)";
    return t;
  }
  if (!target.empty()) {
    // The operator's choice, of any type: it replaces the single-active-agreement rule.
    t.error = check_target(company, target, t.agreement);
    return t.error.empty() ? resolve_addition(std::move(t), company, line) : t;
  }
  const std::vector<json>& agreements = agreements_of(company);
  if (agreements.empty()) {
    t.error = "no active '" + settings_.agreement_type + "' agreement for company " + company;
    return t;
  }
  if (agreements.size() > 1) {
    std::string ids;
    for (const json& a : agreements) ids += (ids.empty() ? "" : ", ") + std::to_string(id_of(a));
    t.error = "several active '" + settings_.agreement_type + "' agreements for company " +
              company + ": " + ids + "; refusing to guess";
    return t;
  }
  t.agreement = id_of(agreements.front());
  return resolve_addition(std::move(t), company, line);
}

Sink::Target Sink::resolve_addition(Target t, const std::string& company, const std::string& line) {
  const std::vector<json>& additions = additions_of(t.agreement);

  // The addition recorded in state, when it is still on this agreement.
  int64_t recorded_id = 0;
  if (std::optional<std::string> saved = host_.state_get("addition/" + company + "/" + line)) {
    json s = json::parse(*saved, nullptr, false);
    if (s.is_object() && s.value("agreement", int64_t{0}) == t.agreement) {
      recorded_id = s.value("addition", int64_t{0});
    }
  }
  // Every active marked addition of the product, whatever the state says: a create that landed
  // after its answer was lost makes a second one, and trusting the recorded id would hide it.
  std::vector<json> owned;
  std::optional<json> recorded;
  for (const json& a : additions) {
    if (product_identifier(a) != line || !marked(a)) continue;
    if (!cancelled(a)) owned.push_back(a);
    if (recorded_id > 0 && id_of(a) == recorded_id) recorded = a;
  }
  if (owned.empty()) {
    t.addition = std::move(recorded);  // cancelled, or nothing
    return t;
  }
  std::sort(owned.begin(), owned.end(),
            [](const json& a, const json& b) { return id_of(a) < id_of(b); });
  auto kept = std::find_if(owned.begin(), owned.end(),
                           [&](const json& a) { return id_of(a) == recorded_id; });
  if (kept == owned.end()) {
    // No active recorded addition: adopt the oldest marked one (after a crash or a lost answer
    // of a POST); an unmarked addition is never a candidate.
    kept = owned.begin();
    host_.info("adopting ConnectWise addition " + std::to_string(id_of(*kept)) + " (marked [" +
               settings_.marker + "]) for company " + company + ", product " + line);
    record(company, line, t.agreement, id_of(*kept));
  }
  t.addition = *kept;
  t.active = true;
  t.quantity = quantity_of(*kept);
  for (auto it = owned.begin(); it != owned.end(); ++it) {
    if (it != kept) t.duplicates.push_back(*it);
  }
  return t;
}

json Sink::read(const json& lines) {
  seen_ = Seen{};
  load_agreements(lines);
  json out = json::array();
  for (const json& l : lines) {
    host_.throw_if_cancelled();
    const json key = l.is_object() && l.contains("key") ? l["key"] : json(nullptr);
    Target t = resolve(text(l, "company_id"), text(l, "line_id"), target_of(l));
    if (!t.error.empty()) {
      out.push_back({{"key", key}, {"error", t.error}});
      continue;
    }
    json answer = {
        {"key", key}, {"quantity", t.active ? json(t.quantity) : json(nullptr)}, {"ref", t.ref()}};
    if (!t.duplicates.empty()) {
      json duplicates = json::array();
      for (const json& d : t.duplicates) {
        json dup = {{"ref", std::to_string(t.agreement) + "/" + std::to_string(id_of(d))},
                    {"quantity", quantity_of(d)}};
        if (const int64_t intent = intent_of(d)) dup["intent_id"] = intent;
        duplicates.push_back(std::move(dup));
      }
      answer["duplicates"] = std::move(duplicates);
    }
    out.push_back(std::move(answer));
  }
  return out;
}

std::string Sink::line_name(const std::string& line) {
  auto it = line_names_.find(line);
  if (it != line_names_.end()) return it->second;
  std::vector<json> items = client_.list("/procurement/catalog", "identifier=" + quote(line), 1);
  std::string name = items.empty() ? "" : string_field(items.front(), "description");
  return line_names_[line] = name.empty() ? line : name;
}

json Sink::apply_line(const json& l, bool& wrote) {
  const json key = l.contains("key") ? l["key"] : json(nullptr);
  const std::string company = text(l, "company_id");
  const std::string line = text(l, "line_id");
  if (!l.contains("quantity") || !l["quantity"].is_number() ||
      !std::isfinite(l["quantity"].get<double>()) || l["quantity"].get<double>() < 0) {
    return error_line(key, "quantity must be a non-negative number");
  }
  const double want = l["quantity"].get<double>();
  const std::string date = l.value("effective_date", std::string());
  if (!is_date(date)) return error_line(key, "effective_date '" + date + "' is not YYYY-MM-DD");

  // Re-read what the PSA holds now; expected_quantity is never trusted.
  Target t = resolve(company, line, target_of(l));
  if (!t.error.empty()) return error_line(key, t.error);
  if (!t.duplicates.empty()) {
    return error_line(key, std::to_string(t.duplicates.size() + 1) +
                               " active marked additions for product '" + line + "' on agreement " +
                               std::to_string(t.agreement) +
                               "; nothing written until the duplicates are removed");
  }
  json answer = {
      {"key", key}, {"before", t.active ? json(t.quantity) : json(nullptr)}, {"ref", t.ref()}};
  const std::string additions = "/finance/agreements/" + std::to_string(t.agreement) + "/additions";

  if ((t.active && t.quantity == want) || (!t.active && want == 0)) {
    answer["action"] = "none";
    answer["after"] = t.active ? json(t.quantity) : json(nullptr);
    return answer;
  }
  if (want == 0) {  // a cancellation, never a quantity of 0
    const std::string id = std::to_string(id_of(*t.addition));
    wrote = true;
    remember(t.agreement,
             client_.patch(additions + "/" + id, json::array({{{"op", "replace"},
                                                               {"path", "cancelledDate"},
                                                               {"value", date + "T00:00:00Z"}}})));
    answer["action"] = "cancel";
    answer["after"] = 0;
    return answer;
  }
  if (t.active) {
    const std::string id = std::to_string(id_of(*t.addition));
    wrote = true;
    remember(
        t.agreement,
        client_.patch(additions + "/" + id,
                      json::array({{{"op", "replace"}, {"path", "quantity"}, {"value", want}}})));
    answer["action"] = "update";
    answer["after"] = want;
    return answer;
  }
  // Nothing owned (or only a cancelled one): create a new marked addition.
  std::string name = l.contains("line_name") && l["line_name"].is_string()
                         ? l["line_name"].get<std::string>()
                         : line_name(line);
  json body = {{"product", {{"identifier", line}}},
               {"quantity", want},
               {"billCustomer", "Billable"},
               {"effectiveDate", date + "T00:00:00Z"},
               {"invoiceDescription", marker_text(l) + name}};
  wrote = true;
  json created = client_.post(additions, body);
  remember(t.agreement, created);
  const int64_t id = id_of(created);
  if (id <= 0) {
    return error_line(key,
                      "ConnectWise answered the POST of the addition without an id; the "
                      "next read adopts it by its marker");
  }
  record(company, line, t.agreement, id);  // before answering: the next run finds it
  answer["action"] = "create";
  answer["after"] = want;
  answer["ref"] = std::to_string(t.agreement) + "/" + std::to_string(id);
  return answer;
}

json Sink::remove_line_duplicates(const json& l) {
  const json key = l.contains("key") ? l["key"] : json(nullptr);
  Target t = resolve(text(l, "company_id"), text(l, "line_id"), target_of(l));
  if (!t.error.empty()) return {{"key", key}, {"action", "error"}, {"message", t.error}};
  json answer = {{"key", key}, {"kept", t.active ? json(t.ref()) : json(nullptr)}};
  json removed = json::array();
  const std::string additions = "/finance/agreements/" + std::to_string(t.agreement) + "/additions";
  for (const json& d : t.duplicates) {
    // Cancelled on its own effective date: it bills nothing, and stays visible in ConnectWise.
    std::string date = string_field(d, "effectiveDate").substr(0, 10);
    if (!is_date(date)) date = text(l, "period_start");
    const std::string id = std::to_string(id_of(d));
    try {
      remember(t.agreement, client_.patch(additions + "/" + id,
                                          json::array({{{"op", "replace"},
                                                        {"path", "cancelledDate"},
                                                        {"value", date + "T00:00:00Z"}}})));
    } catch (const meterbridge::Error& e) {
      answer["action"] = "error";
      answer["message"] = "cancelling duplicate addition " + id + ": " + e.what();
      answer["removed"] = std::move(removed);
      return answer;
    }
    host_.info("cancelled duplicate ConnectWise addition " + id + " (dated " + date +
               ") on agreement " + std::to_string(t.agreement) + "; kept " + t.ref());
    removed.push_back(
        {{"ref", std::to_string(t.agreement) + "/" + id}, {"quantity", quantity_of(d)}});
  }
  answer["action"] = removed.empty() ? "none" : "removed";
  answer["removed"] = std::move(removed);
  return answer;
}

json Sink::remove_duplicates(const json& lines) {
  seen_ = Seen{};
  load_agreements(lines);
  json out = json::array();
  for (const json& l : lines) {
    host_.throw_if_cancelled();
    out.push_back(remove_line_duplicates(l));
  }
  return out;
}

json Sink::apply(const json& lines) {
  seen_ = Seen{};
  load_agreements(lines);
  json out = json::array();
  bool wrote = false;  // once something was written the call must answer, not fail
  for (const json& l : lines) {
    const json key = l.is_object() && l.contains("key") ? l["key"] : json(nullptr);
    if (host_.cancelled()) {
      // The host is stopping (SIGTERM of serve): the lines written so far are answered with what
      // they did, so the journal records them; the rest were certainly not sent.
      if (!wrote) host_.throw_if_cancelled();
      out.push_back(meterbridge::sink_error_line(key, "not attempted: cancelled by the host",
                                                 MB_E_CANCELLED));
      continue;
    }
    bool sent = false;  // this line sent a write
    try {
      out.push_back(apply_line(l, sent));
      wrote = wrote || sent;
    } catch (const meterbridge::HttpError& e) {
      // A refusal of this line's request fails the line only; else the run, unless written.
      wrote = wrote || sent;
      if (!refused_request(e) && !wrote) throw;
      host_.warn("line " + key.dump() + ": " + e.what());
      out.push_back(meterbridge::sink_error_line(key, e.what(), e.status()));
    } catch (const meterbridge::NoResponseError& e) {
      // A write this line sent got no answer: it may still land.
      wrote = wrote || sent;
      if (!wrote) throw;
      out.push_back(meterbridge::sink_error_line(key, e.what(), e.status(), sent));
    } catch (const meterbridge::Error& e) {
      wrote = wrote || sent;
      if (!wrote) throw;
      out.push_back(meterbridge::sink_error_line(key, e.what(), e.status()));
    }
  }
  return out;
}

}  // namespace connectwise_manage
