// Migration 4: psa_hint on vendor customers and gone PSA companies, and an older store
// upgrading to it with its data kept.
#include <catch2/catch.hpp>

#include "store/billing_store.hpp"
#include "store/schema.hpp"
#include "store_test_support.hpp"

using namespace meterbridge::host::store;

TEST_CASE("a version 3 store upgrades to psa hints and keeps its customers and mappings") {
  auto file = fresh_store_path("v3-upgrade");
  {
    Database db(file);
    migrate(db, 3);
    db.exec(
        "INSERT INTO vendor_customers VALUES ('rmm', 'S1', 'Acme', 20000, 20000);"
        "INSERT INTO psa_companies VALUES ('at', '42', 'Acme Inc', 'discovered');"
        "INSERT INTO customer_map VALUES ('rmm', 'S1', 'at', '42', 'manual', "
        "'2026-01-01T00:00:00Z');");
  }
  BillingStore s(file);
  Statement v = s.db().prepare("PRAGMA user_version");
  REQUIRE(v.step());
  CHECK(v.int64(0) == schema_version());
  auto customers = s.usage().customers();
  REQUIRE(customers.size() == 1);
  CHECK(customers[0].name == "Acme");
  CHECK_FALSE(customers[0].psa_hint);
  auto companies = s.mapping().psa_companies();
  REQUIRE(companies.size() == 1);
  CHECK_FALSE(companies[0].gone_since);
  CHECK(s.mapping().customer_mappings().size() == 1);
}

TEST_CASE("a catalog's psa hint is stored, replaced by the next catalog, kept by usage") {
  BillingStore s(fresh_store_path("hints"));
  PsaHint hint{"autotask", "42", "Acme Inc"};
  s.usage().upsert_customers("rmm", 20000, {{"rmm", "S1", "Acme", hint}, {"rmm", "S2", "Bolt"}},
                             true);
  auto customers = s.usage().customers("rmm");
  REQUIRE(customers.size() == 2);
  REQUIRE(customers[0].psa_hint);
  CHECK(*customers[0].psa_hint == hint);
  CHECK_FALSE(customers[1].psa_hint);

  // Usage records carry no hints: they must not wipe the catalog's.
  s.usage().upsert_customers("rmm", 20001, {{"rmm", "S1", "Acme"}});
  REQUIRE(s.usage().customers("rmm")[0].psa_hint);

  // The vendor removed the link: the next catalog says so.
  s.usage().upsert_customers("rmm", 20002, {{"rmm", "S1", "Acme"}}, true);
  CHECK_FALSE(s.usage().customers("rmm")[0].psa_hint);
}

TEST_CASE("a discovered company the sink no longer lists is gone until listed again") {
  BillingStore s(fresh_store_path("gone"));
  s.mapping().upsert_psa_companies({{"at", "1", "Acme", "discovered"},
                                    {"at", "2", "Bolt", "discovered"},
                                    {"at", "3", "Hand made", "manual"}});
  CHECK(s.mapping().mark_gone_companies("at", {{"at", "1", "Acme", "discovered"}}) == 1);
  for (const auto& c : s.mapping().psa_companies()) {
    INFO(c.id);
    CHECK(c.gone_since.has_value() == (c.id == "2"));
  }
  s.mapping().upsert_psa_companies({{"at", "2", "Bolt", "discovered"}});
  for (const auto& c : s.mapping().psa_companies()) CHECK_FALSE(c.gone_since);
}
