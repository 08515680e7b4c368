// Company management summary reports of the ConnectWise emulator (service.hpp): the
// CompanyManagementSummary model as ConnectWise's OpenAPI document gives it (Jetbuilt/connect_wise
// docs/CompanyManagementSummary.md; paths: tjone270/pyconnectwise-psa
// docs/CompanyManagementSummarysApi.md).
#include "api_support.hpp"
#include "service.hpp"

namespace cw_emu {

namespace {

// The integer counters of CompanyManagementSummary, by their names on the wire.
const char* const kCounters[] = {"snmpMachines",
                                 "totalWorkstations",
                                 "totalServers",
                                 "totalWindowsServers",
                                 "totalWindowsWorkstations",
                                 "totalManagedMachines",
                                 "serversOffline",
                                 "serversDiskSpaceLow",
                                 "failedBackupJobs",
                                 "totalNotifications",
                                 "successfulBackupJobs",
                                 "serverAvailability",
                                 "virusesRemoved",
                                 "spywareItemsRemoved",
                                 "windowsPatchesInstalled",
                                 "diskCleanups",
                                 "diskDefragmentations",
                                 "fullyPatchedMachines",
                                 "missingOneTwoPatchesMachines",
                                 "missingThreeFivePatchesMachines",
                                 "missingMoreFivePatchesMachines",
                                 "missingUnscannedPatchesMachines",
                                 "diskSpaceCleanedMb"};
// Typed as strings in the model (alertsGenerated too, although it reads like a count).
const char* const kStrings[] = {"deviceType", "alertsGenerated", "missingSecurityPatches"};
const char* const kNumbers[] = {"internetConnectivity", "cpuUtilization", "memoryUtilization"};

FieldError invalid_field(const std::string& field, const std::string& message) {
  return {"InvalidField", field, message};
}

std::optional<FieldError> copy_typed(const nlohmann::json& in, nlohmann::json& out) {
  for (const char* k : kCounters) {
    if (!in.contains(k) || in[k].is_null()) continue;
    if (!in[k].is_number_integer()) return invalid_field(k, std::string(k) + " must be an integer");
    out[k] = in[k];
  }
  for (const char* k : kStrings) {
    if (!in.contains(k) || in[k].is_null()) continue;
    if (!in[k].is_string()) return invalid_field(k, std::string(k) + " must be a string");
    out[k] = in[k];
  }
  for (const char* k : kNumbers) {
    if (!in.contains(k) || in[k].is_null()) continue;
    if (!in[k].is_number()) return invalid_field(k, std::string(k) + " must be a number");
    out[k] = in[k];
  }
  return std::nullopt;
}

std::optional<FieldError> build_report(State& st, const nlohmann::json& company,
                                       const nlohmann::json& in, nlohmann::json& out) {
  if (!in.is_object()) return invalid_field("managementSummary", "body must be a JSON object");
  out = nlohmann::json::object();
  if (!in.contains("groupIdentifier") || !in["groupIdentifier"].is_string() ||
      in["groupIdentifier"].get<std::string>().empty())
    return FieldError{"Required", "groupIdentifier", "groupIdentifier is required"};
  if (auto e = check_length(in, "groupIdentifier", 100)) return e;
  out["groupIdentifier"] = in["groupIdentifier"];
  if (in.contains("managementSolution") && !in["managementSolution"].is_null()) {
    const auto& r = in["managementSolution"];
    if (!r.is_object() || !r.contains("id") || !r["id"].is_number_integer())
      return invalid_field("managementSolution", "managementSolution needs an integer id");
    out["managementSolution"] = {{"id", r["id"]}, {"name", r.value("name", "")}};
  }
  if (in.contains("agreement") && !in["agreement"].is_null()) {
    const auto& r = in["agreement"];
    const nlohmann::json* a = r.is_object() && r.contains("id") && r["id"].is_number_integer()
                                  ? find_by_id(st.data().agreements, r["id"].get<long long>())
                                  : nullptr;
    if (!a || (*a)["company"]["id"] != company["id"])  // our choice: the company's own
      return invalid_field("agreement", "agreement " + r.dump() + " is not one of the company's");
    out["agreement"] =
        reference(st.base_url(), "agreement", "/finance/agreements/" + (*a)["id"].dump(),
                  {{"id", (*a)["id"]}, {"name", (*a)["name"]}});
  }
  if (auto e = copy_typed(in, out)) return e;
  out["company"] = company_reference(st.base_url(), company);
  return std::nullopt;
}

}  // namespace

void management_reports(State& st, const httplib::Request& req, httplib::Response& res,
                        const std::string& company_text, const std::vector<std::string>& rest) {
  Data& d = st.data();
  long long cid = 0;
  const nlohmann::json* company =
      parse_int(company_text, cid) ? find_by_id(d.companies, cid) : nullptr;
  if (!company)
    return send_error(res, 404, "NotFound", "Company with id " + company_text + " was not found");
  nlohmann::json mine = nlohmann::json::array();
  for (const auto& r : d.management_reports)
    if (r["company"]["id"].get<long long>() == cid) mine.push_back(r);
  if (read_collection(req, res, st, mine, rest, "Management summary report")) return;
  if (!rest.empty() || req.method != "POST") return no_route(req, res);
  nlohmann::json in, out;
  if (!json_body(req, res, in)) return;
  if (company->value("deletedFlag", false))  // our choice: no new reports on a deleted company
    return send_invalid(res, invalid_field("company", "company " + company_text + " is deleted"),
                        "managementSummary");
  if (auto e = build_report(st, *company, in, out))
    return send_invalid(res, *e, "managementSummary");
  out["id"] = d.next_report_id++;
  stamp(out);
  d.management_reports.push_back(out);
  send_json(res, 201, out);
}

}  // namespace cw_emu
