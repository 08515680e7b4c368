// The sandbox's embedded demo: a Sophos Central partner with 46 tenants and a ConnectWise Manage
// site with their companies, agreements and catalog, as emulator seeds. Most tenant names differ
// from their ConnectWise company only in ways name normalisation absorbs (legal suffixes, case,
// accents, "&"); some differ more and need a confirmed suggestion; a few match nothing.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/calendar.hpp"

namespace meterbridge::host::sandbox {

// How one Sophos SKU is billed in ConnectWise: the catalog item it maps to. An empty
// catalog_id leaves the SKU unmapped on purpose (the report lists it as unbilled).
struct DemoProduct {
  std::string sku;
  std::string catalog_id;
};

struct DemoData {
  nlohmann::json sophos_seed;       // emulator-sophos --seed (tests/emulators/sophos/README.md)
  nlohmann::json connectwise_seed;  // emulator-connectwise --seed
  std::vector<DemoProduct> products;
};

// The demo's end customers: the vendor's name and the PSA company it is billed to ("" = none).
// The first 31 differ only by what name normalisation absorbs, the next 9 need a confirmed
// suggestion, the last 6 have no company. Both sandbox scenarios use them.
struct DemoCustomer {
  const char* vendor_name;
  const char* psa_name;
};
const std::vector<DemoCustomer>& demo_customers();

// Usage for `month` and the month before it, so that the demo bills the running month.
DemoData make_demo_data(engine::YearMonth month);

}  // namespace meterbridge::host::sandbox
