// One Catch2 main shared by every test executable.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

int main(int argc, char* argv[]) {
  Catch::Session session;
  // --isolation process: the integration tests run every meterbridge they start with each
  // plugin instance under "isolation": "process" (tests/integration/cli/run_process.cpp), so
  // the same test cases check the bundled plugins in a meterbridge-runner too.
  std::string isolation;
  using namespace Catch::clara;
  session.cli(session.cli() | Opt(isolation, "in-process|process")["--isolation"](
                                  "run plugin instances of the meterbridge under test this way"));
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  if (isolation == "process") {
    setenv("METERBRIDGE_TEST_ISOLATION", "process", 1);
  } else if (!isolation.empty() && isolation != "in-process") {
    std::fprintf(stderr, "--isolation: expected in-process or process, found '%s'\n",
                 isolation.c_str());
    return 2;
  }
  // ctest runs each test case by name. A name that matches nothing (one split by ctest at a
  // ';', say) must fail, not pass having run nothing.
  auto& config = session.configData();
  config.warnings =
      static_cast<Catch::WarnAbout::What>(config.warnings | Catch::WarnAbout::NoTests);
  return session.run();
}
