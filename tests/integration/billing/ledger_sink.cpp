// Test fixture: a PSA stand-in kept in a JSON file (the "ledger"), for the billing tests.
// It behaves as a sink must: read before write, write only the difference, own what it
// created. quantity_model "absolute" stores a quantity per line (ConnectWise additions);
// "delta" only appends signed adjustments (Autotask contract service adjustments), so a
// double-applied delta would show as a wrong sum.
// Faults on request: crash_after_writes kills the process (SIGKILL) right after the Nth write
// is on disk and before the host hears of it; fail_companies makes writes of those fail.
// It keeps what the host sent that tests check: each line's "target" by company ("targets")
// and each apply call's "writes_left". setup_ops "connectwise" or "autotask" answers the psa
// setup operations under that PSA's names (and the other's are unsupported); "adopt": true
// offers the adopt operation (recorded in "adopted"); setup_ops also names the PSA in discover.
#include <meterbridge/plugin.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

using meterbridge::json;

class LedgerSink : public meterbridge::SinkPlugin {
 public:
  LedgerSink(meterbridge::Host host, const json& settings)
      : host_(host),
        settings_(settings),
        file_(settings.at("ledger_file").get<std::string>()),
        delta_(settings.value("quantity_model", "absolute") == "delta"),
        crash_after_(settings.value("crash_after_writes", 0)) {}

  // check_error: the check fails as a PSA refusing the credentials would (serve's /readyz).
  json check() override {
    if (settings_.contains("check_error"))
      throw meterbridge::Error(MB_E_AUTH, settings_["check_error"].get<std::string>());
    return {{"ledger_file", file_}};
  }

  json invoke(const std::string& op, const json& request) override {
    if (op == "apply" || op == "read") {
      json ledger = load();
      if (op == "apply") ledger["writes_left"].push_back(request.value("writes_left", json()));
      for (const auto& l : request.value("lines", json::array())) {
        if (l.contains("target")) ledger["targets"][l.value("company_id", "")] = l["target"];
      }
      save(ledger);
      return SinkPlugin::invoke(op, request);
    }
    if (op == "adopt" && settings_.value("adopt", false)) return adopt(request);
    if (op == "post_summary") return post_summary(request);
    const std::string setup = settings_.value("setup_ops", "");
    if (setup == "connectwise" || setup == "autotask") {
      json answer = setup_answer(setup == "autotask", op, request);
      if (!answer.is_null()) return answer;
    }
    return SinkPlugin::invoke(op, request);
  }

  json discover() override {
    json answer = {{"companies", settings_.value("companies", json::array())},
                   {"lines", settings_.value("lines", json::array())},
                   {"quantity_model", delta_ ? "delta" : "absolute"}};
    // The PSA it stands in for (psa-catalog.v1 "psa"), so map auto follows psa_hints to it.
    const std::string setup = settings_.value("setup_ops", "");
    if (!setup.empty()) answer["psa"] = setup;
    return answer;
  }

  json read(const json& lines) override {
    json ledger = load();
    json out = json::array();
    for (const auto& l : lines) {
      json answer = {{"key", l.at("key")}};
      const json* entry = find(ledger, l);
      answer["quantity"] = entry ? json(quantity_of(*entry)) : json(nullptr);
      answer["ref"] = entry ? (*entry)["ref"] : json("");
      out.push_back(answer);
    }
    return out;
  }

  json apply(const json& lines) override {
    // write_delay_ms: a slow PSA, so that a test can stop the host in the middle of a sync.
    if (int delay = settings_.value("write_delay_ms", 0); delay > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    json out = json::array();
    for (const auto& l : lines) {
      // Re-read the ledger for every line: never trust what the host or memory says.
      json ledger = load();
      const std::string company = l.at("company_id").get<std::string>();
      json answer = {{"key", l.at("key")}};
      for (const auto& f : settings_.value("fail_companies", json::array())) {
        if (f == company) {
          answer["action"] = "error";
          answer["message"] = "ledger refuses writes for company " + company;
        }
      }
      if (answer.contains("action")) {
        out.push_back(answer);
        continue;
      }
      const std::string key = company + "/" + l.at("line_id").get<std::string>();
      const double want = l.at("quantity").get<double>();
      json& entry = ledger["lines"][key];
      const bool existed = !entry.is_null();
      const double before = existed ? quantity_of(entry) : 0;
      answer["before"] = existed ? json(before) : json(nullptr);
      if (existed && before == want) {
        answer["action"] = "none";
        answer["after"] = before;
        answer["ref"] = entry["ref"];
        out.push_back(answer);
        continue;
      }
      if (!existed)
        entry = {{"ref", "ledger-" + key}, {"quantity", 0.0}, {"adjustments", json::array()}};
      if (delta_) {
        entry["adjustments"].push_back(
            {{"unit_change", want - before}, {"effective_date", l.at("effective_date")}});
        answer["delta"] = want - before;
      } else {
        entry["quantity"] = want;
      }
      ledger["writes"] = ledger.value("writes", 0) + 1;
      save(ledger);
      answer["action"] = !existed ? "create" : want == 0 ? "cancel" : "update";
      answer["after"] = want;
      answer["ref"] = entry["ref"];
      out.push_back(answer);
      if (crash_after_ > 0 && ledger["writes"].get<int>() >= crash_after_) std::raise(SIGKILL);
    }
    return out;
  }

 private:
  json adopt(const json& request) {
    json ledger = load();
    ledger["adopted"].push_back(request);
    save(ledger);
    return {{"adopted", true},
            {"ref", "svc-" + request.at("line_id").get<std::string>()},
            {"message", "contract service adopted"}};
  }

  // The setup operations of one PSA's names; null for an operation it does not know.
  json setup_answer(bool autotask, const std::string& op, const json& request) {
    const json item = {{"id", "301"},
                       {"identifier", request.value("identifier", request.value("name", "EDR"))},
                       {"description", request.value("description", "Endpoint")},
                       {"price", request.value("price", 4.5)},
                       {"inactive", false}};
    if (op == (autotask ? "contracts" : "agreements")) {
      json c = {{"id", "8801"},
                {"name", "Managed"},
                {"type", "Recurring Service"},
                {"status", "active"},
                {"default", true}};
      if (autotask) c.update({{"start", "2026-01-01"}, {"end", "2026-12-31"}});
      return {{autotask ? "contracts" : "agreements", json::array({c})}};
    }
    if (op == (autotask ? "search_services" : "search_catalog")) {
      return {{"items", json::array({item})}};
    }
    if (op == (autotask ? "create_service" : "create_product") ||
        op == (autotask ? "edit_service" : "edit_product")) {
      json ledger = load();
      ledger["setup_requests"].push_back({{"op", op}, {"request", request}});
      save(ledger);
      return item;
    }
    return nullptr;
  }

  // One summary per intent, as a PSA ticket carrying the intent's marker would be.
  json post_summary(const json& request) {
    json ledger = load();
    const std::string marker = "[mb #" + request.at("intent_id").dump() + "]";
    json& list = ledger["summaries"];
    if (list.is_null()) list = json::array();
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i]["summary"].get<std::string>().find(marker) != std::string::npos) {
        return {{"schema", "psa-summary-result.v1"},
                {"action", "none"},
                {"delivery", "ticket"},
                {"ref", std::to_string(i + 1)},
                {"summary", list[i]["summary"]}};
      }
    }
    const std::string summary = request.at("title").get<std::string>() + " " + marker;
    list.push_back({{"company", request.at("company_id")},
                    {"kind", request.at("kind")},
                    {"period", request.at("period")},
                    {"summary", summary},
                    {"text", request.value("text", "")}});
    save(ledger);
    return {{"schema", "psa-summary-result.v1"},
            {"action", "create"},
            {"delivery", "ticket"},
            {"ref", std::to_string(list.size())},
            {"summary", summary}};
  }

  double quantity_of(const json& entry) const {
    if (!delta_) return entry.value("quantity", 0.0);
    double sum = 0;
    for (const auto& a : entry["adjustments"]) sum += a["unit_change"].get<double>();
    return sum;
  }
  const json* find(const json& ledger, const json& l) const {
    std::string key =
        l.at("company_id").get<std::string>() + "/" + l.at("line_id").get<std::string>();
    if (!ledger.contains("lines") || !ledger["lines"].contains(key)) return nullptr;
    return &ledger["lines"][key];
  }
  json load() const {
    std::ifstream in(file_);
    if (!in) return {{"lines", json::object()}, {"writes", 0}};
    std::stringstream s;
    s << in.rdbuf();
    return json::parse(s.str());
  }
  // Written to a temporary file and renamed: a crash leaves the old or the new ledger.
  void save(const json& ledger) const {
    std::string tmp = file_ + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << ledger.dump(2);
      out.flush();
      if (!out) throw meterbridge::transient_error("cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), file_.c_str()) != 0) {
      throw meterbridge::transient_error("cannot rename " + tmp);
    }
  }

  meterbridge::Host host_;
  json settings_;
  std::string file_;
  bool delta_;
  int crash_after_;
};

MB_DECLARE_PLUGIN(LedgerSink, MB_KIND_SINK, "ledger-sink", "1.0.0",
                  "Test PSA: billing lines in a JSON ledger file", R"({
  "type": "object", "required": ["ledger_file"], "additionalProperties": false,
  "properties": {
    "ledger_file": {"type": "string", "minLength": 1},
    "quantity_model": {"type": "string", "enum": ["absolute", "delta"]},
    "crash_after_writes": {"type": "integer", "minimum": 0},
    "fail_companies": {"type": "array", "items": {"type": "string"}},
    "companies": {"type": "array", "items": {"type": "object"}},
    "lines": {"type": "array", "items": {"type": "object"}},
    "setup_ops": {"type": "string", "enum": ["connectwise", "autotask"]},
    "adopt": {"type": "boolean"},
    "check_error": {"type": "string"},
    "write_delay_ms": {"type": "integer", "minimum": 0}
  }
})")
