# CPack: `cpack -G DEB` in the build directory makes two Debian packages, one per install
# component:
#   service -> meterbridge      the binary, the bundled plugins with their manifests, the systemd
#                               unit, its sysusers.d file, the example config, README.operators.md
#   sdk     -> meterbridge-sdk  the SDK headers, its CMake package, its documents and examples
# Tests and emulators install nothing, so they are in neither. CPACK_COMPONENTS_ALL stays unset:
# an install() in a third component would make a third package, which tests/packaging refuses.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME meterbridge)
set(CPACK_PACKAGE_VENDOR "meterbridge")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "meterbridge maintainers <maintainers@meterbridge.invalid>")
# The unit runs /usr/bin/meterbridge: the packages install under /usr whatever
# CMAKE_INSTALL_PREFIX the build was configured with (CI keeps the default /usr/local).
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://meterbridge.invalid")

set(CPACK_DEBIAN_SERVICE_PACKAGE_NAME meterbridge)
set(CPACK_DEBIAN_SERVICE_PACKAGE_SECTION net)
# One string (not a list): the first line is the synopsis, the rest the long description.
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPackDeb would put it before each synopsis.
set(CPACK_DEBIAN_SERVICE_DESCRIPTION "MSP billing service: vendor usage to PSA billing lines
meterbridge collects licence and seat usage from vendor APIs (Sophos Central, Datto, usage
exports) through plugins, maps it to PSA companies and products, and syncs the billing lines to
ConnectWise Manage or Autotask. Includes the bundled plugins and a hardened systemd unit that
runs `meterbridge serve` on a schedule.")
# Written by hand, not by dpkg-shlibdeps: the exact Debian 12 packages of the libraries the
# binary and the plugins link (readelf -d: NEEDED), plus tzdata, which the date library reads at
# run time. Keep in step with cmake/Dependencies.cmake.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_SERVICE_PACKAGE_DEPENDS
  "libc6 (>= 2.36), libstdc++6 (>= 12), libgcc-s1, libcurl4, libsqlite3-0, libssl3, \
libboost-program-options1.74.0, libboost-filesystem1.74.0, libspdlog1.10, libfmt9, libdate-tz3, \
libsimdjson14, libsystemd0, tzdata")
set(CPACK_DEBIAN_SERVICE_PACKAGE_RECOMMENDS "systemd")
# postinst: the meterbridge user (systemd-sysusers) and a daemon-reload; prerm stops the service
# on removal; postrm reloads systemd again. None enables or starts the service: it needs a config.
set(CPACK_DEBIAN_SERVICE_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)  # the scripts 0755 whatever the checkout

set(CPACK_DEBIAN_SDK_PACKAGE_NAME meterbridge-sdk)
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_SDK_PACKAGE_DEPENDS "nlohmann-json3-dev (>= 3.11)")
set(CPACK_DEBIAN_SDK_DESCRIPTION "meterbridge plugin SDK: headers, CMake package and documentation
Everything a third party needs to write a meterbridge plugin: the C ABI header, the C++ SDK
headers, find_package(MeterbridgeSDK) with meterbridge_add_plugin(), PROTOCOL.md,
GETTING_STARTED.md and the example plugins.")

include(CPack)
