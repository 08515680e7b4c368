// The PSA side of the store (companies and lines as discovered or entered), the mappings from
// vendor customers and products to them, and the billing settings.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite_db.hpp"

namespace meterbridge::host::store {

struct PsaCompany {
  std::string psa;  // the sink instance, or "manual"
  std::string id;
  std::string name;
  std::string origin;  // "discovered" or "manual"
  // When the sink's latest discover no longer listed it (deleted or inactive in the PSA).
  std::optional<std::string> gone_since{};
};

struct PsaLine {
  std::string psa;
  std::string id;
  std::string name;
  std::optional<double> unit_price;
  std::string origin;
};

struct CustomerMapping {
  std::string source;
  std::string customer_id;
  std::string psa;
  std::string company_id;
  std::string how;  // "auto" or "manual"
  std::string mapped_at;
};

struct ProductMapping {
  std::string source;
  std::string sku;
  std::string metric;              // "" = the SKU's only metric
  std::optional<std::string> psa;  // absent when the mapping was removed
  std::optional<std::string> line_id;
  bool sync = false;
  std::string method = "max";
  std::string tracking = "daily";
  double included = 0;
  std::string rounding;              // up, down, nearest, none; "" = the method's default
  std::optional<double> unit_price;  // overrides the PSA line's price in reports
  std::string updated_at;
};

struct CompanyOverride {
  std::string psa;
  std::string company_id;
  std::optional<int32_t> billing_day;                // absent: the global day
  std::optional<std::vector<std::string>> products;  // "source/sku"; absent: every mapped one
};

// The operator's explicit target container for one company of one sink (`psa target`).
struct PsaTarget {
  std::string psa;  // the sink instance
  std::string company_id;
  std::string target;  // Autotask contract id, ConnectWise agreement id
  std::string set_at;
  // The journal's last entry id when it was set: a write with a higher id went into it
  // (none for a target set before migration 8).
  std::optional<int64_t> journal_mark = std::nullopt;
};

class MappingStore {
 public:
  explicit MappingStore(Database& db) : db_(db) {}

  // Adds or renames companies; a company listed again is no longer gone.
  void upsert_psa_companies(const std::vector<PsaCompany>& companies);
  // After a sink's discover: its discovered companies missing from `listed` are marked gone
  // (kept, since mappings and the journal refer to them). Returns how many became gone.
  int64_t mark_gone_companies(const std::string& psa, const std::vector<PsaCompany>& listed);
  void upsert_psa_lines(const std::vector<PsaLine>& lines);
  std::vector<PsaCompany> psa_companies();
  std::vector<PsaLine> psa_lines();

  void map_customer(const CustomerMapping& mapping);
  bool unmap_customer(const std::string& source, const std::string& customer_id);
  std::vector<CustomerMapping> customer_mappings();

  void put_product_mapping(const ProductMapping& mapping);
  // Removes the target and turns sync off; keeps method and price so a re-map is quick.
  bool remove_product_mapping(const std::string& source, const std::string& sku);
  std::vector<ProductMapping> product_mappings();
  std::optional<ProductMapping> product_mapping(const std::string& source, const std::string& sku);

  std::optional<std::string> setting(const std::string& key);
  void set_setting(const std::string& key, const std::string& value);

  void put_override(const CompanyOverride& o);
  bool clear_override(const std::string& psa, const std::string& company_id);
  std::vector<CompanyOverride> overrides();

  void put_target(const std::string& psa, const std::string& company_id, const std::string& target);
  bool clear_target(const std::string& psa, const std::string& company_id);
  std::vector<PsaTarget> targets();  // every sink's, by psa and company
  // One sink's targets by company id.
  std::map<std::string, std::string> targets_of(const std::string& psa);

 private:
  Database& db_;
};

}  // namespace meterbridge::host::store
