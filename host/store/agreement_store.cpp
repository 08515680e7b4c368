#include "store/agreement_store.hpp"

#include "store/clock.hpp"

namespace meterbridge::host::store {

std::string TargetMap::of(const std::string& company, const std::string& line) const {
  if (auto it = lines.find({company, line}); it != lines.end()) return it->second;
  if (auto it = companies.find(company); it != companies.end()) return it->second;
  return "";
}

std::string TargetMap::source_of(const std::string& company, const std::string& line) const {
  if (lines.count({company, line})) return "line";
  if (companies.count(company)) return "company";
  return "";
}

void AgreementStore::replace(const std::string& psa, const std::string& company_id,
                             const std::vector<PsaAgreement>& agreements) {
  Transaction t(db_);
  Statement del = db_.prepare("DELETE FROM psa_agreements WHERE psa = ? AND company_id = ?");
  del.bind(1, psa).bind(2, company_id).run();
  for (const auto& a : agreements) {
    Statement s = db_.prepare(
        "INSERT OR REPLACE INTO psa_agreements (psa, company_id, id, name, type, status, "
        "is_default) VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, psa)
        .bind(2, company_id)
        .bind(3, a.id)
        .bind(4, a.name)
        .bind(5, a.type)
        .bind(6, a.status)
        .bind(7, static_cast<int64_t>(a.is_default ? 1 : 0))
        .run();
  }
  Statement load = db_.prepare(
      "INSERT INTO psa_agreement_loads (psa, company_id, loaded_at) VALUES (?, ?, ?) "
      "ON CONFLICT (psa, company_id) DO UPDATE SET loaded_at = excluded.loaded_at");
  load.bind(1, psa).bind(2, company_id).bind(3, utc_now_iso()).run();
  t.commit();
}

std::optional<std::vector<PsaAgreement>> AgreementStore::of(const std::string& psa,
                                                            const std::string& company_id) {
  if (!loaded_at(psa, company_id)) return std::nullopt;
  Statement s = db_.prepare(
      "SELECT id, name, type, status, is_default FROM psa_agreements "
      "WHERE psa = ? AND company_id = ? ORDER BY type, name, id");
  s.bind(1, psa).bind(2, company_id);
  std::vector<PsaAgreement> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.int64(4) != 0});
  return out;
}

std::optional<std::string> AgreementStore::loaded_at(const std::string& psa,
                                                     const std::string& company_id) {
  Statement s =
      db_.prepare("SELECT loaded_at FROM psa_agreement_loads WHERE psa = ? AND company_id = ?");
  s.bind(1, psa).bind(2, company_id);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void AgreementStore::put_line_target(const LineTarget& t) {
  Statement s = db_.prepare(
      "INSERT INTO psa_line_targets (psa, company_id, line_id, target, how, agreement_type, "
      "agreement_name, set_at, journal_mark) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
      "(SELECT COALESCE(MAX(id), 0) FROM journal)) "
      "ON CONFLICT (psa, company_id, line_id) DO UPDATE SET target = excluded.target, "
      "how = excluded.how, agreement_type = excluded.agreement_type, "
      "agreement_name = excluded.agreement_name, set_at = excluded.set_at, "
      "journal_mark = excluded.journal_mark");
  s.bind(1, t.psa)
      .bind(2, t.company_id)
      .bind(3, t.line_id)
      .bind(4, t.target)
      .bind(5, t.how)
      .bind(6, t.agreement_type)
      .bind(7, t.agreement_name)
      .bind(8, utc_now_iso())
      .run();
}

bool AgreementStore::clear_line_target(const std::string& psa, const std::string& company_id,
                                       const std::string& line_id) {
  Statement s =
      db_.prepare("DELETE FROM psa_line_targets WHERE psa = ? AND company_id = ? AND line_id = ?");
  s.bind(1, psa).bind(2, company_id).bind(3, line_id).run();
  return db_.changes() > 0;
}

std::vector<LineTarget> AgreementStore::line_targets() {
  Statement s = db_.prepare(
      "SELECT psa, company_id, line_id, target, how, agreement_type, agreement_name, set_at, "
      "journal_mark FROM psa_line_targets ORDER BY psa, company_id, line_id");
  std::vector<LineTarget> out;
  while (s.step()) {
    out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6),
                   s.text(7), s.optional_int64(8)});
  }
  return out;
}

TargetMap AgreementStore::targets_of(const std::string& psa) {
  TargetMap m;
  Statement c = db_.prepare("SELECT company_id, target FROM psa_targets WHERE psa = ?");
  c.bind(1, psa);
  while (c.step()) m.companies[c.text(0)] = c.text(1);
  Statement l =
      db_.prepare("SELECT company_id, line_id, target FROM psa_line_targets WHERE psa = ?");
  l.bind(1, psa);
  while (l.step()) m.lines[{l.text(0), l.text(1)}] = l.text(2);
  return m;
}

}  // namespace meterbridge::host::store
