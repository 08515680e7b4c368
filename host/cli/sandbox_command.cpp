#include "cli/sandbox_command.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <regex>

#include <nlohmann/json.hpp>

#include "cli/command_support.hpp"
#include "cli/exit_codes.hpp"
#include "cli/text_table.hpp"
#include "engine/calendar.hpp"
#include "sandbox/child_process.hpp"
#include "sandbox/demo_data.hpp"
#include "services/http_client.hpp"

namespace meterbridge::host {
namespace po = boost::program_options;
namespace fs = std::filesystem;
using nlohmann::json;
using sandbox::EmulatorChild;
using sandbox::StepResult;

namespace {

// A suggestion at least this close, and clearly ahead of the runner-up, is confirmed by the
// sandbox the way an operator would confirm it with `meterbridge map customer`.
constexpr double kConfirmScore = 0.80;

void write_private_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
}

fs::path find_emulator(const std::vector<fs::path>& dirs, const std::string& name) {
  for (const auto& d : dirs) {
    std::error_code ec;
    if (fs::is_regular_file(d / name, ec)) return d / name;
  }
  std::string where;
  for (const auto& d : dirs) where += (where.empty() ? "" : ", ") + d.string();
  throw std::runtime_error(name + " not found in " + where +
                           "; build it (cmake -DMETERBRIDGE_BUILD_EMULATORS=ON, the default) or "
                           "pass --emulators DIR");
}

// The emulator's request log ("/_emulator/requests"); its control API needs no credentials.
json request_log(const std::string& base_url) {
  HttpSettings settings;
  settings.max_attempts = 1;
  HttpClient client(settings);
  HttpOutcome o =
      client.perform({{"method", "GET"}, {"url", base_url + "/_emulator/requests"}}, nullptr);
  if (o.status != MB_OK) throw std::runtime_error("reading the emulator's request log: " + o.error);
  return json::parse(o.response.value("body", std::string("[]")));
}

// "GET /v4_6_release/apis/3.0/finance/agreements/{id}/additions": ids and UUIDs folded.
std::string endpoint_of(const std::string& method, const std::string& path) {
  static const std::regex id(R"(/(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}|\d{4}/\d{1,2})(?=/|$))");
  return method + " " + std::regex_replace(path, id, "/{id}");
}

// Counts the calls each emulator answered since `seen` (per emulator), by endpoint. Writes
// are the PSA's non-GET calls (the vendor's token POST writes nothing).
struct CallCount {
  std::map<std::string, int> by_endpoint;
  int total = 0;
  int writes = 0;
};

struct EmulatorLog {
  std::string name;
  std::string url;
  bool psa = false;
};

CallCount calls_since(const std::vector<EmulatorLog>& emulators,
                      std::map<std::string, size_t>& seen) {
  CallCount c;
  for (const auto& e : emulators) {
    json log = request_log(e.url);
    for (size_t i = seen[e.name]; i < log.size(); ++i) {
      std::string method = log[i].value("method", "");
      ++c.by_endpoint[e.name + "  " + endpoint_of(method, log[i].value("path", ""))];
      ++c.total;
      if (e.psa && method != "GET" && method != "HEAD") ++c.writes;
    }
    seen[e.name] = log.size();
  }
  return c;
}

void print_calls(const std::string& title, const CallCount& c, std::chrono::milliseconds wall) {
  std::cout << "\n"
            << title << ": " << c.total << " API call(s), " << c.writes
            << " PSA write(s), wall time " << std::fixed << std::setprecision(2)
            << static_cast<double>(wall.count()) / 1000.0 << " s\n";
  TextTable t({"EMULATOR", "METHOD AND ENDPOINT", "CALLS"});
  for (const auto& [key, n] : c.by_endpoint) {
    auto cut = key.find("  ");
    t.add_row({key.substr(0, cut), key.substr(cut + 2), std::to_string(n)});
  }
  if (!t.empty()) t.print(std::cout);
}

class Sandbox {
 public:
  explicit Sandbox(fs::path config) : config_(std::move(config)) {}

  // Runs `meterbridge --config <sandbox config> args...`, showing it like a terminal would.
  StepResult step(const std::vector<std::string>& args, bool capture = false) {
    std::vector<std::string> all = {"--config", config_.string(), "--log-level", "warn"};
    all.insert(all.end(), args.begin(), args.end());
    if (!capture) {
      std::cout << "\n== meterbridge";
      for (const auto& a : args) std::cout << ' ' << a;
      std::cout << '\n';
    }
    StepResult r = sandbox::run_self(all, capture);
    if (r.exit_code != 0 && !capture) {
      std::cout << "(exit code " << r.exit_code << ")\n";
    }
    return r;
  }

 private:
  fs::path config_;
};

// Confirms the clear suggestions: the best candidate above kConfirmScore and 0.05 ahead of the
// next. Returns how many customers were linked.
int confirm_suggestions(Sandbox& sb) {
  StepResult r = sb.step({"map", "suggest", "--format", "json"}, true);
  if (r.exit_code != 0) return 0;
  int linked = 0;
  for (const auto& row : json::parse(r.out)) {
    const json& c = row["candidates"];
    if (c.empty() || c[0]["score"].get<double>() < kConfirmScore) continue;
    if (c.size() > 1 && c[0]["score"].get<double>() - c[1]["score"].get<double>() < 0.05) continue;
    std::cout << "confirming " << row["customer_name"].get<std::string>() << " -> "
              << c[0]["company_name"].get<std::string>() << " (score " << std::fixed
              << std::setprecision(3) << c[0]["score"].get<double>() << ")\n";
    StepResult m =
        sb.step({"map", "customer", row["source"], row["customer_id"], c[0]["company"]}, true);
    if (m.exit_code == 0) ++linked;
  }
  return linked;
}

fs::path make_work_dir(const po::variables_map& vm) {
  if (vm.count("dir")) {
    fs::path dir = fs::absolute(vm["dir"].as<std::string>());
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
      usage_error("--dir: " + dir.string() + " exists and is not empty");
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all);
    return dir;
  }
  std::string tmpl = (fs::temp_directory_path() / "meterbridge-sandbox-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory");
  return tmpl;
}

json sandbox_config(const fs::path& dir, const json& sophos, const std::string& sophos_url,
                    const json& cw, const std::string& cw_url) {
  return {{"config_version", 1},
          {"timezone", "UTC"},
          {"data_dir", (dir / "data").string()},
          {"plugins",
           {{"sophos",
             {{"enabled", true},
              {"plugin", "sophos-central"},
              {"settings",
               {{"client_id", sophos["credentials"]["client_id"]},
                {"client_secret",
                 "${file:" + (dir / "secrets" / "sophos-client-secret").string() + "}"},
                {"token_url", sophos_url + "/id/api/v2/oauth2/token"},
                {"api_url", sophos_url + "/api"}}}}},
            {"connectwise",
             {{"enabled", true},
              {"plugin", "connectwise-manage"},
              {"settings",
               {{"site_url", cw_url},
                {"company_id", cw["company_id"]},
                {"public_key", cw["public_key"]},
                {"private_key",
                 "${file:" + (dir / "secrets" / "connectwise-private-key").string() + "}"},
                {"client_id", cw["client_ids"][0]}}}}}}}};
}

int run_sandbox(const po::variables_map& vm) {
  const bool keep = vm.count("keep") > 0;
  std::error_code ec;
  const fs::path exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  std::vector<fs::path> emulator_dirs;
  if (vm.count("emulators")) {
    emulator_dirs.push_back(vm["emulators"].as<std::string>());
  } else {
    if (const char* env = std::getenv("METERBRIDGE_EMULATOR_DIR")) emulator_dirs.push_back(env);
    emulator_dirs.push_back(exe_dir);
    emulator_dirs.push_back(exe_dir / ".." / "libexec" / "meterbridge");
  }
  const fs::path sophos_exe = find_emulator(emulator_dirs, "emulator-sophos");
  const fs::path cw_exe = find_emulator(emulator_dirs, "emulator-connectwise");

  const engine::Day today = engine::today_in_zone("UTC", std::chrono::system_clock::now());
  const engine::YearMonth month = engine::year_month_of(today);
  const fs::path dir = make_work_dir(vm);
  fs::create_directories(dir / "secrets");
  fs::create_directories(dir / "logs");
  sandbox::DemoData demo = sandbox::make_demo_data(month);
  write_private_file(dir / "sophos-seed.json", demo.sophos_seed.dump(2));
  write_private_file(dir / "connectwise-seed.json", demo.connectwise_seed.dump(2));
  write_private_file(dir / "secrets" / "sophos-client-secret",
                     demo.sophos_seed["credentials"]["client_secret"].get<std::string>());
  write_private_file(dir / "secrets" / "connectwise-private-key",
                     demo.connectwise_seed["private_key"].get<std::string>());

  std::cout << "meterbridge sandbox: demo data in " << dir.string() << "\n";
  EmulatorChild sophos(sophos_exe, dir / "sophos-seed.json", dir / "logs", keep);
  EmulatorChild cw(cw_exe, dir / "connectwise-seed.json", dir / "logs", keep);
  std::cout << "emulator-sophos      " << sophos.url() << "  (Sophos Central Partner API, "
            << demo.sophos_seed["tenants"].size() << " tenants)\n"
            << "emulator-connectwise " << cw.url() << "  (ConnectWise Manage, "
            << demo.connectwise_seed["companies"].size() << " companies)\n";
  const fs::path config = dir / "config.json";
  write_private_file(
      config,
      sandbox_config(dir, demo.sophos_seed, sophos.url(), demo.connectwise_seed, cw.url()).dump(2));
  std::cout << "config               " << config.string() << "\n";

  Sandbox sb(config);
  const std::vector<EmulatorLog> emulators = {{"sophos", sophos.url(), false},
                                              {"connectwise", cw.url(), true}};
  std::map<std::string, size_t> seen;
  bool ok = sb.step({"plugins", "check"}).exit_code == 0;
  ok = sb.step({"discover"}).exit_code == 0 && ok;
  calls_since(emulators, seen);  // the calls above are set-up, not sync
  sb.step({"map", "auto"});
  sb.step({"map", "suggest", "--min-score", "0.7", "--limit", "1"});
  std::cout << "\n== confirming the clear suggestions (score >= " << kConfirmScore << ")\n";
  int confirmed = confirm_suggestions(sb);
  std::cout << confirmed << " customer(s) linked from suggestions\n";
  for (const auto& p : demo.products) {
    if (p.catalog_id.empty()) continue;
    sb.step({"map", "product", "sophos", p.sku, p.catalog_id, "--tracking", "monthly", "--method",
             "last"});
  }

  const std::string period = engine::format_year_month(month);
  StepResult first = sb.step({"sync", "--period", period});
  print_calls("First sync", calls_since(emulators, seen), first.wall);
  StepResult second = sb.step({"sync", "--period", period});
  CallCount again = calls_since(emulators, seen);
  print_calls("Second sync (usage unchanged)", again, second.wall);
  sb.step({"report", "reconcile", "--period", period});
  ok = ok && first.exit_code == 0 && second.exit_code == 0 && again.writes == 0;

  std::cout << "\n";
  if (keep) {
    const pid_t pids[] = {sophos.pid(), cw.pid()};
    const std::string mb = (exe_dir / "meterbridge").string() + " --config " + config.string();
    sophos.release();
    cw.release();
    std::cout << "The emulators keep running (pids " << pids[0] << ", " << pids[1]
              << "). Try, for example:\n"
              << "  " << mb << " plan --period " << period << "\n"
              << "  " << mb << " map list\n"
              << "  " << mb << " psa agreements 19001\n"
              << "  " << mb << " journal --period " << period << "\n"
              << "  curl " << cw.url() << "/_emulator/state      (what ConnectWise holds)\n"
              << "Stop them with: kill " << pids[0] << " " << pids[1] << "; remove " << dir.string()
              << " when done.\n";
    return ok ? kExitOk : kExitFailure;
  }
  sophos.stop();
  cw.stop();
  if (!vm.count("dir")) fs::remove_all(dir, ec);
  std::cout << "Emulators stopped" << (vm.count("dir") ? "" : ", demo directory removed")
            << ". Run `meterbridge sandbox --keep` to explore the result.\n";
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

int run_sandbox_command(CommandContext& context) {
  po::options_description options("Options of `meterbridge sandbox`");
  options.add_options()("keep", "leave the emulators running and the demo directory in place")(
      "dir", po::value<std::string>()->value_name("DIR"),
      "put the demo here (must be empty or absent; default: a new temporary directory)")(
      "emulators", po::value<std::string>()->value_name("DIR"),
      "where emulator-sophos and emulator-connectwise are (default: next to meterbridge)");
  ParsedOptions p = parse_options(context.args(), options);
  if (p.help) {
    std::cout << "Usage: meterbridge sandbox [--keep] [--dir DIR] [--emulators DIR]\n\n"
                 "A full Sophos Central to ConnectWise Manage billing run on demo data, with no\n"
                 "account needed: starts both API emulators on free loopback ports, writes a\n"
                 "config in a temporary directory, then runs discover, map auto, suggestions,\n"
                 "product mappings, a sync, a second sync (which must write nothing) and the\n"
                 "reconciliation report, printing the API calls and wall time of each sync.\n\n"
              << options;
    return kExitOk;
  }
  try {
    return run_sandbox(p.vm);
  } catch (const std::runtime_error& e) {
    std::cerr << "meterbridge sandbox: " << e.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace meterbridge::host
