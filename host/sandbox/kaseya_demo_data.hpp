// The Kaseya-to-Autotask sandbox's embedded demo: an Autotask tenant with the demo customers'
// companies, one Recurring Service contract each and a service per module billing type; Datto
// RMM sites (most carry their Autotask company id, some only a drifted name, a few match
// nothing); Datto BCDR and SaaS Protection organizations under their own names; and a BullPhish
// ID export for file-drop's `module` setting.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/calendar.hpp"

namespace meterbridge::host::sandbox {

// How a module's SKU is billed in Autotask: the Service it maps to.
struct KaseyaProduct {
  std::string instance;  // the source instance of the sandbox config
  std::string sku;
  int64_t service_id;
};

struct KaseyaDemo {
  nlohmann::json autotask_seed;  // emulator-autotask --seed
  nlohmann::json rmm_seed;       // emulator-datto-rmm --seed
  nlohmann::json backup_seed;    // emulator-datto --seed
  std::string bullphish_csv;     // a BullPhish ID export for `today`
  std::vector<KaseyaProduct> products;
};

KaseyaDemo make_kaseya_demo(engine::Day today);

}  // namespace meterbridge::host::sandbox
