#include "cli/agreement_support.hpp"

#include <iostream>
#include <stdexcept>

#include "cli/catalog_lookup.hpp"
#include "cli/command_support.hpp"
#include "cli/psa_sink_support.hpp"
#include "cli/text_table.hpp"

namespace meterbridge::host {

using nlohmann::json;

std::vector<store::PsaAgreement> agreements_of_answer(const json& answer) {
  const bool contracts = answer.contains("contracts");
  const json list = answer.value(contracts ? "contracts" : "agreements", json::array());
  std::vector<store::PsaAgreement> out;
  if (!list.is_array()) return out;
  for (const auto& a : list) {
    if (!a.is_object()) continue;
    store::PsaAgreement x;
    x.id = a.contains("id") ? text_of(a["id"]) : "";
    if (x.id.empty() || x.id == "-") continue;
    x.name = a.contains("name") && a["name"].is_string() ? a["name"].get<std::string>() : "";
    x.type = a.contains("type") && a["type"].is_string() ? a["type"].get<std::string>() : "";
    x.status =
        a.contains("status") && a["status"].is_string() ? a["status"].get<std::string>() : "";
    x.is_default = a.contains("default") && a["default"] == true;
    out.push_back(std::move(x));
  }
  return out;
}

std::optional<std::vector<store::PsaAgreement>> refresh_agreements(RunningInstance& sink,
                                                                   store::BillingStore& store,
                                                                   const std::string& company,
                                                                   int& exit_code) {
  json request = {{"company_id", company}};
  auto answer = call_sink_op(sink, {{"agreements", request}, {"contracts", request}}, exit_code);
  if (!answer) return std::nullopt;
  std::vector<store::PsaAgreement> list = agreements_of_answer(*answer);
  store::AgreementStore(store.db()).replace(sink.config->name, company, list);
  return list;
}

void print_agreements(const std::vector<store::PsaAgreement>& agreements,
                      const std::string& company) {
  TextTable t({"ID", "NAME", "TYPE", "STATUS", "DEFAULT"});
  for (const auto& a : agreements) {
    t.add_row({a.id, a.name, a.type, a.status, a.is_default ? "default" : ""});
  }
  if (t.empty()) {
    std::cout << "company " << company << " has no agreement\n";
  } else {
    t.print(std::cout);
  }
}

std::optional<std::string> verify_company(RunningInstance& sink, const std::string& company) {
  CallResult r = sink.plugin->invoke("verify_company", json{{"company_id", company}}.dump());
  if (r.status == MB_E_UNSUPPORTED) return std::nullopt;
  if (!r.ok()) {
    throw std::runtime_error("could not verify company " + company + " with sink '" +
                             sink.config->name + "': " + r.text +
                             " (map with --no-verify to work offline)");
  }
  json answer = json::parse(r.text, nullptr, false);
  if (!answer.is_object()) {
    throw std::runtime_error("sink '" + sink.config->name +
                             "' answered verify_company with something that is not a JSON object");
  }
  if (!answer.value("exists", false)) {
    throw InputError("company " + company + " does not exist in " + sink.config->name + " (" +
                     sink.config->plugin +
                     "): the id is unknown or the company was deleted; check the id in the PSA");
  }
  const json name = answer.value("name", json(""));
  return name.is_string() ? name.get<std::string>() : std::string();
}

}  // namespace meterbridge::host
