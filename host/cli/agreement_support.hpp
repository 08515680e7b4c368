// What `map customer` (its Verify) and `psa agreements` share: asking a sink whether a company
// exists and which agreements it has, and keeping the agreements in the store so that
// `psa target --line` can pick one by type and name without asking the PSA again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/plugin_host.hpp"
#include "store/agreement_store.hpp"
#include "store/billing_store.hpp"

namespace meterbridge::host {

// The agreements (ConnectWise) or contracts (Autotask) of an answer, as the store keeps them.
std::vector<store::PsaAgreement> agreements_of_answer(const nlohmann::json& answer);

// Asks the sink for the company's agreements (contracts) and replaces the stored ones. Prints
// the sink's message and sets exit_code on failure.
std::optional<std::vector<store::PsaAgreement>> refresh_agreements(RunningInstance& sink,
                                                                   store::BillingStore& store,
                                                                   const std::string& company,
                                                                   int& exit_code);

// A table of agreements, with the Default marked.
void print_agreements(const std::vector<store::PsaAgreement>& agreements,
                      const std::string& company);

// Verify: asks the sink whether the company exists (verify_company). Returns its name, nothing
// when the sink has no such operation; throws InputError naming the company and the sink when
// it does not exist (unknown or deleted), and std::runtime_error when the sink could not say.
std::optional<std::string> verify_company(RunningInstance& sink, const std::string& company);

}  // namespace meterbridge::host
