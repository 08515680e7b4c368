// datto-rmm: Kaseya's billing types for Datto RMM (research: modules-and-notifications.md 1.2),
// counted per site from the Device records of the API v2 spec. Knows nothing of HTTP.
#pragma once

#include <meterbridge/plugin.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace datto_rmm {

using meterbridge::json;

enum class Sku {
  kTotal,
  kDesktopLaptop,
  kDesktop,
  kLaptop,
  kServer,
  kPrinter,
  kEsxiHost,
  kNetworkDevice,
  kUnknown,
  kCount  // not a SKU: the number of them
};

struct SkuInfo {
  const char* sku;
  const char* name;
};

// The SKU code and product name of each billing type, in Sku order.
const std::array<SkuInfo, static_cast<size_t>(Sku::kCount)>& sku_table();

// What a device is billed as.
struct Classified {
  bool billable = false;  // counts at all (and in the total)
  std::string skipped;    // why not, when not billable ("deleted", "suspended", "mobile")
  std::vector<Sku> skus;  // the billing types it counts in besides the total
};

// The classification rule (README.md "Classification"): deleted and suspended devices and
// smartphones/tablets are not billable; deviceClass esxihost, printer and rmmnetworkdevice are
// ESXi hosts, printers and network devices; deviceClass device is a desktop, laptop or server by
// deviceType.category; everything else is unknown.
Classified classify(const json& device);

// Device counts of one site, per SKU.
class SiteCounts {
 public:
  void add(const Classified& c);
  int64_t count(Sku s) const { return counts_[static_cast<size_t>(s)]; }

 private:
  std::array<int64_t, static_cast<size_t>(Sku::kCount)> counts_{};
};

}  // namespace datto_rmm
