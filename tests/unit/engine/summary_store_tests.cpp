// The summary journal and the agreement store over a real store file: one intent per (sink,
// company, kind, period) whatever the retries, and the line's agreement before the company's.
#include <catch2/catch.hpp>

#include <filesystem>

#include "store/agreement_store.hpp"
#include "store/billing_store.hpp"
#include "store/summary_store.hpp"

using namespace meterbridge::host::store;

namespace {
std::filesystem::path fresh_store(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("mb-summary-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir / "billing.sqlite3";
}
}  // namespace

TEST_CASE("a summary keeps one intent across retries and is never begun again once sent") {
  BillingStore store(fresh_store("journal"));
  SummaryStore s(store.db());
  const SummaryRecord first = s.begin("cw", "250", "detection", "2026-11");
  CHECK(first.state == "intent");
  CHECK(first.attempts == 1);
  s.mark_failed(first.id, "HTTP 500");
  const SummaryRecord retry = s.begin("cw", "250", "detection", "2026-11");
  CHECK(retry.id == first.id);  // the same intent: the sink finds a ticket it may have opened
  CHECK(retry.attempts == 2);
  CHECK(retry.state == "intent");
  s.mark_sent(retry.id, "ticket", "17", "Email security detections 2026-11: Acme [mb #1]");
  const SummaryRecord after = s.begin("cw", "250", "detection", "2026-11");
  CHECK(after.state == "sent");
  CHECK(after.attempts == 2);
  s.mark_failed(after.id, "late failure");  // never downgrades a sent summary
  CHECK(s.find("cw", "250", "detection", "2026-11")->state == "sent");
  CHECK(s.begin("cw", "250", "executive", "2026-11").id != first.id);
  CHECK(s.list("detection", 10).size() == 1);
  CHECK(s.list("", 10).size() == 2);
}

TEST_CASE("the line's agreement wins over the company's, and agreements reload whole") {
  BillingStore store(fresh_store("agreements"));
  AgreementStore a(store.db());
  CHECK_FALSE(a.of("cw", "250"));  // never loaded
  a.replace("cw", "250",
            {{"500", "Managed", "Managed Service", "Active", true},
             {"501", "Block", "Block Time", "Active", false}});
  REQUIRE(a.of("cw", "250"));
  CHECK(a.of("cw", "250")->size() == 2);
  a.replace("cw", "250", {});
  REQUIRE(a.of("cw", "250"));  // loaded, none
  CHECK(a.of("cw", "250")->empty());

  store.mapping().put_target("cw", "250", "500");
  a.put_line_target({"cw", "250", "EDR-SEAT", "501", "explicit", "Block Time", "Block", ""});
  const TargetMap t = a.targets_of("cw");
  CHECK(t.of("250", "EDR-SEAT") == "501");
  CHECK(t.source_of("250", "EDR-SEAT") == "line");
  CHECK(t.of("250", "BACKUP") == "500");
  CHECK(t.source_of("250", "BACKUP") == "company");
  CHECK(t.of("251", "EDR-SEAT").empty());
  CHECK(a.targets_of("other").of("250", "EDR-SEAT").empty());
  CHECK(a.clear_line_target("cw", "250", "EDR-SEAT"));
  CHECK(a.targets_of("cw").of("250", "EDR-SEAT") == "500");
}
