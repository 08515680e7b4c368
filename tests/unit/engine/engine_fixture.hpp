// A billing store in a temp file with one PSA, its companies and lines, for engine tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "engine/calendar.hpp"
#include "engine/plan.hpp"
#include "store/billing_store.hpp"

namespace engine_test {

using meterbridge::host::engine::Day;
using namespace meterbridge::host;

inline Day day(const char* iso) {
  return *engine::parse_iso_date(iso);
}

struct EngineFixture {
  explicit EngineFixture(const std::string& name)
      : path(std::filesystem::temp_directory_path() /
             ("mb-engine-" + name + "-" + std::to_string(::getpid()) + ".sqlite3")) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
    store = std::make_unique<store::BillingStore>(path);
    run = store->journal().begin_run("test");
    store->mapping().upsert_psa_companies(
        {{"psa", "C1", "Acme", "discovered"}, {"psa", "C2", "Beta", "discovered"}});
    store->mapping().upsert_psa_lines({{"psa", "EDR", "Endpoint", 4.5, "discovered"},
                                       {"psa", "MAIL", "Mail", std::nullopt, "discovered"}});
  }
  // Stores one day of a source: (customer, sku, quantity) with metric "seats".
  void usage(const std::string& source, const char* iso,
             const std::vector<std::tuple<std::string, std::string, double>>& rows) {
    std::vector<store::UsageRecord> records;
    for (const auto& [c, sku, q] : rows) records.push_back({c, c + " name", sku, sku, "seats", q});
    store->usage().store_day(source, day(iso), records, {}, run);
  }
  void map_customer(const std::string& source, const std::string& customer,
                    const std::string& company) {
    store->mapping().map_customer({source, customer, "psa", company, "manual", ""});
  }
  void map_product(const std::string& source, const std::string& sku, const std::string& line,
                   const std::string& method, double included = 0,
                   const std::string& tracking = "daily") {
    store::ProductMapping m;
    m.source = source;
    m.sku = sku;
    m.psa = "psa";
    m.line_id = line;
    m.sync = true;
    m.method = method;
    m.tracking = tracking;
    m.included = included;
    store->mapping().put_product_mapping(m);
  }

  std::filesystem::path path;
  std::unique_ptr<store::BillingStore> store;
  int64_t run = 0;
};

// The plan's line for (company, line), or nullptr.
inline const engine::PlanLine* find_line(const engine::Plan& p, const std::string& company,
                                         const std::string& line) {
  for (const auto& l : p.lines) {
    if (l.company_id == company && l.line_id == line) return &l;
  }
  return nullptr;
}

}  // namespace engine_test
