// autotask: the operations the setup screens use (`meterbridge psa verify | contracts | catalog`):
// does a company exist, a company's contracts with the default candidate, the service catalog
// (search, add, edit).
#pragma once

#include "at_client.hpp"
#include "at_sink.hpp"

namespace autotask {

class Setup {
 public:
  Setup(meterbridge::Host host, Client& client, const SinkSettings& settings)
      : host_(host), client_(client), settings_(settings) {}

  // {company_id} -> {exists, id, name, identifier, type}
  json verify_company(const json& request);
  // {company_id} -> {contracts: [{id, name, type, status, start, end, category, default}]};
  // default: the single contract the sink bills this month, when there is one.
  json contracts(const json& request);
  // {text} -> {items: [{id, identifier, description, price, inactive}]}
  json search_services(const json& request);
  // {name, price, ...fields} -> one item
  json create_service(const json& request);
  // {id, fields} -> one item
  json edit_service(const json& request);

 private:
  json service_item(int64_t id);
  template <class F>
  json write(F&& f);

  meterbridge::Host host_;
  Client& client_;
  const SinkSettings& settings_;
};

}  // namespace autotask
