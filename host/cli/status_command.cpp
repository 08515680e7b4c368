// `meterbridge status`: asks the running service (GET /status on service.listen) and reads the
// store's schedule slots, so that it answers also when no service runs, and says so plainly.
#include <iostream>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/serve_command.hpp"
#include "cli/text_table.hpp"
#include "service/listen_address.hpp"
#include "store/slot_store.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
using nlohmann::json;

namespace {

// The running service's status document, or why there is none.
json ask_service(const std::string& listen, std::string& error) {
  if (listen.empty()) {
    error = "the config has no service.listen address to ask";
    return nullptr;
  }
  service::ListenAddress a = service::parse_listen_address(listen);
  std::string host = a.host;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  httplib::Client client(host, a.port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);
  auto res = client.Get("/status");
  if (!res) {
    error = "nothing answers on " + listen;
    return nullptr;
  }
  json doc = json::parse(res->body, nullptr, false);
  if (res->status != 200 || !doc.is_object() || doc.value("schema", "") != "service-status.v1") {
    error = listen + " answered HTTP " + std::to_string(res->status) +
            ", not a meterbridge service status";
    return nullptr;
  }
  return doc;
}

json stored_jobs(CommandContext& context) {
  json jobs = json::array();
  auto store = open_store(context);
  store::SlotStore slots(store->db());
  for (const std::string job : {"collect", "sync"}) {
    json recent = json::array();
    for (const auto& r : slots.latest(job, 5)) {
      recent.push_back({{"slot", r.slot},
                        {"started_at", r.started_at},
                        {"finished_at", r.finished_at ? json(*r.finished_at) : json(nullptr)},
                        {"result", r.result ? json(*r.result) : json(nullptr)},
                        {"attempts", r.attempts}});
    }
    jobs.push_back({{"job", job}, {"recent_slots", recent}});
  }
  return jobs;
}

std::string text_or(const json& v, const std::string& fallback) {
  return v.is_string() ? v.get<std::string>() : fallback;
}

void print_table(const json& out) {
  const json& service = out["service"];
  if (service["running"].get<bool>()) {
    const json& s = service["status"];
    std::cout << "Service: running on " << service["listen"].get<std::string>() << " (pid "
              << s.value("pid", 0) << ", since " << s.value("started_at", "?") << ", "
              << (s["ready"].value("ok", false) ? "ready" : "NOT ready") << ")\n";
    const json reasons = s["ready"].value("reasons", json::array());
    for (const auto& r : reasons) {
      std::cout << "  not ready: " << r.get<std::string>() << '\n';
    }
    if (s.value("test_clock", false))
      std::cout << "  TEST CLOCK: now " << s.value("now", "?") << '\n';
    TextTable jobs({"JOB", "LAST SLOT", "RESULT", "FINISHED", "NEXT RUN"});
    const json job_list = s.value("jobs", json::array());
    for (const auto& j : job_list) {
      const json& last = j["last_run"];
      jobs.add_row({j["job"].get<std::string>(),
                    last.is_object() ? text_or(last["slot"], "-") : "-",
                    last.is_object() ? text_or(last["result"], "-") : "never",
                    last.is_object() ? text_or(last["finished_at"], "-") : "-",
                    text_or(j["next_run"], "off")});
    }
    jobs.print(std::cout);
    TextTable inst(
        {"INSTANCE", "KIND", "LAST RUN", "RESULT", "API CALLS", "API ERRORS", "RUNNER RESTARTS"});
    const json instances = s.value("instances", json::array());
    for (const auto& i : instances) {
      int64_t errors = 0;
      const json by_class = i.value("api_errors", json::object());
      for (const auto& [cls, n] : by_class.items()) errors += n.get<int64_t>();
      // In-process instances have no runner to restart: "-".
      const json runner = i.value("runner", json(nullptr));
      inst.add_row({i["instance"].get<std::string>(), text_or(i["kind"], "?"),
                    text_or(i["last_run_at"], "-"), text_or(i["last_result"], "-"),
                    std::to_string(i.value("api_calls", 0)), std::to_string(errors),
                    runner.is_object() ? std::to_string(runner.value("restarts", 0)) : "-"});
    }
    inst.print(std::cout);
    std::cout << "Unmapped customers with usage: " << s.value("unmapped_customers_with_usage", 0)
              << '\n';
    const json missed = s.value("missed_beyond_catch_up", json::array());
    for (const auto& m : missed) std::cout << "MISSED: " << m.get<std::string>() << '\n';
    return;
  }
  std::cout << "Service: not running (" << service["error"].get<std::string>() << ")\n"
            << "From the store " << out["store"].get<std::string>() << ":\n";
  TextTable jobs({"JOB", "SLOT", "RESULT", "STARTED", "FINISHED", "ATTEMPTS"});
  for (const auto& j : out["jobs"]) {
    if (j["recent_slots"].empty())
      jobs.add_row({j["job"].get<std::string>(), "-", "never", "-", "-", "-"});
    for (const auto& r : j["recent_slots"]) {
      jobs.add_row({j["job"].get<std::string>(), r["slot"].get<std::string>(),
                    text_or(r["result"], "unfinished"), r["started_at"].get<std::string>(),
                    text_or(r["finished_at"], "-"), std::to_string(r["attempts"].get<int64_t>())});
    }
  }
  jobs.print(std::cout);
}

}  // namespace

int run_status_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge status`");
  options.add_options()("format",
                        po::value<std::string>()->default_value("table")->value_name("FORMAT"),
                        "table or json");
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout << "Usage: meterbridge [--config PATH] status [--format table|json]\n\n"
                 "Asks the running `meterbridge serve` (GET /status on the config's\n"
                 "service.listen) for its jobs, instances and readiness, and reads the store's\n"
                 "recent schedule slots. Exit code 0 when a service runs and is ready, 1 when\n"
                 "none runs or it is not ready.\n\n"
              << options;
    return kExitOk;
  }
  const std::string format = format_value(p, {"table", "json"});
  const Config& config = context.config_or_defaults();
  std::string error;
  json doc;
  try {
    doc = ask_service(config.service.listen, error);
  } catch (const std::invalid_argument& e) {
    error = e.what();
  }
  json out = {{"schema", "status.v1"},
              {"service",
               {{"running", !doc.is_null()},
                {"listen", config.service.listen},
                {"status", doc},
                {"error", doc.is_null() ? json(error) : json(nullptr)}}},
              {"store", store_path(context).string()},
              {"jobs", stored_jobs(context)}};
  if (format == "json") {
    std::cout << out.dump(2) << '\n';
  } else {
    print_table(out);
  }
  const bool ready = !doc.is_null() && doc["ready"].value("ok", false);
  return ready ? kExitOk : kExitFailure;
}

}  // namespace meterbridge::host
