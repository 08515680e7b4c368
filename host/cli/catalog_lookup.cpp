#include "cli/catalog_lookup.hpp"

#include <cmath>

namespace meterbridge::host {

store::PsaCompany resolve_company(store::BillingStore& s, const std::string& id,
                                  const std::string& psa) {
  std::vector<store::PsaCompany> found;
  for (auto& c : s.mapping().psa_companies()) {
    if (c.id == id && (psa.empty() || c.psa == psa)) found.push_back(c);
  }
  if (found.empty()) {
    throw InputError("unknown PSA company '" + id + "'" +
                     (psa.empty() ? "" : " in PSA '" + psa + "'") +
                     " (see `meterbridge psa list`; companies come from `meterbridge discover` "
                     "or `meterbridge psa add-company`)");
  }
  if (found.size() > 1) {
    throw InputError("PSA company id '" + id + "' exists in several PSAs; say which with --psa");
  }
  return found.front();
}

store::PsaLine resolve_line(store::BillingStore& s, const std::string& id, const std::string& psa) {
  std::vector<store::PsaLine> found;
  for (auto& l : s.mapping().psa_lines()) {
    if (l.id == id && (psa.empty() || l.psa == psa)) found.push_back(l);
  }
  if (found.empty()) {
    throw InputError("unknown PSA line '" + id + "'" +
                     (psa.empty() ? "" : " in PSA '" + psa + "'") +
                     " (see `meterbridge psa list`)");
  }
  if (found.size() > 1) {
    throw InputError("PSA line id '" + id + "' exists in several PSAs; say which with --psa");
  }
  return found.front();
}

store::VendorCustomer resolve_customer(store::BillingStore& s, const std::string& source,
                                       const std::string& id) {
  for (auto& c : s.usage().customers(source)) {
    if (c.id == id) return c;
  }
  throw InputError("unknown vendor customer '" + id + "' of source '" + source +
                   "' (customers appear after `meterbridge collect` or `meterbridge discover`; "
                   "see `meterbridge map list`)");
}

store::VendorProduct resolve_product(store::BillingStore& s, const std::string& source,
                                     const std::string& sku) {
  for (auto& p : s.usage().products(source)) {
    if (p.sku == sku) return p;
  }
  throw InputError("unknown product SKU '" + sku + "' of source '" + source +
                   "' (products appear after `meterbridge collect` or `meterbridge discover`)");
}

double non_negative(const ParsedOptions& p, const char* name) {
  std::string text = p.vm[name].as<std::string>();
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(v >= 0) || !std::isfinite(v)) {
    usage_error(std::string("--") + name + ": expected a non-negative number, found '" + text +
                "'");
  }
  return v;
}

bool on_off(const std::string& text, const char* what) {
  if (text == "on") return true;
  if (text == "off") return false;
  usage_error(std::string(what) + ": expected on or off, found '" + text + "'");
}

std::string psa_option(const ParsedOptions& p) {
  return p.vm.count("psa") ? p.vm["psa"].as<std::string>() : "";
}

void need_positional(const ParsedOptions& p, size_t n, const std::string& usage) {
  if (p.positional.size() != n) usage_error("expected: " + usage);
}

}  // namespace meterbridge::host
