// autotask: read and apply on Recurring Service contracts. See at_sink.hpp.
#include "at_sink.hpp"

#include "at_errors.hpp"
#include "concurrent.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <ctime>
#include <mutex>
#include <set>

namespace autotask {
namespace {

// Ids per query: well under the 500 values an `in` condition takes, and small enough that the
// chunks of one read run side by side on the three threads Autotask allows per endpoint.
constexpr size_t kIdsPerQuery = 125;
constexpr size_t kThreadsPerEndpoint = 3;

std::string string_field(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<int64_t> int_field(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

std::string date_of(const json& j, const char* key) {
  std::string d = string_field(j, key).substr(0, 10);
  return d.size() == 10 && d[4] == '-' && d[7] == '-' ? d : std::string();
}

bool is_date(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (d[i] < '0' || d[i] > '9') return false;
  }
  return true;
}

std::optional<int64_t> numeric_id(const std::string& text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoll(text);
}

std::string id_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return {};
}

template <class T>
std::vector<std::vector<T>> chunks(const std::vector<T>& all, size_t size) {
  std::vector<std::vector<T>> out;
  for (size_t i = 0; i < all.size(); i += size) {
    out.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(i),
                     all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), i + size)));
  }
  return out;
}

// Runs one query per chunk of ids, three at a time, and returns every record.
std::vector<json> query_by_ids(Client& client, const std::string& entity, const std::string& field,
                               const std::vector<int64_t>& ids, const json& more_filter,
                               const std::vector<std::string>& fields) {
  const auto parts = chunks(ids, kIdsPerQuery);
  std::vector<std::vector<json>> found(parts.size());
  for_each_concurrently(parts.size(), kThreadsPerEndpoint, [&](size_t i) {
    Query q;
    q.entity = entity;
    q.filter = json::array({{{"op", "in"}, {"field", field}, {"value", parts[i]}}});
    for (const json& f : more_filter) q.filter.push_back(f);
    q.include_fields = fields;
    found[i] = client.query(q);
  });
  std::vector<json> all;
  for (auto& part : found) {
    for (auto& item : part) all.push_back(std::move(item));
  }
  return all;
}

json error_answer(const json& key, const std::string& message) {
  return {{"key", key},        {"before", nullptr}, {"after", nullptr},
          {"action", "error"}, {"ref", ""},         {"message", message}};
}

}  // namespace

std::string utc_text(int64_t unix_ms, const char* format) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

Contract contract_from(const json& item) {
  Contract c;
  c.id = int_field(item, "id").value_or(0);
  c.company = int_field(item, "companyID").value_or(0);
  c.name = string_field(item, "contractName");
  c.type = int_field(item, "contractType").value_or(0);
  c.status = int_field(item, "status").value_or(0);
  c.category = int_field(item, "contractCategory");
  c.start = date_of(item, "startDate");
  c.end = date_of(item, "endDate");
  return c;
}

bool is_billing_contract(const Contract& c, const SinkSettings& s) {
  return c.type == 7 && c.status == 1 &&
         (!s.contract_category || (c.category && *c.category == *s.contract_category));
}

bool covers(const Contract& c, const std::string& from, const std::string& to) {
  return !c.start.empty() && !c.end.empty() && c.start <= to && c.end >= from;
}

std::vector<const Contract*> billing_candidates(const std::vector<Contract>& contracts,
                                                const SinkSettings& s, const std::string& from,
                                                const std::string& to) {
  std::vector<const Contract*> out;
  for (const Contract& c : contracts) {
    if (is_billing_contract(c, s) && covers(c, from, to)) out.push_back(&c);
  }
  return out;
}

json contract_filter(const std::vector<int64_t>& companies, const SinkSettings& s,
                     const std::string& from) {
  json f = json::array({{{"op", "in"}, {"field", "companyID"}, {"value", companies}},
                        {{"op", "eq"}, {"field", "contractType"}, {"value", 7}},
                        {{"op", "eq"}, {"field", "status"}, {"value", 1}}});
  if (!from.empty()) f.push_back({{"op", "gte"}, {"field", "endDate"}, {"value", from}});
  if (s.contract_category) {
    f.push_back({{"op", "eq"}, {"field", "contractCategory"}, {"value", *s.contract_category}});
  }
  return f;
}

const std::vector<std::string> kContractFields = {"companyID",       "contractName", "contractType",
                                                  "status",          "startDate",    "endDate",
                                                  "contractCategory"};

struct Sink::Line {
  json key;
  std::string company_text, service_text;
  int64_t company = 0;
  int64_t service = 0;
  std::optional<int64_t> target;
  std::string from, to;  // the billing period
  std::string error;     // the line cannot be read as asked
  // apply
  int64_t quantity = 0;
  int64_t intent = 0;
  std::optional<double> unit_price;
};

std::string Sink::Target::ref() const {
  if (!contract) return "";
  return std::to_string(contract->id) + "/" + (service ? std::to_string(service->id) : "");
}

Sink::Sink(meterbridge::Host host, Client& client, SinkSettings settings)
    : host_(host), client_(client), settings_(std::move(settings)) {}

std::vector<Sink::Line> Sink::parse_lines(const json& lines, bool for_apply) const {
  std::vector<Line> out;
  for (const json& item : lines) {
    Line l;
    if (!item.is_object()) {
      l.error = "a line is not a JSON object";
      out.push_back(std::move(l));
      continue;
    }
    l.key = item.value("key", json(nullptr));
    l.company_text = id_text(item.value("company_id", json()));
    l.service_text = id_text(item.value("line_id", json()));
    l.from = item.value("period_start", std::string());
    l.to = item.value("period_end", std::string());
    const auto company = numeric_id(l.company_text);
    const auto service = numeric_id(l.service_text);
    if (!company) {
      l.error = "company id '" + l.company_text + "' is not an Autotask company id (a number)";
    } else if (!service) {
      l.error = "line id '" + l.service_text + "' is not an Autotask service id (a number)";
    } else if (!is_date(l.from) || !is_date(l.to) || l.from > l.to) {
      l.error = "period_start/period_end are not a YYYY-MM-DD range";
    }
    l.company = company.value_or(0);
    l.service = service.value_or(0);
    if (item.contains("target") && !item["target"].is_null()) {
      l.target = numeric_id(id_text(item["target"]));
      if (!l.target) l.error = "target '" + item["target"].dump() + "' is not a contract id";
    }
    if (for_apply && l.error.empty()) {
      const json& q = item.value("quantity", json());
      if (!q.is_number() || !std::isfinite(q.get<double>()) || q.get<double>() < 0 ||
          q.get<double>() != std::floor(q.get<double>()) || q.get<double>() > INT_MAX) {
        l.error = "quantity must be a whole number of units from 0 (Autotask adjusts whole units)";
      } else {
        l.quantity = static_cast<int64_t>(q.get<double>());
      }
      l.intent = item.value("intent_id", json()).is_number_integer()
                     ? item["intent_id"].get<int64_t>()
                     : 0;
      if (item.contains("unit_price") && item["unit_price"].is_number()) {
        l.unit_price = item["unit_price"].get<double>();
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}

void Sink::load_contracts(const std::vector<Line>& lines) {
  std::set<int64_t> companies, targets;
  std::string from;
  for (const Line& l : lines) {
    if (!l.error.empty()) continue;
    if (l.target && !targets_.count(*l.target)) targets.insert(*l.target);
    if (!l.target && !company_contracts_.count(l.company)) companies.insert(l.company);
    if (from.empty() || l.from < from) from = l.from;
  }
  if (!companies.empty()) {
    // One query per chunk of companies; the contracts are structure, read once per instance
    // (a sync), while units are read again before every write.
    std::vector<int64_t> ids(companies.begin(), companies.end());
    const auto parts = chunks(ids, 500);
    std::vector<std::vector<json>> found(parts.size());
    for_each_concurrently(parts.size(), kThreadsPerEndpoint, [&](size_t i) {
      Query q;
      q.entity = "Contracts";
      q.filter = contract_filter(parts[i], settings_, from);
      q.include_fields = kContractFields;
      found[i] = client_.query(q);
    });
    for (int64_t c : ids) company_contracts_[c];
    for (auto& part : found) {
      for (const json& item : part) {
        Contract c = contract_from(item);
        auto it = company_contracts_.find(c.company);
        if (it != company_contracts_.end()) it->second.push_back(std::move(c));
      }
    }
  }
  if (!targets.empty()) {
    std::vector<int64_t> ids(targets.begin(), targets.end());
    for (const json& item :
         query_by_ids(client_, "Contracts", "id", ids, json::array(), kContractFields)) {
      Contract c = contract_from(item);
      targets_[c.id] = c;
    }
  }
}

const Contract* Sink::choose(const Line& l, std::string& error) const {
  if (l.target) {
    auto it = targets_.find(*l.target);
    const std::string name = "contract " + std::to_string(*l.target) + " (assigned by psa target)";
    if (it == targets_.end()) {
      error = name + " does not exist in Autotask";
    } else if (it->second.company != l.company) {
      error = name + " belongs to company " + std::to_string(it->second.company) + ", not " +
              l.company_text;
    } else if (it->second.type != 7) {
      error = name + " is not a Recurring Service contract (contractType " +
              std::to_string(it->second.type) + ", not 7)";
    } else if (it->second.status != 1) {
      error = name + " is not active (status " + std::to_string(it->second.status) + ")";
    } else if (!covers(it->second, l.from, l.to)) {
      error = name + " runs " + it->second.start + ".." + it->second.end + ", outside the period " +
              l.from + ".." + l.to;
    } else {
      return &it->second;
    }
    return nullptr;
  }
  auto it = company_contracts_.find(l.company);
  static const std::vector<Contract> kNone;
  const auto found = billing_candidates(it == company_contracts_.end() ? kNone : it->second,
                                        settings_, l.from, l.to);
  const std::string category = settings_.contract_category
                                   ? " of category " + std::to_string(*settings_.contract_category)
                                   : std::string();
  const std::string scope =
      category + " covering " + l.from + ".." + l.to + " for company " + l.company_text;
  if (found.empty()) {
    error = "no active Recurring Service contract" + scope;
    return nullptr;
  }
  if (found.size() > 1) {
    std::string ids;
    for (const Contract* c : found) ids += (ids.empty() ? "" : ", ") + std::to_string(c->id);
    error = "several active Recurring Service contracts" + scope + ": " + ids +
            "; refusing to guess (assign one with `meterbridge psa target " + l.company_text +
            " --contract ID`)";
    return nullptr;
  }
  return found.front();
}

std::vector<int64_t> Sink::contracts_of(const std::vector<Line>& lines) {
  std::set<int64_t> ids;
  for (const Line& l : lines) {
    std::string error;
    if (!l.error.empty()) continue;
    if (const Contract* c = choose(l, error)) ids.insert(c->id);
  }
  return {ids.begin(), ids.end()};
}

void Sink::load_holdings(const std::vector<Line>& lines, bool services) {
  const std::vector<int64_t> contracts = contracts_of(lines);
  if (contracts.empty()) return;
  std::string from, to;
  for (const Line& l : lines) {
    if (!l.error.empty()) continue;
    if (from.empty() || l.from < from) from = l.from;
    if (to.empty() || l.to > to) to = l.to;
  }
  std::vector<json> service_items, unit_items;
  // Contract services and their units are two endpoints: read side by side.
  for_each_concurrently(services ? 2 : 1, 2, [&](size_t which) {
    if (which == 1) {
      service_items =
          query_by_ids(client_, "ContractServices", "contractID", contracts, json::array(),
                       {"contractID", "serviceID", "internalDescription"});
      return;
    }
    unit_items = query_by_ids(
        client_, "ContractServiceUnits", "contractID", contracts,
        json::array({{{"op", "lte"}, {"field", "startDate"}, {"value", to}},
                     {{"op", "gte"}, {"field", "endDate"}, {"value", from}}}),
        {"contractID", "contractServiceID", "serviceID", "startDate", "endDate", "units"});
  });
  std::set<int64_t> known_services;
  if (services) {
    for (int64_t c : contracts) services_[c].clear();
    for (const json& item : service_items) {
      ContractService cs{
          int_field(item, "id").value_or(0), int_field(item, "contractID").value_or(0),
          int_field(item, "serviceID").value_or(0), string_field(item, "internalDescription")};
      services_[cs.contract].push_back(std::move(cs));
    }
  }
  for (int64_t c : contracts) {
    for (const ContractService& cs : services_[c]) {
      known_services.insert(cs.id);
      units_[cs.id].clear();
    }
  }
  bool unknown = false;  // a contract service created since the services were read
  for (const json& item : unit_items) {
    UnitsRow row{int_field(item, "contractServiceID").value_or(0), date_of(item, "startDate"),
                 date_of(item, "endDate"), int_field(item, "units").value_or(0)};
    if (!known_services.count(row.contract_service)) unknown = true;
    units_[row.contract_service].push_back(std::move(row));
  }
  if (unknown && !services) load_holdings(lines, true);
}

bool Sink::owned(const ContractService& cs) {
  if (cs.internal_description.rfind("[" + settings_.marker, 0) == 0) return true;
  const std::string key = "owned/" + std::to_string(cs.id);
  if (auto v = host_.state_get(key); v && !v->empty()) return true;
  const std::string claim =
      "claim/" + std::to_string(cs.contract) + "/" + std::to_string(cs.service);
  if (auto v = host_.state_get(claim); v && !v->empty()) {
    // An adjustment of ours created it (a crash may have hidden its answer): ours for good.
    host_.state_put(key,
                    json{{"how", "created"}, {"claim", json::parse(*v, nullptr, false)}}.dump());
    return true;
  }
  return false;
}

Sink::Target Sink::resolve(const Line& l) {
  Target t;
  if (!l.error.empty()) {
    t.error = l.error;
    return t;
  }
  t.contract = choose(l, t.error);
  if (!t.contract) return t;
  t.effective = std::max(t.contract->start, l.from);
  // find, never operator[]: apply resolves lines on several threads at once.
  if (auto it = services_.find(t.contract->id); it != services_.end()) {
    for (const ContractService& cs : it->second) {
      if (cs.service == l.service) t.service = cs;
    }
  }
  if (!t.service) return t;
  if (!owned(*t.service)) {
    t.error = "contract service " + std::to_string(t.service->id) + " (service " + l.service_text +
              ") on contract " + std::to_string(t.contract->id) +
              " was not created by meterbridge (a manual entry or another integration); "
              "nothing written. Let meterbridge adjust it with `meterbridge psa adopt " +
              l.company_text + " " + l.service_text + "`, or remove it from the contract";
    return t;
  }
  if (auto it = units_.find(t.service->id); it != units_.end()) {
    for (const UnitsRow& row : it->second) {
      if (row.start <= t.effective && t.effective <= row.end) t.units = row.units;
    }
  }
  if (!t.units) {
    t.error = "Autotask has no ContractServiceUnits row of contract service " +
              std::to_string(t.service->id) + " covering " + t.effective;
  }
  return t;
}

json Sink::read(const json& request_lines) {
  const std::vector<Line> lines = parse_lines(request_lines, false);
  load_contracts(lines);
  load_holdings(lines, true);
  json out = json::array();
  for (const Line& l : lines) {
    host_.throw_if_cancelled();
    Target t = resolve(l);
    if (!t.error.empty()) {
      out.push_back({{"key", l.key}, {"error", t.error}});
      continue;
    }
    out.push_back(
        {{"key", l.key}, {"quantity", t.units ? json(*t.units) : json(nullptr)}, {"ref", t.ref()}});
  }
  return out;
}

void Sink::check_threshold(int64_t writes) {
  if (!threshold_refusal_.empty()) throw meterbridge::Error(MB_E_RATE_LIMITED, threshold_refusal_);
  if (threshold_checked_) return;
  const Threshold t = client_.threshold();
  threshold_checked_ = true;
  // Every write posts one adjustment; each batch re-reads its units (about one call per 64).
  const int64_t needed = writes + writes / 64 + 3;
  const int64_t left = t.limit - t.used;
  if (needed <= left) return;
  threshold_refusal_ =
      "this sync needs about " + std::to_string(needed) + " Autotask API calls but only " +
      std::to_string(std::max<int64_t>(0, left)) + " of the hourly threshold of " +
      std::to_string(t.limit) + " are left (" + std::to_string(t.used) + " used in the rolling " +
      std::to_string(t.timeframe_minutes) +
      "-minute window, by every integration of the database); nothing was written. The window "
      "frees as calls age out, completely by " +
      utc_text(host_.now_unix_ms() + t.timeframe_minutes * 60000, "%Y-%m-%d %H:%M UTC") +
      "; run the sync again then";
  throw meterbridge::Error(MB_E_RATE_LIMITED, threshold_refusal_);
}

json Sink::apply_line(const Line& l, bool& run_wide, json& failure) {
  Target t = resolve(l);
  if (!t.error.empty()) return error_answer(l.key, t.error);
  const int64_t held = t.units.value_or(0);
  json answer = {
      {"key", l.key}, {"before", t.service ? json(held) : json(nullptr)}, {"ref", t.ref()}};
  if (held == l.quantity) {
    answer["action"] = "none";
    answer["after"] = answer["before"];
    answer["delta"] = 0;
    return answer;
  }
  const int64_t delta = l.quantity - held;
  json body = {{"contractID", t.contract->id},
               {"serviceID", l.service},
               {"effectiveDate", t.effective + "T00:00:00"},
               {"unitChange", delta}};
  if (t.service) body["contractServiceID"] = t.service->id;
  // The price only of a contract service this adjustment creates: an existing one keeps the
  // price it has on the contract, which may be negotiated for this customer.
  if (!t.service && l.unit_price) body["adjustedUnitPrice"] = *l.unit_price;
  const std::string claim =
      "claim/" + std::to_string(t.contract->id) + "/" + std::to_string(l.service);
  if (!t.service) {
    // Before the POST: the adjustment creates the contract service, and a crash or a lost
    // answer must not make it look like someone else's on the next read.
    host_.state_put(claim, json{{"intent", l.intent}, {"at", host_.now_unix_ms()}}.dump());
  }
  try {
    client_.post("/ContractServiceAdjustments", body);
  } catch (const meterbridge::HttpError& e) {
    if (e.status() == MB_E_INVALID_ARGUMENT) {
      if (!t.service) host_.state_put(claim, "");  // refused: nothing was created
      return meterbridge::sink_error_line(l.key, e.what(), e.status());
    }
    run_wide = true;
    failure = {{"message", e.what()}, {"status", e.status()}};
    return meterbridge::sink_error_line(l.key, e.what(), e.status(), may_have_landed(e));
  } catch (const meterbridge::Error& e) {
    // No answer, or one that cannot be read (a 200 with a broken body): the adjustment was
    // sent and may have been applied. Cancelled before sending is certain, anything else is not.
    const bool sent = e.status() != MB_E_CANCELLED;
    run_wide = true;
    failure = {{"message", e.what()}, {"status", e.status()}};
    return meterbridge::sink_error_line(l.key, e.what(), e.status(), sent);
  }
  answer["action"] = !t.service ? "create" : l.quantity == 0 ? "cancel" : "update";
  answer["after"] = l.quantity;
  answer["delta"] = delta;
  return answer;
}

json Sink::apply(const json& request_lines, std::optional<int64_t> writes_left) {
  const std::vector<Line> lines = parse_lines(request_lines, true);
  // Re-read before writing: the contracts once per instance, the units of these contracts now.
  load_contracts(lines);
  load_holdings(lines, services_.empty());
  check_threshold(std::max<int64_t>(writes_left.value_or(0), static_cast<int64_t>(lines.size())));

  std::vector<json> out(lines.size());
  std::atomic<bool> stop{false};
  std::mutex mutex;
  json failure;  // the first run-wide failure: lines not yet attempted are answered with it
  for_each_concurrently(lines.size(), kThreadsPerEndpoint, [&](size_t i) {
    if (stop.load() || host_.cancelled()) {
      std::lock_guard lock(mutex);
      const std::string why =
          failure.is_null() ? "cancelled by the host" : failure["message"].get<std::string>();
      out[i] = meterbridge::sink_error_line(
          lines[i].key, "not attempted after an earlier failure of this batch: " + why,
          failure.is_null() ? MB_E_CANCELLED
                            : static_cast<mb_status>(failure["status"].get<int>()));
      return;
    }
    bool run_wide = false;
    json this_failure;
    json answer = apply_line(lines[i], run_wide, this_failure);
    std::lock_guard lock(mutex);
    if (run_wide) {
      stop = true;
      if (failure.is_null()) failure = this_failure;
    }
    out[i] = std::move(answer);
  });
  return json(std::move(out));
}

json Sink::adopt(const json& r) {
  json lines = json::array({{{"key", "adopt"},
                             {"company_id", r.value("company_id", json())},
                             {"line_id", r.value("line_id", json())},
                             {"target", r.value("target", json())}}});
  const std::string day = r.contains("date") && r["date"].is_string()
                              ? r["date"].get<std::string>()
                              : utc_text(host_.now_unix_ms(), "%Y-%m-%d");
  lines[0]["period_start"] = lines[0]["period_end"] = day;
  std::vector<Line> parsed = parse_lines(lines, false);
  if (!parsed[0].error.empty()) throw meterbridge::Error(MB_E_INVALID_ARGUMENT, parsed[0].error);
  load_contracts(parsed);
  load_holdings(parsed, true);
  std::string error;
  const Contract* c = choose(parsed[0], error);
  if (!c) throw meterbridge::Error(MB_E_NOT_FOUND, error);
  const ContractService* found = nullptr;
  for (const ContractService& cs : services_[c->id]) {
    if (cs.service == parsed[0].service) found = &cs;
  }
  if (!found) {
    return {
        {"adopted", false},
        {"ref", std::to_string(c->id) + "/"},
        {"message", "contract " + std::to_string(c->id) + " has no contract service of service " +
                        parsed[0].service_text +
                        "; nothing to adopt (the first sync creates it through an adjustment)"}};
  }
  const bool already = owned(*found);
  if (!already) {
    host_.state_put("owned/" + std::to_string(found->id),
                    json{{"how", "adopted"}, {"at", host_.now_unix_ms()}}.dump());
    host_.info("adopted Autotask contract service " + std::to_string(found->id) + " on contract " +
               std::to_string(c->id));
  }
  json answer = {{"adopted", true},
                 {"ref", std::to_string(c->id) + "/" + std::to_string(found->id)},
                 {"message", std::string(already ? "already adjusted by meterbridge: " : "") +
                                 "contract service " + std::to_string(found->id) + " (service " +
                                 parsed[0].service_text + ") on contract " + std::to_string(c->id) +
                                 " (" + c->name + ")"}};
  for (const UnitsRow& row : units_[found->id]) {
    if (row.start <= day && day <= row.end) answer["units"] = row.units;
  }
  return answer;
}

}  // namespace autotask
