# `cmake --install` of the SDK: headers, the CMake package and meterbridge_add_plugin().
include(CMakePackageConfigHelpers)
file(STRINGS ${CMAKE_CURRENT_SOURCE_DIR}/include/meterbridge/abi.h abi_lines REGEX "^#define MB_ABI_M(AJOR|INOR) ")
string(REGEX MATCH "MB_ABI_MAJOR ([0-9]+)" _ "${abi_lines}")
set(abi_major ${CMAKE_MATCH_1})
string(REGEX MATCH "MB_ABI_MINOR ([0-9]+)" _ "${abi_lines}")
set(MB_ABI_VERSION "${abi_major}.${CMAKE_MATCH_1}")

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/MeterbridgeSDK)
install(DIRECTORY include/meterbridge DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS meterbridge_sdk EXPORT MeterbridgeSDKTargets)
set_target_properties(meterbridge_sdk PROPERTIES EXPORT_NAME sdk)
install(EXPORT MeterbridgeSDKTargets NAMESPACE Meterbridge:: DESTINATION ${config_dir})
configure_package_config_file(cmake/MeterbridgeSDKConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/MeterbridgeSDKConfig.cmake INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/MeterbridgeSDKConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/MeterbridgeSDKConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/MeterbridgeSDKConfigVersion.cmake cmake/MeterbridgeAddPlugin.cmake
  DESTINATION ${config_dir})
install(FILES PROTOCOL.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
