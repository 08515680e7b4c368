// Runs source plugins into the billing store (`collect`), and asks sources and sinks for their
// catalogs (`discover`).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/calendar.hpp"
#include "runtime/plugin_host.hpp"
#include "runtime/usage_answer.hpp"
#include "store/billing_store.hpp"

namespace meterbridge::host {

struct DayCollection {
  std::string instance;
  engine::Day day = 0;
  bool ok = false;
  mb_status status = MB_OK;
  std::string error;  // when !ok: nothing was stored for the day
  int64_t records = 0;
  store::DayChanges changes;
  std::vector<Rejection> rejected;
};

// Collects each day of `days` from each named source instance (all enabled sources when
// `instances` is empty). One day of one source is stored whole or not at all.
std::vector<DayCollection> collect_usage(PluginHost& host, const Config& config,
                                         store::BillingStore& store,
                                         const std::vector<std::string>& instances,
                                         const std::vector<engine::Day>& days, int64_t run_id);

struct DiscoverResult {
  std::string instance;
  std::string kind;  // source or sink
  bool ok = false;
  std::string error;
  int64_t customers = 0;  // source: vendor customers; sink: PSA companies
  int64_t products = 0;   // source: products; sink: PSA lines
};

// Stores the catalogs of every enabled source and sink instance.
std::vector<DiscoverResult> discover_catalogs(PluginHost& host, const Config& config,
                                              store::BillingStore& store, engine::Day today);

// The PSA a sink plugin writes to, by its plugin id: "autotask", "connectwise", or "" when the
// id is not one this host knows (such a sink names its PSA in its catalog's "psa").
std::string psa_kind_of_plugin(const std::string& plugin);

// The enabled instances of a kind (MB_KIND_SOURCE or MB_KIND_SINK), or an InstanceError naming
// an unknown or disabled one among `wanted`.
std::vector<const InstanceConfig*> enabled_instances(const PluginHost& host, const Config& config,
                                                     int32_t kind,
                                                     const std::vector<std::string>& wanted);

}  // namespace meterbridge::host
