// file-drop's `module` setting: the Kaseya modules whose billing counts come as file exports
// (no public count API, or none meterbridge has a plugin for), each with its Integrated
// Customer Billing types. Those types are the SKUs the export may name (by code or by name), and
// give each row its product name and metric, so an export needs only date, customer, type and
// quantity columns.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "file_drop_format.hpp"

namespace file_drop {

struct BillingType {
  std::string_view sku;     // the SKU meterbridge stores: "<module>/<code>"
  std::string_view name;    // the ICB billing type name, as in Kaseya's "ICB Billing Types"
  std::string_view metric;  // the unit: devices, users, enabled (1/0), ...
};

struct KaseyaModule {
  std::string_view id;    // the `module` setting value
  std::string_view name;  // as Kaseya names it
  // false: Kaseya's billing-type names for it are not confirmed (research table 1.2 "U");
  // the types are our best reading of how the module is licensed.
  bool confirmed;
  std::vector<BillingType> types;
};

const std::vector<KaseyaModule>& kaseya_modules();
const KaseyaModule* find_module(std::string_view id);

// The module's billing type named by `text`: its SKU, its code (the SKU after "<module>/"), or
// its name, case-insensitively. nullptr when it names none.
const BillingType* find_type(const KaseyaModule& module, std::string_view text);

// Checks each row against the module and completes it before passing it on: the SKU becomes
// the type's, an empty product name or metric the type's. A row of another type is rejected
// with its line (the file is known to `next`). Rejections pass through.
class ModuleRows : public Sink {
 public:
  ModuleRows(const KaseyaModule& module, Sink& next) : module_(module), next_(next) {}
  void row(const Row& row) override;
  void reject(const Rejection& rejection) override { next_.reject(rejection); }

 private:
  const KaseyaModule& module_;
  Sink& next_;
  std::string product_name_;  // backs the row's product name during the call
};

}  // namespace file_drop
