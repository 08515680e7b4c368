#include "cli/sandbox_steps.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <regex>

#include "cli/command_support.hpp"
#include "cli/text_table.hpp"
#include "services/http_client.hpp"

namespace meterbridge::host::sandbox_steps {
namespace po = boost::program_options;
using nlohmann::json;
using sandbox::StepResult;

namespace {

// "GET /v4_6_release/apis/3.0/finance/agreements/{id}/additions": ids and UUIDs folded.
std::string endpoint_of(const std::string& method, const std::string& path) {
  // Numbers, UUIDs, year/month pairs and 12-digit hex serial numbers (Datto BCDR appliances).
  static const std::regex id(
      R"(/(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}|\d{4}/\d{1,2}|[0-9A-F]{12})(?=/|$))");
  return method + " " + std::regex_replace(path, id, "/{id}");
}

}  // namespace

json request_json(const std::string& url) {
  HttpSettings settings;
  settings.max_attempts = 1;
  HttpClient client(settings);
  HttpOutcome o = client.perform({{"method", "GET"}, {"url", url}}, nullptr);
  if (o.status != MB_OK) throw std::runtime_error("reading " + url + ": " + o.error);
  return json::parse(o.response.value("body", std::string("null")));
}

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

std::vector<fs::path> emulator_dirs(const po::variables_map& vm) {
  if (vm.count("emulators")) return {fs::path(vm["emulators"].as<std::string>())};
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("METERBRIDGE_EMULATOR_DIR")) dirs.push_back(env);
  std::error_code ec;
  const fs::path exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  dirs.push_back(exe_dir);
  dirs.push_back(exe_dir / ".." / "libexec" / "meterbridge");
  return dirs;
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

StepResult Sandbox::step(const std::vector<std::string>& args, bool capture) {
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

CallCount calls_since(const std::vector<EmulatorLog>& emulators,
                      std::map<std::string, size_t>& seen) {
  CallCount c;
  for (const auto& e : emulators) {
    json log = request_json(e.url + "/_emulator/requests");
    for (size_t i = seen[e.name]; i < log.size(); ++i) {
      std::string method = log[i].value("method", "");
      ++c.by_endpoint[e.name + "  " + endpoint_of(method, log[i].value("path", ""))];
      ++c.total;
      // A query POST (Autotask's /{Entity}/query) reads; everything else but GET and HEAD writes.
      const std::string path = log[i].value("path", "");
      const bool query = path.size() >= 6 && (path.compare(path.size() - 6, 6, "/query") == 0 ||
                                              path.find("/query/") != std::string::npos);
      if (e.psa && method != "GET" && method != "HEAD" && !query) ++c.writes;
    }
    seen[e.name] = log.size();
  }
  return c;
}

nlohmann::json with_isolation(nlohmann::json config, bool isolated) {
  if (!isolated) return config;
  for (auto& [name, instance] : config["plugins"].items()) instance["isolation"] = "process";
  return config;
}

void print_calls(const std::string& title, const CallCount& c, std::chrono::milliseconds wall) {
  std::cout << "\n"
            << title << ": " << c.total << " API call(s), " << c.writes
            << " PSA write(s), wall time " << std::fixed << std::setprecision(3)
            << static_cast<double>(wall.count()) / 1000.0 << " s\n";
  TextTable t({"EMULATOR", "METHOD AND ENDPOINT", "CALLS"});
  for (const auto& [key, n] : c.by_endpoint) {
    auto cut = key.find("  ");
    t.add_row({key.substr(0, cut), key.substr(cut + 2), std::to_string(n)});
  }
  if (!t.empty()) t.print(std::cout);
}

}  // namespace meterbridge::host::sandbox_steps
