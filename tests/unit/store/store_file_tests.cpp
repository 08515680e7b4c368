// The store file itself: migrations, mode 0600, WAL, foreign keys, append-only journal, and a
// process killed mid-write leaving the last committed state.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <nlohmann/json.hpp>

#include "services/redactor.hpp"
#include "store/billing_store.hpp"
#include "store/schema.hpp"
#include "store_test_support.hpp"

using namespace meterbridge::host::store;

namespace {
int64_t scalar(Database& db, const std::string& sql) {
  Statement s = db.prepare(sql);
  REQUIRE(s.step());
  return s.int64(0);
}
std::string text_scalar(Database& db, const std::string& sql) {
  Statement s = db.prepare(sql);
  REQUIRE(s.step());
  return s.text(0);
}
}  // namespace

TEST_CASE("a new store is migrated, private, in WAL mode with foreign keys on") {
  auto file = fresh_store_path("new");
  BillingStore s(file);
  CHECK(scalar(s.db(), "PRAGMA user_version") == schema_version());
  CHECK(text_scalar(s.db(), "PRAGMA journal_mode") == "wal");
  CHECK(scalar(s.db(), "PRAGMA foreign_keys") == 1);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a store written by a newer meterbridge is refused, not downgraded") {
  auto file = fresh_store_path("newer");
  {
    BillingStore s(file);
    s.db().exec("PRAGMA user_version = " + std::to_string(schema_version() + 1));
  }
  CHECK_THROWS_WITH(BillingStore(file), Catch::Contains("newer than this meterbridge knows"));
}

TEST_CASE("reopening keeps the data and does not migrate twice") {
  auto file = fresh_store_path("reopen");
  {
    BillingStore s(file);
    s.mapping().upsert_psa_companies({{"manual", "C1", "Acme", "manual"}});
  }
  BillingStore s(file);
  CHECK(s.mapping().psa_companies().size() == 1);
}

TEST_CASE("the journal is append-only") {
  BillingStore s(fresh_store_path("journal"));
  JournalEntry e;
  e.run_id = s.journal().begin_run("test");
  e.entry = "intent";
  e.psa = "psa";
  e.company_id = "C1";
  e.line_id = "L1";
  e.period = "2026-10";
  int64_t id = s.journal().append(e);
  CHECK_THROWS_WITH(
      s.db().exec("UPDATE journal SET desired_qty = 1 WHERE id = " + std::to_string(id)),
      Catch::Contains("append-only"));
  CHECK_THROWS_WITH(s.db().exec("DELETE FROM journal"), Catch::Contains("append-only"));
  CHECK(s.journal().pending_intents().size() == 1);
}

TEST_CASE("the journal and the run summaries never store a secret the host resolved") {
  meterbridge::host::Redactor::global().add("jrnl\"s3cr3t-77");
  BillingStore s(fresh_store_path("journal-secret"));
  JournalEntry e;
  e.run_id = s.journal().begin_run("test");
  e.entry = "outcome";
  e.psa = "psa";
  e.company_id = "C1";
  e.line_id = "L1";
  e.period = "2026-10";
  e.ref = "ref-jrnl\"s3cr3t-77";
  e.message = "written with jrnl\"s3cr3t-77";
  e.provenance = nlohmann::json({{"customer_name", "Acme jrnl\"s3cr3t-77"}}).dump();
  s.journal().append(e);
  s.journal().finish_run(e.run_id, "ok",
                         nlohmann::json({{"message", "key jrnl\"s3cr3t-77"}}).dump());
  auto stored = s.journal().entries({});
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].ref == "ref-***");
  CHECK(stored[0].message == "written with ***");
  CHECK(nlohmann::json::parse(stored[0].provenance)["customer_name"] == "Acme ***");
  CHECK(nlohmann::json::parse(s.journal().runs(1)[0].summary)["message"] == "key ***");
}

TEST_CASE("mappings must point at known customers, products, companies and lines") {
  BillingStore s(fresh_store_path("fk"));
  CHECK_THROWS_AS(s.mapping().map_customer({"src", "nobody", "manual", "C1", "manual", ""}),
                  StoreError);
  s.usage().upsert_customers("src", 1, {{"src", "a", "Acme"}});
  CHECK_THROWS_AS(s.mapping().map_customer({"src", "a", "manual", "C404", "manual", ""}),
                  StoreError);
  s.mapping().upsert_psa_companies({{"manual", "C1", "Acme", "manual"}});
  s.mapping().map_customer({"src", "a", "manual", "C1", "manual", ""});
  CHECK(s.mapping().customer_mappings().size() == 1);
}

TEST_CASE("a process killed in the middle of storing days leaves whole days only") {
  auto file = fresh_store_path("killed");
  { BillingStore s(file); }
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child stores large days as fast as it can until it is killed.
    BillingStore s(file);
    int64_t run = s.journal().begin_run("child");
    std::vector<UsageRecord> day;
    for (int c = 0; c < 20000; ++c)
      day.push_back({"c" + std::to_string(c), "", "SKU", "", "seats", 1.0 + c % 7});
    for (Day d = 0;; ++d) {
      for (auto& r : day) r.quantity = 1.0 + (r.quantity + d) * 0 + (d % 3);
      s.usage().store_day("src", d, day, {}, run);
    }
  }
  ::usleep(1500 * 1000);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFSIGNALED(status));

  BillingStore s(file);
  CHECK(text_scalar(s.db(), "PRAGMA integrity_check") == "ok");
  auto days = s.usage().collected_days("src", 0, 100000);
  INFO("days completed before the kill: " << days.size());
  // Every day that was recorded as collected holds all 20,000 series; no day is partial.
  for (Day d : days) {
    int64_t n =
        scalar(s.db(), "SELECT count(*) FROM usage_runs WHERE first_day <= " + std::to_string(d) +
                           " AND last_day >= " + std::to_string(d));
    CHECK(n == 20000);
  }
  Day next = days.empty() ? 0 : days.back() + 1;
  CHECK(scalar(s.db(),
               "SELECT count(*) FROM usage_runs WHERE last_day >= " + std::to_string(next)) == 0);
}
