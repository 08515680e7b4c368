# `cmake --install` of the SDK: headers, the CMake package and meterbridge_add_plugin(), all in
# the install component sdk (the meterbridge-sdk package, cmake/Packaging.cmake).
include(CMakePackageConfigHelpers)
file(STRINGS ${CMAKE_CURRENT_SOURCE_DIR}/include/meterbridge/abi.h abi_lines REGEX "^#define MB_ABI_M(AJOR|INOR) ")
string(REGEX MATCH "MB_ABI_MAJOR ([0-9]+)" _ "${abi_lines}")
set(abi_major ${CMAKE_MATCH_1})
string(REGEX MATCH "MB_ABI_MINOR ([0-9]+)" _ "${abi_lines}")
set(MB_ABI_VERSION "${abi_major}.${CMAKE_MATCH_1}")

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/MeterbridgeSDK)
install(DIRECTORY include/meterbridge DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT sdk)
install(TARGETS meterbridge_sdk EXPORT MeterbridgeSDKTargets COMPONENT sdk)
set_target_properties(meterbridge_sdk PROPERTIES EXPORT_NAME sdk)
install(EXPORT MeterbridgeSDKTargets NAMESPACE Meterbridge:: DESTINATION ${config_dir} COMPONENT sdk)
configure_package_config_file(cmake/MeterbridgeSDKConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/MeterbridgeSDKConfig.cmake INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/MeterbridgeSDKConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/MeterbridgeSDKConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/MeterbridgeSDKConfigVersion.cmake cmake/MeterbridgeAddPlugin.cmake
  DESTINATION ${config_dir} COMPONENT sdk)

# The SDK's documents and examples, under <prefix>/<docdir>/sdk: PROTOCOL.md, GETTING_STARTED.md
# and examples/. Their links to the headers are written relative to the source tree (sdk/include);
# the installed copies point at <prefix>/<includedir> instead, so every link works after install.
set(sdk_doc_dir ${CMAKE_INSTALL_DOCDIR}/sdk)
file(RELATIVE_PATH include_from_docs /_prefix/${sdk_doc_dir} /_prefix/${CMAKE_INSTALL_INCLUDEDIR})
foreach(doc PROTOCOL.md GETTING_STARTED.md)
  file(READ ${CMAKE_CURRENT_SOURCE_DIR}/${doc} text)
  string(REPLACE "](include/" "](${include_from_docs}/" text "${text}")
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/installed-docs/${doc} "${text}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${doc})
endforeach()
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/installed-docs/PROTOCOL.md
  ${CMAKE_CURRENT_BINARY_DIR}/installed-docs/GETTING_STARTED.md DESTINATION ${sdk_doc_dir} COMPONENT sdk)
install(DIRECTORY examples/ DESTINATION ${sdk_doc_dir}/examples COMPONENT sdk)
