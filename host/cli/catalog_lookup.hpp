// Looking up what mapping commands name (vendor customers and products, PSA companies and
// lines) with refusals that say what is unknown and where to look, plus option checks they share.
#pragma once

#include <iostream>
#include <stdexcept>
#include <string>

#include "cli/command_support.hpp"
#include "store/billing_store.hpp"

namespace meterbridge::host {

// A refusal of the operator's input: exit 2 with the message, nothing written.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// psa may be "" (any PSA, refused when the id is in several).
store::PsaCompany resolve_company(store::BillingStore& s, const std::string& id,
                                  const std::string& psa);
store::PsaLine resolve_line(store::BillingStore& s, const std::string& id, const std::string& psa);
store::VendorCustomer resolve_customer(store::BillingStore& s, const std::string& source,
                                       const std::string& id);
store::VendorProduct resolve_product(store::BillingStore& s, const std::string& source,
                                     const std::string& sku);

// The option `name` as a finite non-negative number, else a usage error.
double non_negative(const ParsedOptions& p, const char* name);
bool on_off(const std::string& text, const char* what);
std::string psa_option(const ParsedOptions& p);
void need_positional(const ParsedOptions& p, size_t n, const std::string& usage);

// Runs f, turning an InputError into its message on stderr and exit code 2.
template <class F>
int guarded(F&& f) {
  try {
    return f();
  } catch (const InputError& e) {
    std::cerr << "meterbridge: " << e.what() << '\n';
    return 2;
  }
}

}  // namespace meterbridge::host
