#include "runtime/collector.hpp"

#include <cmath>
#include <map>

#include <spdlog/spdlog.h>
#include <meterbridge/plugin.hpp>

namespace meterbridge::host {
namespace {

using nlohmann::json;

std::string required_string(const json& record, const char* field, size_t index) {
  if (!record.contains(field) || !record[field].is_string() ||
      record[field].get<std::string>().empty()) {
    throw std::runtime_error("record " + std::to_string(index) + ": '" + field +
                             "' must be a non-empty string");
  }
  return record[field].get<std::string>();
}

// Checks a usage.v1 answer: a plugin's bad answer stores nothing for the day.
std::vector<store::UsageRecord> read_usage(const json& answer, std::vector<Rejection>& rejected,
                                           std::vector<store::SeriesKey>& keep) {
  if (!answer.is_object() || answer.value("schema", "") != "usage.v1" ||
      !answer.contains("records") || !answer["records"].is_array()) {
    throw std::runtime_error("answer is not a usage.v1 document with a 'records' array");
  }
  std::vector<store::UsageRecord> records;
  records.reserve(answer["records"].size());
  std::map<std::tuple<std::string, std::string, std::string>, size_t> seen;
  size_t i = 0;
  for (const json& r : answer["records"]) {
    if (!r.is_object())
      throw std::runtime_error("record " + std::to_string(i) + " is not an object");
    store::UsageRecord u;
    u.customer_id = required_string(r, "customer_id", i);
    u.sku = required_string(r, "sku", i);
    u.metric = required_string(r, "metric", i);
    u.customer_name = r.value("customer_name", "");
    u.product_name = r.value("product_name", "");
    if (!r.contains("quantity") || !r["quantity"].is_number() ||
        !std::isfinite(r["quantity"].get<double>()) || r["quantity"].get<double>() < 0) {
      throw std::runtime_error("record " + std::to_string(i) + " (customer " + u.customer_id +
                               ", sku " + u.sku + "): 'quantity' must be a non-negative number");
    }
    u.quantity = r["quantity"].get<double>();
    auto [it, fresh] = seen.try_emplace({u.customer_id, u.sku, u.metric}, records.size());
    if (!fresh) {
      if (records[it->second].quantity != u.quantity) {
        throw std::runtime_error("records " + std::to_string(it->second) + " and " +
                                 std::to_string(i) + " give customer " + u.customer_id + ", sku " +
                                 u.sku + ", metric " + u.metric + " two different quantities");
      }
      ++i;
      continue;
    }
    records.push_back(std::move(u));
    ++i;
  }
  if (answer.contains("rejected") && answer["rejected"].is_array()) {
    for (const json& r : answer["rejected"]) {
      if (!r.is_object()) continue;
      Rejection x{r.value("file", ""), r.value("line", int64_t{0}), r.value("reason", "")};
      rejected.push_back(std::move(x));
      if (r.contains("customer_id") && r.contains("sku") && r.contains("metric") &&
          r["customer_id"].is_string() && r["sku"].is_string() && r["metric"].is_string()) {
        keep.push_back({r["customer_id"].get<std::string>(), r["sku"].get<std::string>(),
                        r["metric"].get<std::string>()});
      }
    }
  }
  return records;
}

json parse_answer(const CallResult& r, const std::string& what) {
  try {
    return json::parse(r.text);
  } catch (const json::exception& e) {
    throw std::runtime_error(what + " answer is not valid JSON: " + e.what());
  }
}

}  // namespace

std::vector<const InstanceConfig*> enabled_instances(const PluginHost& host, const Config& config,
                                                     int32_t kind,
                                                     const std::vector<std::string>& wanted) {
  const std::string kind_name = kind == MB_KIND_SOURCE ? "source" : "sink";
  std::vector<const InstanceConfig*> out;
  for (const auto& name : wanted) {
    const InstanceConfig* inst = config.find_instance(name);
    if (!inst)
      throw InstanceError(MB_E_CONFIG,
                          "no plugin instance named '" + name + "' in " + config.file.string());
    if (!inst->enabled)
      throw InstanceError(MB_E_CONFIG,
                          "instance '" + name + "' is disabled in " + config.file.string());
    auto module = host.find_plugin(inst->plugin);
    if (module && module->kind() != kind_name) {
      throw InstanceError(MB_E_CONFIG, "instance '" + name + "' runs plugin '" + inst->plugin +
                                           "', which is a " + module->kind() + ", not a " +
                                           kind_name);
    }
    out.push_back(inst);
  }
  if (!wanted.empty()) return out;
  for (const auto& inst : config.plugins) {
    if (!inst.enabled) continue;
    auto module = host.find_plugin(inst.plugin);
    // An instance whose plugin is missing is kept: starting it reports the config error.
    if (!module || module->kind() == kind_name) out.push_back(&inst);
  }
  return out;
}

std::vector<DayCollection> collect_usage(PluginHost& host, const Config& config,
                                         store::BillingStore& store,
                                         const std::vector<std::string>& instances,
                                         const std::vector<engine::Day>& days, int64_t run_id) {
  std::vector<DayCollection> out;
  for (const InstanceConfig* inst : enabled_instances(host, config, MB_KIND_SOURCE, instances)) {
    std::unique_ptr<RunningInstance> running;
    std::string start_error;
    mb_status start_status = MB_OK;
    try {
      running = host.start(*inst);
    } catch (const InstanceError& e) {
      start_error = e.what();
      start_status = e.status();
    }
    for (engine::Day day : days) {
      DayCollection c;
      c.instance = inst->name;
      c.day = day;
      if (!running) {
        c.status = start_status;
        c.error = start_error;
        out.push_back(std::move(c));
        continue;
      }
      const std::string date = engine::format_iso_date(day);
      CallResult r = running->plugin->invoke("collect", json{{"date", date}}.dump());
      if (!r.ok()) {
        c.status = r.status;
        c.error = "instance '" + inst->name + "' collect " + date + " failed (" +
                  status_name(r.status) + "): " + r.text;
        out.push_back(std::move(c));
        continue;
      }
      try {
        std::vector<store::SeriesKey> keep;
        json answer = parse_answer(r, "collect");
        std::vector<store::UsageRecord> records = read_usage(answer, c.rejected, keep);
        c.records = static_cast<int64_t>(records.size());
        c.changes = store.usage().store_day(inst->name, day, records, keep, run_id);
        c.ok = true;
      } catch (const store::StoreError&) {
        throw;  // the store itself failed: stop, do not go on with other days
      } catch (const std::exception& e) {
        c.status = MB_E_INVALID_ARGUMENT;
        c.error = "instance '" + inst->name + "' (plugin " + inst->plugin + ") collect " + date +
                  ": " + e.what() + "; nothing was stored for this day";
      }
      for (const auto& x : c.rejected) {
        spdlog::warn("{}: {} rejected {}:{}: {}", inst->name, date, x.file, x.line, x.reason);
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::vector<DiscoverResult> discover_catalogs(PluginHost& host, const Config& config,
                                              store::BillingStore& store, engine::Day today) {
  std::vector<DiscoverResult> out;
  for (int32_t kind : {MB_KIND_SOURCE, MB_KIND_SINK}) {
    for (const InstanceConfig* inst : enabled_instances(host, config, kind, {})) {
      DiscoverResult d;
      d.instance = inst->name;
      d.kind = kind == MB_KIND_SOURCE ? "source" : "sink";
      try {
        auto running = host.start(*inst);
        CallResult r = running->plugin->invoke("discover", "{}");
        if (!r.ok()) {
          throw std::runtime_error(std::string("discover failed (") + status_name(r.status) +
                                   "): " + r.text);
        }
        json answer = parse_answer(r, "discover");
        store::Transaction t(store.db());
        if (kind == MB_KIND_SOURCE) {
          std::vector<store::VendorCustomer> customers;
          std::vector<store::VendorProduct> products;
          for (const auto& c : answer.value("customers", json::array())) {
            customers.push_back({inst->name, c.at("id").get<std::string>(), c.value("name", "")});
          }
          for (const auto& p : answer.value("products", json::array())) {
            products.push_back({inst->name, p.at("sku").get<std::string>(), p.value("name", "")});
          }
          store.usage().upsert_customers(inst->name, today, customers);
          store.usage().upsert_products(inst->name, products);
          d.customers = static_cast<int64_t>(customers.size());
          d.products = static_cast<int64_t>(products.size());
        } else {
          std::vector<store::PsaCompany> companies;
          std::vector<store::PsaLine> lines;
          for (const auto& c : answer.value("companies", json::array())) {
            companies.push_back(
                {inst->name, c.at("id").get<std::string>(), c.value("name", ""), "discovered"});
          }
          for (const auto& l : answer.value("lines", json::array())) {
            std::optional<double> price;
            if (l.contains("unit_price") && l["unit_price"].is_number()) {
              price = l["unit_price"].get<double>();
            }
            lines.push_back({inst->name, l.at("id").get<std::string>(), l.value("name", ""), price,
                             "discovered"});
          }
          store.mapping().upsert_psa_companies(companies);
          store.mapping().upsert_psa_lines(lines);
          d.customers = static_cast<int64_t>(companies.size());
          d.products = static_cast<int64_t>(lines.size());
        }
        t.commit();
        d.ok = true;
      } catch (const store::StoreError&) {
        throw;
      } catch (const std::exception& e) {
        d.error = "instance '" + inst->name + "': " + e.what();
      }
      out.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace meterbridge::host
