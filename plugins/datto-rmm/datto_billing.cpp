#include "datto_billing.hpp"

#include <algorithm>
#include <cctype>

namespace datto_rmm {
namespace {

std::string lower(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  std::string s = it->get<std::string>();
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool flag(const json& device, const char* key) {
  auto it = device.find(key);
  return it != device.end() && it->is_boolean() && it->get<bool>();
}

bool mentions(const std::string& text, const char* word) {
  return text.find(word) != std::string::npos;
}

// A computer (deviceClass "device") by its deviceType: the category first, the type when the
// category says nothing we know.
std::vector<Sku> computer(const std::string& category, const std::string& type) {
  for (const std::string& s : {category, type}) {
    if (mentions(s, "laptop") || mentions(s, "notebook"))
      return {Sku::kDesktopLaptop, Sku::kLaptop};
    if (mentions(s, "desktop") || mentions(s, "workstation"))
      return {Sku::kDesktopLaptop, Sku::kDesktop};
    if (mentions(s, "server")) return {Sku::kServer};
    if (mentions(s, "esxi")) return {Sku::kEsxiHost};
    if (mentions(s, "printer")) return {Sku::kPrinter};
    if (mentions(s, "network")) return {Sku::kNetworkDevice};
  }
  return {Sku::kUnknown};
}

}  // namespace

const std::array<SkuInfo, static_cast<size_t>(Sku::kCount)>& sku_table() {
  static const std::array<SkuInfo, static_cast<size_t>(Sku::kCount)> table = {{
      {"RMM-DEVICES-TOTAL", "Datto RMM devices (total, without smartphones and tablets)"},
      {"RMM-DESKTOP-LAPTOP", "Datto RMM desktops and laptops"},
      {"RMM-DESKTOP", "Datto RMM desktops"},
      {"RMM-LAPTOP", "Datto RMM laptops"},
      {"RMM-SERVER", "Datto RMM servers"},
      {"RMM-PRINTER", "Datto RMM printers"},
      {"RMM-ESXI-HOST", "Datto RMM ESXi hosts"},
      {"RMM-NETWORK-DEVICE", "Datto RMM network devices"},
      {"RMM-UNKNOWN", "Datto RMM devices of unknown type"},
  }};
  return table;
}

Classified classify(const json& device) {
  Classified c;
  if (flag(device, "deleted")) {
    c.skipped = "deleted";
    return c;
  }
  if (flag(device, "suspended")) {
    c.skipped = "suspended";
    return c;
  }
  const json type = device.contains("deviceType") ? device["deviceType"] : json();
  const std::string category = lower(type, "category");
  const std::string kind = lower(type, "type");
  for (const std::string& s : {category, kind}) {
    if (mentions(s, "smartphone") || mentions(s, "tablet") || mentions(s, "mobile")) {
      c.skipped = "mobile";  // Kaseya's total leaves smartphones and tablets out
      return c;
    }
  }
  c.billable = true;
  const std::string cls = lower(device, "deviceClass");
  if (cls == "esxihost") {
    c.skus = {Sku::kEsxiHost};
  } else if (cls == "printer") {
    c.skus = {Sku::kPrinter};
  } else if (cls == "rmmnetworkdevice") {
    c.skus = {Sku::kNetworkDevice};
  } else if (cls == "device") {
    c.skus = computer(category, kind);
  } else {
    c.skus = {Sku::kUnknown};  // "unknown", absent, or a class newer than the spec
  }
  return c;
}

void SiteCounts::add(const Classified& c) {
  if (!c.billable) return;
  ++counts_[static_cast<size_t>(Sku::kTotal)];
  for (Sku s : c.skus) ++counts_[static_cast<size_t>(s)];
}

}  // namespace datto_rmm
