// meterbridge-runner: hosts one plugin library out of the meterbridge process, so that a plugin
// that crashes, hangs or leaks takes down only this process. It loads the library with the
// host's own loader and negotiation, then serves the host's hook calls over the pipe pair on
// fds 3 (calls in) and 4 (answers out) until the host closes them (sdk/PROTOCOL.md, "Runner
// protocol"). Started by the host only; `--version` is the one thing a person would run.
//
//   meterbridge-runner --instance NAME --manifest FILE
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "isolation/runner_protocol.hpp"
#include "loader/manifest.hpp"
#include "loader/plugin_module.hpp"
#include "runner/runner_services.hpp"

#if defined(__SANITIZE_ADDRESS__)
// A crash must end this process by its signal, so that the host can name it (SIGSEGV, SIGABRT),
// not be turned into an ASan report and exit code 1. ASAN_OPTIONS still overrides this.
extern "C" const char* __asan_default_options() {
  return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_abort=0:handle_sigill=0";
}
#endif

namespace meterbridge::host::runner {
namespace {

struct Args {
  std::string instance;
  std::string manifest;
};

bool parse_args(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--instance" || a == "--manifest") && i + 1 < argc) {
      (a == "--instance" ? args.instance : args.manifest) = argv[++i];
    } else {
      return false;
    }
  }
  return !args.instance.empty() && !args.manifest.empty();
}

// The address-space limit backs up the host's resident-memory watch (which names the cause);
// under ASan the address space is mostly shadow memory, so no limit can be set there.
void limit_address_space(int64_t memory_mb) {
#if !defined(__SANITIZE_ADDRESS__)
  if (memory_mb <= 0) return;
  const rlim_t bytes = static_cast<rlim_t>(memory_mb + 1024) * 1024 * 1024;
  rlimit limit{bytes, bytes};
  setrlimit(RLIMIT_AS, &limit);
#else
  (void)memory_mb;
#endif
}

class Runner {
 public:
  explicit Runner(Args args)
      : args_(std::move(args)), channel_(kCallsFd, kAnswersFd), services_(channel_) {}

  int run() {
    Frame hello;
    try {
      hello = read_frame(kCallsFd);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "meterbridge-runner: no hello from the host: %s\n", e.what());
      return 64;
    }
    nlohmann::json answer = {{"t", "hello"},
                             {"protocol", kProtocolVersion},
                             {"version", METERBRIDGE_VERSION},
                             {"pid", static_cast<int64_t>(getpid())}};
    if (hello.type() != "hello" || hello.header.value("protocol", 0) != kProtocolVersion) {
      // The host names both versions from this answer; nothing is loaded.
      channel_.send(answer, {});
      return 0;
    }
    limit_address_space(hello.header.value("memory_mb", int64_t{0}));
    services_.set_min_log_level(hello.header.value("log_level", MB_LOG_TRACE));
    try {
      Manifest manifest = read_manifest(args_.manifest);
      module_ = PluginModule::load(manifest, LoaderOptions{});
      answer["plugin"] = {{"id", module_->id()},
                          {"version", module_->version()},
                          {"kind", module_->kind()},
                          {"abi_major", module_->abi_major()},
                          {"abi_minor", module_->abi_minor()}};
    } catch (const std::exception& e) {
      answer["load_error"] = e.what();
    }
    channel_.send(answer, {});
    if (!module_) return 0;
    return serve();
  }

 private:
  int serve() {
    for (;;) {
      std::optional<Frame> f = channel_.next_call();
      if (!f) {
        // The host is done (or gone): destroy and leave; anything else was garbage.
        if (channel_.why() != "closed") {
          std::fprintf(stderr, "meterbridge-runner: %s\n", channel_.why().c_str());
        }
        break;
      }
      if (f->type() == "bye") break;
      if (f->type() != "call") {
        std::fprintf(stderr, "meterbridge-runner: unexpected '%s' frame\n", f->type().c_str());
        instance_.reset();
        return 65;
      }
      CallResult r = call(*f);
      try {
        channel_.send({{"t", "result"}, {"status", r.status}}, r.text);
      } catch (const std::exception&) {
        break;
      }
    }
    instance_.reset();  // destroy exactly once, if create succeeded
    return 0;
  }

  CallResult call(const Frame& f) {
    const std::string hook = f.header.value("hook", "");
    services_.begin_hook();
    CallResult r;
    try {
      r = dispatch(hook, f);
    } catch (const std::exception& e) {
      r = {MB_E_INTERNAL, "runner: " + hook + " failed: " + e.what()};
    }
    services_.end_hook();
    return r;
  }

  CallResult dispatch(const std::string& hook, const Frame& f) {
    if (hook == "create") {
      if (instance_) return {MB_E_INVALID_ARGUMENT, "runner: the instance exists already"};
      CreateResult created = module_->create_instance(services_.table(), f.body);
      if (!created) return created.error;
      instance_ = std::move(created.instance);
      return {MB_OK, {}};
    }
    if (hook == "validate_settings") return module_->validate_settings(f.body);
    if (hook == "destroy") {
      instance_.reset();
      return {MB_OK, {}};
    }
    if (!instance_) return {MB_E_INVALID_ARGUMENT, "runner: " + hook + " before create"};
    if (hook == "check") return instance_->check();
    if (hook == "invoke") return instance_->invoke(f.header.value("op", ""), f.body);
    return {MB_E_INVALID_ARGUMENT, "runner: unknown hook '" + hook + "'"};
  }

  Args args_;
  HostChannel channel_;
  RunnerServices services_;
  std::shared_ptr<PluginModule> module_;
  std::unique_ptr<PluginInstance> instance_;
};

}  // namespace
}  // namespace meterbridge::host::runner

int main(int argc, char** argv) {
  using namespace meterbridge::host::runner;
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("meterbridge-runner %s (runner protocol %d)\n", METERBRIDGE_VERSION,
                kProtocolVersion);
    return 0;
  }
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: meterbridge-runner --instance NAME --manifest FILE\n"
                 "Started by meterbridge for instances with \"isolation\": \"process\", with "
                 "the runner protocol on fds %d and %d; not meant to be run by hand.\n",
                 kCallsFd, kAnswersFd);
    return 64;
  }
  // Whatever the plugin prints goes to stderr, which the host reads and logs: fd 1 must never
  // mix with anything the host parses.
  dup2(STDERR_FILENO, STDOUT_FILENO);
  return Runner(std::move(args)).run();
}
