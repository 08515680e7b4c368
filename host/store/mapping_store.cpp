#include "store/mapping_store.hpp"

#include <set>

#include <nlohmann/json.hpp>

#include "store/clock.hpp"

namespace meterbridge::host::store {

void MappingStore::upsert_psa_companies(const std::vector<PsaCompany>& companies) {
  Statement s = db_.prepare(
      "INSERT INTO psa_companies (psa, company_id, name, origin) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (psa, company_id) DO UPDATE SET name = excluded.name, origin = excluded.origin, "
      "gone_since = NULL");
  for (const auto& c : companies)
    s.bind(1, c.psa).bind(2, c.id).bind(3, c.name).bind(4, c.origin).run();
}

int64_t MappingStore::mark_gone_companies(const std::string& psa,
                                          const std::vector<PsaCompany>& listed) {
  std::set<std::string> ids;
  for (const auto& c : listed) ids.insert(c.id);
  std::vector<std::string> gone;
  {
    Statement q = db_.prepare(
        "SELECT company_id FROM psa_companies WHERE psa = ? AND origin = 'discovered' AND "
        "gone_since IS NULL");
    q.bind(1, psa);
    while (q.step()) {
      if (!ids.count(q.text(0))) gone.push_back(q.text(0));
    }
  }
  Statement u =
      db_.prepare("UPDATE psa_companies SET gone_since = ? WHERE psa = ? AND company_id = ?");
  const std::string now = utc_now_iso();
  for (const auto& id : gone) {
    u.bind(1, now).bind(2, psa).bind(3, id).run();
  }
  return static_cast<int64_t>(gone.size());
}

void MappingStore::upsert_psa_lines(const std::vector<PsaLine>& lines) {
  Statement s = db_.prepare(
      "INSERT INTO psa_lines (psa, line_id, name, unit_price, origin) VALUES (?, ?, ?, ?, ?) "
      "ON CONFLICT (psa, line_id) DO UPDATE SET name = excluded.name, "
      "unit_price = excluded.unit_price, origin = excluded.origin");
  for (const auto& l : lines) {
    s.bind(1, l.psa).bind(2, l.id).bind(3, l.name).bind(4, l.unit_price).bind(5, l.origin).run();
  }
}

std::vector<PsaCompany> MappingStore::psa_companies() {
  Statement s = db_.prepare(
      "SELECT psa, company_id, name, origin, gone_since FROM psa_companies "
      "ORDER BY psa, name, company_id");
  std::vector<PsaCompany> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.optional_text(4)});
  return out;
}

std::vector<PsaLine> MappingStore::psa_lines() {
  Statement s = db_.prepare(
      "SELECT psa, line_id, name, unit_price, origin FROM psa_lines ORDER BY psa, line_id");
  std::vector<PsaLine> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.optional_real(3), s.text(4)});
  return out;
}

void MappingStore::map_customer(const CustomerMapping& m) {
  Statement s = db_.prepare(
      "INSERT INTO customer_map (source, customer_id, psa, company_id, how, mapped_at) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, customer_id) DO UPDATE SET "
      "psa = excluded.psa, company_id = excluded.company_id, how = excluded.how, "
      "mapped_at = excluded.mapped_at");
  s.bind(1, m.source)
      .bind(2, m.customer_id)
      .bind(3, m.psa)
      .bind(4, m.company_id)
      .bind(5, m.how)
      .bind(6, m.mapped_at.empty() ? utc_now_iso() : m.mapped_at)
      .run();
}

bool MappingStore::unmap_customer(const std::string& source, const std::string& customer_id) {
  Statement s = db_.prepare("DELETE FROM customer_map WHERE source = ? AND customer_id = ?");
  s.bind(1, source).bind(2, customer_id).run();
  return db_.changes() > 0;
}

std::vector<CustomerMapping> MappingStore::customer_mappings() {
  Statement s = db_.prepare(
      "SELECT source, customer_id, psa, company_id, how, mapped_at FROM customer_map "
      "ORDER BY source, customer_id");
  std::vector<CustomerMapping> out;
  while (s.step()) {
    out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)});
  }
  return out;
}

void MappingStore::put_product_mapping(const ProductMapping& m) {
  Statement s = db_.prepare(
      "INSERT INTO product_map (source, sku, metric, psa, line_id, sync, method, tracking, "
      "included, unit_price, updated_at, rounding) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
      "ON CONFLICT (source, sku) DO UPDATE SET metric = ?3, psa = ?4, line_id = ?5, sync = ?6, "
      "method = ?7, tracking = ?8, included = ?9, unit_price = ?10, updated_at = ?11, "
      "rounding = ?12");
  s.bind(1, m.source)
      .bind(2, m.sku)
      .bind(3, m.metric)
      .bind(4, m.psa)
      .bind(5, m.line_id)
      .bind(6, m.sync)
      .bind(7, m.method)
      .bind(8, m.tracking)
      .bind(9, m.included)
      .bind(10, m.unit_price)
      .bind(11, utc_now_iso())
      .bind(12, m.rounding.empty() ? std::optional<std::string>() : m.rounding)
      .run();
}

bool MappingStore::remove_product_mapping(const std::string& source, const std::string& sku) {
  Statement s = db_.prepare(
      "UPDATE product_map SET psa = NULL, line_id = NULL, sync = 0, updated_at = ? "
      "WHERE source = ? AND sku = ? AND line_id IS NOT NULL");
  s.bind(1, utc_now_iso()).bind(2, source).bind(3, sku).run();
  return db_.changes() > 0;
}

namespace {
constexpr const char* kProductColumns =
    "SELECT source, sku, metric, psa, line_id, sync, method, tracking, included, unit_price, "
    "updated_at, rounding FROM product_map ";
ProductMapping read_product(const Statement& s) {
  ProductMapping m;
  m.source = s.text(0);
  m.sku = s.text(1);
  m.metric = s.text(2);
  m.psa = s.optional_text(3);
  m.line_id = s.optional_text(4);
  m.sync = s.int64(5) != 0;
  m.method = s.text(6);
  m.tracking = s.text(7);
  m.included = s.real(8);
  m.unit_price = s.optional_real(9);
  m.updated_at = s.text(10);
  m.rounding = s.optional_text(11).value_or("");
  return m;
}
}  // namespace

std::vector<ProductMapping> MappingStore::product_mappings() {
  Statement s = db_.prepare(std::string(kProductColumns) + "ORDER BY source, sku");
  std::vector<ProductMapping> out;
  while (s.step()) out.push_back(read_product(s));
  return out;
}

std::optional<ProductMapping> MappingStore::product_mapping(const std::string& source,
                                                            const std::string& sku) {
  Statement s = db_.prepare(std::string(kProductColumns) + "WHERE source = ? AND sku = ?");
  s.bind(1, source).bind(2, sku);
  if (!s.step()) return std::nullopt;
  return read_product(s);
}

std::optional<std::string> MappingStore::setting(const std::string& key) {
  Statement s = db_.prepare("SELECT value FROM billing_settings WHERE key = ?");
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void MappingStore::set_setting(const std::string& key, const std::string& value) {
  Statement s = db_.prepare(
      "INSERT INTO billing_settings (key, value) VALUES (?, ?) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  s.bind(1, key).bind(2, value).run();
}

void MappingStore::put_override(const CompanyOverride& o) {
  std::optional<std::string> products;
  if (o.products) products = nlohmann::json(*o.products).dump();
  Statement s = db_.prepare(
      "INSERT INTO company_overrides (psa, company_id, billing_day, products) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (psa, company_id) DO UPDATE SET billing_day = excluded.billing_day, "
      "products = excluded.products");
  s.bind(1, o.psa).bind(2, o.company_id).bind(3, o.billing_day).bind(4, products).run();
}

bool MappingStore::clear_override(const std::string& psa, const std::string& company_id) {
  Statement s = db_.prepare("DELETE FROM company_overrides WHERE psa = ? AND company_id = ?");
  s.bind(1, psa).bind(2, company_id).run();
  return db_.changes() > 0;
}

std::vector<CompanyOverride> MappingStore::overrides() {
  Statement s = db_.prepare(
      "SELECT psa, company_id, billing_day, products FROM company_overrides "
      "ORDER BY psa, company_id");
  std::vector<CompanyOverride> out;
  while (s.step()) {
    CompanyOverride o{s.text(0), s.text(1), std::nullopt, std::nullopt};
    if (auto d = s.optional_int64(2)) o.billing_day = static_cast<int32_t>(*d);
    if (auto p = s.optional_text(3)) {
      o.products = nlohmann::json::parse(*p).get<std::vector<std::string>>();
    }
    out.push_back(std::move(o));
  }
  return out;
}

void MappingStore::put_target(const std::string& psa, const std::string& company_id,
                              const std::string& target) {
  Statement s = db_.prepare(
      "INSERT INTO psa_targets (psa, company_id, target, set_at, journal_mark) VALUES (?, ?, ?, ?, "
      "(SELECT COALESCE(MAX(id), 0) FROM journal)) "
      "ON CONFLICT (psa, company_id) DO UPDATE SET target = excluded.target, "
      "set_at = excluded.set_at, journal_mark = excluded.journal_mark");
  s.bind(1, psa).bind(2, company_id).bind(3, target).bind(4, utc_now_iso()).run();
}

bool MappingStore::clear_target(const std::string& psa, const std::string& company_id) {
  Statement s = db_.prepare("DELETE FROM psa_targets WHERE psa = ? AND company_id = ?");
  s.bind(1, psa).bind(2, company_id).run();
  return db_.changes() > 0;
}

std::vector<PsaTarget> MappingStore::targets() {
  Statement s = db_.prepare(
      "SELECT psa, company_id, target, set_at, journal_mark FROM psa_targets "
      "ORDER BY psa, company_id");
  std::vector<PsaTarget> out;
  while (s.step()) {
    out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.optional_int64(4)});
  }
  return out;
}

std::map<std::string, std::string> MappingStore::targets_of(const std::string& psa) {
  Statement s = db_.prepare("SELECT company_id, target FROM psa_targets WHERE psa = ?");
  s.bind(1, psa);
  std::map<std::string, std::string> out;
  while (s.step()) out[s.text(0)] = s.text(1);
  return out;
}

}  // namespace meterbridge::host::store
