// The settings-schema checks live in the SDK (meterbridge/settings_schema.hpp) so that the host
// and the SDK's PluginHarness refuse exactly the same settings; the host's names for them.
#pragma once

#include <meterbridge/settings_schema.hpp>

namespace meterbridge::host {

using meterbridge::schema::SchemaIssue;

using meterbridge::schema::check_schema;
using meterbridge::schema::describe_json_value;
using meterbridge::schema::secret_properties;
using meterbridge::schema::validate_against_schema;

}  // namespace meterbridge::host
