#include "runtime/summary_run.hpp"

#include <fstream>
#include <map>
#include <memory>
#include <set>

#include <spdlog/spdlog.h>

#include "engine/executive_report.hpp"
#include "engine/summary_text.hpp"
#include "runtime/collector.hpp"
#include "runtime/plugin_host.hpp"
#include "store/summary_store.hpp"

namespace meterbridge::host {

using engine::CompanyDetections;
using engine::DetectionCounts;
using nlohmann::json;

namespace {

using CompanyKey = std::pair<std::string, std::string>;  // (psa, company id)

int64_t count_of(const json& product, const char* key) {
  const json v = product.value(key, json(0));
  return v.is_number_integer() && v.get<int64_t>() >= 0 ? v.get<int64_t>() : 0;
}

// The run's plugins, started once each, and the detections per period asked once each.
class SummaryRun {
 public:
  SummaryRun(const Config& config, const std::filesystem::path& data_dir,
             store::BillingStore& store, const SummaryOptions& o)
      : config_(config), data_dir_(data_dir), store_(store), o_(o), host_(config, data_dir) {
    for (const auto& m : store.mapping().customer_mappings())
      company_of_[{m.source, m.customer_id}] = {m.psa, m.company_id};
    for (const auto& c : store.mapping().psa_companies()) names_[{c.psa, c.id}] = c.name;
  }

  std::vector<SummaryOutcome> run() {
    std::set<CompanyKey> companies;
    for (const auto& [customer, company] : company_of_) {
      if (o_.company.empty() || company.second == o_.company) companies.insert(company);
    }
    std::vector<SummaryOutcome> out;
    for (const char* kind : {"detection", "executive"}) {
      if (o_.kind != "all" && o_.kind != kind) continue;
      for (const auto& c : companies) {
        if (o_.cancelled && o_.cancelled()) return out;
        auto recurrence = config_.summaries.of(kind, c.second);
        if (!recurrence) continue;  // no schedule: not sent
        if (o_.due && !o_.due(*recurrence)) continue;
        out.push_back(send_one(kind, c, *recurrence));
      }
    }
    return out;
  }

  // The company's detections over the period, if any source answered some.
  std::optional<CompanyDetections> detections_for(const CompanyKey& c,
                                                  const engine::SummaryPeriod& p) {
    const auto& all = detections_of(p);
    auto it = all.find(c);
    if (it == all.end()) return std::nullopt;
    return it->second;
  }

 private:
  SummaryOutcome send_one(const std::string& kind, const CompanyKey& c, const Recurrence& r) {
    SummaryOutcome s;
    s.psa = c.first;
    s.company_id = c.second;
    s.company_name = names_.count(c) ? names_[c] : c.second;
    s.kind = kind;
    const engine::SummaryPeriod period =
        kind == "executive" ? engine::summary_period(Recurrence::Every::month, o_.send_day)
                            : engine::summary_period(r.every, o_.send_day);
    s.period = period.label;
    try {
      json request;
      if (!prepare(kind, c, period, s, request)) return s;
      store::SummaryStore journal(store_.db());
      if (auto done = journal.find(c.first, c.second, kind, period.label);
          done && done->state == "sent") {
        s.state = "already-sent";
        s.intent_id = done->id;
        s.ref = done->ref;
        s.delivery = done->delivery;
        s.summary = done->summary;
        return s;
      }
      if (o_.dry_run) {
        s.state = "would-send";
        return s;
      }
      const store::SummaryRecord intent = journal.begin(c.first, c.second, kind, period.label);
      s.intent_id = intent.id;
      request["intent_id"] = intent.id;
      post(request, s);
      if (s.state == "sent") {
        journal.mark_sent(intent.id, s.delivery, s.ref, s.summary);
      } else {
        journal.mark_failed(intent.id, s.message);
      }
    } catch (const std::exception& e) {
      s.state = "failed";
      s.message = e.what();
    }
    if (s.state == "failed") {
      spdlog::error("summary {} {} of {}/{} failed: {}", kind, s.period, s.psa, s.company_id,
                    s.message);
    }
    return s;
  }

  // The post_summary request of a summary; false (with s.state set) when there is nothing to
  // send.
  bool prepare(const std::string& kind, const CompanyKey& c, const engine::SummaryPeriod& period,
               SummaryOutcome& s, json& request) {
    const auto& detections = detections_of(period);
    auto d = detections.find(c);
    request = {{"company_id", c.second}, {"kind", kind}, {"period", period.label}};
    if (kind == "detection") {
      if (d == detections.end()) {
        s.state = "skipped";
        s.message = "no email-security product: no source answered detections for it";
        return false;
      }
      request["title"] = engine::detection_title(s.company_name, period);
      request["text"] = engine::detection_text(s.company_name, period, d->second);
      request["counts"] = d->second.total().to_json();
      return true;
    }
    const auto month = engine::parse_year_month(period.label);
    engine::ExecutiveReport report =
        engine::build_executive_report(store_, c.first, c.second, *month, o_.send_day);
    if (d != detections.end()) report.detections = d->second;
    s.company_name = report.company_name.empty() ? s.company_name : report.company_name;
    request["title"] = engine::executive_title(report);
    request["text"] = engine::executive_text(report);
    if (report.detections) request["counts"] = report.detections->total().to_json();
    const std::filesystem::path page =
        executive_page_path(data_dir_, c.first, c.second, period.label);
    if (!o_.dry_run) {
      std::filesystem::create_directories(page.parent_path());
      const std::filesystem::path tmp = page.string() + ".tmp";
      {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << engine::executive_html(report);
        if (!f.flush()) throw std::runtime_error("cannot write " + tmp.string());
      }
      std::filesystem::rename(tmp, page);
    }
    s.html = page.string();
    return true;
  }

  void post(const json& request, SummaryOutcome& s) {
    RunningInstance* sink = instance(s.psa);
    if (!sink) {
      s.state = "failed";
      s.message = "the company's PSA '" + s.psa + "' is not an enabled sink instance";
      return;
    }
    CallResult r = sink->plugin->invoke("post_summary", request.dump());
    if (!r.ok()) {
      s.state = "failed";
      s.message = r.status == MB_E_UNSUPPORTED
                      ? "sink '" + s.psa + "' cannot post summaries (" + r.text + ")"
                      : r.text;
      return;
    }
    json answer = json::parse(r.text, nullptr, false);
    if (!answer.is_object() || !answer.contains("ref")) {
      s.state = "failed";
      s.message = "sink '" + s.psa + "' answered post_summary without a ref";
      return;
    }
    s.state = "sent";
    s.action = answer.value("action", "");
    s.delivery = answer.value("delivery", "");
    s.ref = answer["ref"].is_string() ? answer["ref"].get<std::string>() : answer["ref"].dump();
    s.summary = answer.value("summary", "");
  }

  // Every enabled source's detections for the period, summed per mapped company.
  const std::map<CompanyKey, CompanyDetections>& detections_of(const engine::SummaryPeriod& p) {
    const std::string key = p.label;
    auto it = detections_.find(key);
    if (it != detections_.end()) return it->second;
    std::map<CompanyKey, CompanyDetections> out;
    const json request = {{"from", engine::format_iso_date(p.from)},
                          {"to", engine::format_iso_date(p.to)}};
    for (const auto* source : enabled_instances(host_, config_, MB_KIND_SOURCE, {})) {
      RunningInstance* running = instance(source->name);
      if (!running) continue;
      CallResult r = running->plugin->invoke("detections", request.dump());
      if (r.status == MB_E_UNSUPPORTED) continue;  // not an email-security source
      if (!r.ok()) {
        throw std::runtime_error("source '" + source->name + "' could not answer detections for " +
                                 p.label + ": " + r.text);
      }
      add_answer(source->name, json::parse(r.text, nullptr, false), out);
    }
    return detections_.emplace(key, std::move(out)).first->second;
  }

  void add_answer(const std::string& source, const json& answer,
                  std::map<CompanyKey, CompanyDetections>& out) {
    if (!answer.is_object() || answer.value("schema", "") != "detections.v1") {
      throw std::runtime_error("source '" + source +
                               "' answered detections without schema detections.v1");
    }
    const json customers = answer.value("customers", json::array());
    for (const auto& c : customers) {
      if (!c.is_object()) continue;
      const std::string id = c.value("customer_id", "");
      auto company = company_of_.find({source, id});
      if (company == company_of_.end()) continue;  // unmapped: nobody to tell
      CompanyDetections& d = out[company->second];
      d.customers.push_back(source + "/" + id);
      const json products = c.value("products", json::array());
      for (const auto& p : products) {
        if (!p.is_object()) continue;
        DetectionCounts counts{count_of(p, "spam"), count_of(p, "phishing"), count_of(p, "malware"),
                               count_of(p, "blocked"), count_of(p, "total_messages")};
        d.products[p.value("name", p.value("sku", std::string("email security")))].add(counts);
      }
    }
  }

  RunningInstance* instance(const std::string& name) {
    auto it = running_.find(name);
    if (it != running_.end()) return it->second.get();
    const InstanceConfig* c = config_.find_instance(name);
    std::unique_ptr<RunningInstance> started;
    if (c && c->enabled) started = host_.start(*c);
    return running_.emplace(name, std::move(started)).first->second.get();
  }

  const Config& config_;
  std::filesystem::path data_dir_;
  store::BillingStore& store_;
  const SummaryOptions& o_;
  PluginHost host_;
  std::map<std::string, std::unique_ptr<RunningInstance>> running_;
  std::map<CompanyKey, CompanyKey> company_of_;  // (source, customer) -> (psa, company)
  std::map<CompanyKey, std::string> names_;
  std::map<std::string, std::map<CompanyKey, CompanyDetections>> detections_;
};

}  // namespace

std::filesystem::path executive_page_path(const std::filesystem::path& data_dir,
                                          const std::string& psa, const std::string& company,
                                          const std::string& period) {
  return data_dir / "reports" / "executive" / (psa + "-" + company + "-" + period + ".html");
}

std::optional<CompanyDetections> month_detections(
    const Config& config, const std::filesystem::path& data_dir, store::BillingStore& store,
    const std::string& psa, const std::string& company, engine::YearMonth month) {
  SummaryOptions o;
  const engine::Day first = engine::first_day_of(month);
  const engine::SummaryPeriod p{engine::format_year_month(month), first,
                                first + engine::days_in_month(month) - 1};
  return SummaryRun(config, data_dir, store, o).detections_for({psa, company}, p);
}

std::vector<SummaryOutcome> run_summaries(const Config& config,
                                          const std::filesystem::path& data_dir,
                                          store::BillingStore& store, const SummaryOptions& o) {
  return SummaryRun(config, data_dir, store, o).run();
}

json summary_outcomes_to_json(const std::vector<SummaryOutcome>& outcomes) {
  json lines = json::array();
  for (const auto& s : outcomes) {
    lines.push_back({{"psa", s.psa},
                     {"company", s.company_id},
                     {"company_name", s.company_name},
                     {"kind", s.kind},
                     {"period", s.period},
                     {"state", s.state},
                     {"intent", s.intent_id ? json(s.intent_id) : json(nullptr)},
                     {"action", s.action},
                     {"delivery", s.delivery},
                     {"ref", s.ref},
                     {"summary", s.summary},
                     {"message", s.message},
                     {"html", s.html.empty() ? json(nullptr) : json(s.html)}});
  }
  return {{"schema", "summaries.v1"}, {"summaries", lines}};
}

}  // namespace meterbridge::host
