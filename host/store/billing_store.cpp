#include "store/billing_store.hpp"

#include "store/schema.hpp"

namespace meterbridge::host::store {

BillingStore::BillingStore(const std::filesystem::path& file)
    : db_(file), usage_(db_), mapping_(db_), journal_(db_) {
  migrate(db_);
}

}  // namespace meterbridge::host::store
