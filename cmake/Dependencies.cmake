# Every dependency is a Debian 12 package installed by scripts/install-deps.sh.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS filesystem program_options)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(CURL REQUIRED)
find_package(date REQUIRED)  # Howard Hinnant's date/tz (libhowardhinnant-date-dev)
find_package(simdjson 3 REQUIRED)  # libsimdjson-dev: the host reads large usage answers
find_package(OpenSSL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)  # libsystemd-dev: sd_notify for `serve`
if(METERBRIDGE_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)
  include(Catch)
endif()
