#include "runtime/collector.hpp"
#include "services/host_clock.hpp"

#include <cmath>

#include <spdlog/spdlog.h>
#include <meterbridge/plugin.hpp>

namespace meterbridge::host {
namespace {

using nlohmann::json;

json parse_answer(const CallResult& r, const std::string& what) {
  try {
    return json::parse(r.text);
  } catch (const json::exception& e) {
    throw std::runtime_error(what + " answer is not valid JSON: " + e.what());
  }
}

// A customer's optional psa_hint (PROTOCOL.md section 6, catalog.v1). A malformed hint fails the
// discover, like any malformed catalog; a PSA this host does not know is dropped with a warning,
// so a source may name PSAs a later host supports.
std::optional<store::PsaHint> read_psa_hint(const InstanceConfig& inst, const json& c,
                                            const std::string& customer_id) {
  if (!c.contains("psa_hint") || c["psa_hint"].is_null()) return std::nullopt;
  const json& h = c["psa_hint"];
  const std::string where = "customer '" + customer_id + "': psa_hint ";
  if (!h.is_object()) throw std::runtime_error(where + "is not an object");
  if (!h.contains("psa") || !h["psa"].is_string()) {
    throw std::runtime_error(where + "has no string \"psa\"");
  }
  store::PsaHint hint;
  hint.psa = h["psa"].get<std::string>();
  // Vendors keep PSA ids as numbers (Datto RMM's autotaskCompanyId); the contract says string.
  const json id = h.value("company_id", json());
  if (id.is_number_integer()) {
    hint.company_id = std::to_string(id.get<int64_t>());
  } else if (id.is_string() && !id.get<std::string>().empty()) {
    hint.company_id = id.get<std::string>();
  } else {
    throw std::runtime_error(where + "has no non-empty \"company_id\"");
  }
  const json name = h.value("company_name", json());
  if (!name.is_null() && !name.is_string()) {
    throw std::runtime_error(where + "\"company_name\" is not a string");
  }
  if (name.is_string()) hint.company_name = name.get<std::string>();
  if (hint.psa != "autotask" && hint.psa != "connectwise") {
    spdlog::warn(
        "{}: customer '{}': psa_hint names PSA '{}' (known: autotask, connectwise): "
        "ignored",
        inst.name, customer_id, hint.psa);
    return std::nullopt;
  }
  return hint;
}

void store_source_catalog(const InstanceConfig& inst, const json& answer,
                          store::BillingStore& store, engine::Day today, DiscoverResult& d) {
  std::vector<store::VendorCustomer> customers;
  std::vector<store::VendorProduct> products;
  for (const auto& c : answer.value("customers", json::array())) {
    std::string id = c.at("id").get<std::string>();
    auto hint = read_psa_hint(inst, c, id);
    customers.push_back({inst.name, id, c.value("name", ""), std::move(hint)});
  }
  for (const auto& p : answer.value("products", json::array())) {
    products.push_back({inst.name, p.at("sku").get<std::string>(), p.value("name", "")});
  }
  store.usage().upsert_customers(inst.name, today, customers, true);
  store.usage().upsert_products(inst.name, products);
  d.customers = static_cast<int64_t>(customers.size());
  d.products = static_cast<int64_t>(products.size());
}

void store_sink_catalog(const InstanceConfig& inst, const json& answer, store::BillingStore& store,
                        DiscoverResult& d) {
  std::vector<store::PsaCompany> companies;
  std::vector<store::PsaLine> lines;
  for (const auto& c : answer.value("companies", json::array())) {
    companies.push_back(
        {inst.name, c.at("id").get<std::string>(), c.value("name", ""), "discovered"});
  }
  for (const auto& l : answer.value("lines", json::array())) {
    std::optional<double> price;
    if (l.contains("unit_price") && l["unit_price"].is_number()) {
      price = l["unit_price"].get<double>();
    }
    lines.push_back(
        {inst.name, l.at("id").get<std::string>(), l.value("name", ""), price, "discovered"});
  }
  store.mapping().upsert_psa_companies(companies);
  // The catalog lists active companies only: one it no longer lists was deleted or deactivated.
  store.mapping().mark_gone_companies(inst.name, companies);
  store.mapping().upsert_psa_lines(lines);
  // The sync refuses a fraction to a sink that only takes signed whole-unit deltas.
  const std::string model = answer.value("quantity_model", "absolute");
  if (model != "absolute" && model != "delta") {
    throw std::runtime_error("discover answered quantity_model '" + model +
                             "' (expected absolute or delta)");
  }
  store.mapping().set_setting("quantity_model/" + inst.name, model);
  // Which PSA the sink writes to, so `map auto` can follow psa_hints of that PSA: the catalog's
  // "psa", else known from the plugin id.
  std::string psa = answer.value("psa", psa_kind_of_plugin(inst.plugin));
  if (!psa.empty() && psa != "autotask" && psa != "connectwise") {
    throw std::runtime_error("discover answered psa '" + psa +
                             "' (expected autotask or connectwise)");
  }
  store.mapping().set_setting("psa_kind/" + inst.name, psa);
  d.customers = static_cast<int64_t>(companies.size());
  d.products = static_cast<int64_t>(lines.size());
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
  // Every collect request says what today is in the operator's zone (PROTOCOL.md P6.8), so a
  // source of current counts can refuse a past day instead of answering it with today's counts.
  const std::string today =
      engine::format_iso_date(engine::today_in_zone(config.timezone, host_now()));
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
      const json request = {{"date", date}, {"today", today}, {"time_zone", config.timezone}};
      CallResult r = running->plugin->invoke("collect", request.dump());
      if (!r.ok()) {
        c.status = r.status;
        c.error = "instance '" + inst->name + "' collect " + date + " failed (" +
                  status_name(r.status) + "): " + r.text;
        out.push_back(std::move(c));
        continue;
      }
      try {
        UsageAnswer answer = read_usage_answer(r.text);
        r.text = std::string();  // the records hold what is needed; free the text early
        c.rejected = std::move(answer.rejected);
        if (!answer.date.empty() && answer.date != date) {
          throw std::runtime_error("answer is for " + answer.date + ", not " + date);
        }
        c.records = static_cast<int64_t>(answer.records.size());
        c.changes = store.usage().store_day(inst->name, day, answer.records, answer.keep, run_id);
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
          store_source_catalog(*inst, answer, store, today, d);
        } else {
          store_sink_catalog(*inst, answer, store, d);
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

std::string psa_kind_of_plugin(const std::string& plugin) {
  if (plugin == "autotask") return "autotask";
  if (plugin == "connectwise-manage") return "connectwise";
  return "";
}

}  // namespace meterbridge::host
