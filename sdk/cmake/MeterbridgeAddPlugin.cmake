# meterbridge_add_plugin(<target> ID <id> KIND source|sink VERSION <x.y.z>
#                        SOURCES <files...> [OUTPUT_DIRECTORY <dir>] [INSTALL_DESTINATION <dir>])
#
# Builds a meterbridge plugin as a shared library with hidden visibility (only
# meterbridge_plugin_entry is exported) and writes its manifest <id>.plugin.json beside it.
# The host discovers plugins through these manifests. Works in the meterbridge tree and out of
# tree after find_package(MeterbridgeSDK).
#
# ID, KIND and VERSION are written here only: the sources get them as the compile definitions
# MB_PLUGIN_ID ("<id>"), MB_PLUGIN_KIND (MB_KIND_SOURCE or MB_KIND_SINK) and MB_PLUGIN_VERSION
# ("<x.y.z>"), which the MB_PLUGIN(Class, description, schema) macro of plugin.hpp puts into the
# plugin's table, so the table and the manifest cannot disagree.
#
# The sources are compiled once, into the OBJECT library <target>_objects; the module <target>
# and the tests of meterbridge_add_plugin_test() link those objects. Add what the sources need to
# <target>_objects, not to <target>, so the module and its tests both get it:
#   target_include_directories(<target>_objects PRIVATE <dir>)
#   target_link_libraries(<target>_objects PUBLIC <library>)
# (Libraries linked to <target> itself still link into the module, but their include directories
# and definitions no longer reach the compilation of the sources, and the tests miss them.)
#
# meterbridge_add_plugin_test(<test_target> PLUGIN <plugin_target> SOURCES <test files...>
#                             [LIBRARIES <libs...>] [NO_CATCH_MAIN] [TEST_PREFIX <prefix>])
#
# A Catch2 test executable of the test sources plus the plugin's objects (not compiled again),
# with the plugin's include directories, compile definitions and libraries, registered with
# ctest through catch_discover_tests. Links Catch2::Catch2WithMain unless NO_CATCH_MAIN (then one
# of LIBRARIES provides main). Finds Catch2 2.13 when the Catch2::Catch2 target is missing.
include_guard(GLOBAL)

function(meterbridge_add_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 MBP "" "ID;KIND;VERSION;OUTPUT_DIRECTORY;INSTALL_DESTINATION" "SOURCES")
  foreach(required ID KIND VERSION SOURCES)
    if(NOT MBP_${required})
      message(FATAL_ERROR "meterbridge_add_plugin(${target}): ${required} is required")
    endif()
  endforeach()
  if(NOT MBP_KIND MATCHES "^(source|sink)$")
    message(FATAL_ERROR "meterbridge_add_plugin(${target}): KIND must be source or sink, found '${MBP_KIND}'")
  endif()
  if(NOT MBP_ID MATCHES "^[a-z0-9][a-z0-9._-]*$")
    message(FATAL_ERROR "meterbridge_add_plugin(${target}): ID '${MBP_ID}' must match [a-z0-9][a-z0-9._-]*")
  endif()
  # The version goes into a C string literal and a JSON string unescaped.
  if(MBP_VERSION MATCHES "[\"\\\\]")
    message(FATAL_ERROR "meterbridge_add_plugin(${target}): VERSION '${MBP_VERSION}' must not contain quotes or backslashes")
  endif()
  if(NOT TARGET Meterbridge::sdk)
    message(FATAL_ERROR "meterbridge_add_plugin(${target}): the Meterbridge::sdk target is missing; call find_package(MeterbridgeSDK) first")
  endif()

  set(objects ${target}_objects)
  add_library(${objects} OBJECT ${MBP_SOURCES})
  # PUBLIC: the module and the plugin's tests compile and link with what the sources need.
  target_link_libraries(${objects} PUBLIC Meterbridge::sdk)
  target_include_directories(${objects} PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}")
  string(TOUPPER "${MBP_KIND}" kind_upper)
  target_compile_definitions(${objects} PUBLIC
    "MB_PLUGIN_ID=\"${MBP_ID}\""
    "MB_PLUGIN_KIND=MB_KIND_${kind_upper}"
    "MB_PLUGIN_VERSION=\"${MBP_VERSION}\"")
  set_target_properties(${objects} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)

  add_library(${target} MODULE $<TARGET_OBJECTS:${objects}>)
  # For the objects' libraries; CMake links each object once although both name it.
  target_link_libraries(${target} PRIVATE ${objects})
  set_target_properties(${target} PROPERTIES PREFIX "lib")
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # Refuse undefined symbols at link time: a plugin must not depend on host symbols.
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
    # Hidden visibility still exports the typeinfo of std templates; the version script keeps
    # the dynamic symbol table to the one entry point, so plugins cannot clash with each other.
    set(version_script "${CMAKE_CURRENT_BINARY_DIR}/${target}.exports.map")
    file(WRITE "${version_script}" "{\n  global: meterbridge_plugin_entry;\n  local: *;\n};\n")
    target_link_options(${target} PRIVATE "LINKER:--version-script=${version_script}")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${version_script}")
  endif()
  if(MBP_OUTPUT_DIRECTORY)
    set(out_dir "${MBP_OUTPUT_DIRECTORY}")
  elseif(DEFINED METERBRIDGE_PLUGIN_OUTPUT_DIR)
    set(out_dir "${METERBRIDGE_PLUGIN_OUTPUT_DIR}")
  else()
    set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/plugins")
  endif()
  set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${out_dir}")

  set(manifest "${out_dir}/${MBP_ID}.plugin.json")
  file(GENERATE OUTPUT "${manifest}" CONTENT
"{
  \"manifest_version\": 1,
  \"id\": \"${MBP_ID}\",
  \"kind\": \"${MBP_KIND}\",
  \"version\": \"${MBP_VERSION}\",
  \"library\": \"$<TARGET_FILE_NAME:${target}>\"
}
")
  if(MBP_INSTALL_DESTINATION)
    install(TARGETS ${target} LIBRARY DESTINATION "${MBP_INSTALL_DESTINATION}")
    install(FILES "${manifest}" DESTINATION "${MBP_INSTALL_DESTINATION}")
  endif()
endfunction()

function(meterbridge_add_plugin_test test_target)
  cmake_parse_arguments(PARSE_ARGV 1 MBT "NO_CATCH_MAIN" "PLUGIN;TEST_PREFIX" "SOURCES;LIBRARIES")
  foreach(required PLUGIN SOURCES)
    if(NOT MBT_${required})
      message(FATAL_ERROR "meterbridge_add_plugin_test(${test_target}): ${required} is required")
    endif()
  endforeach()
  set(objects ${MBT_PLUGIN}_objects)
  if(NOT TARGET ${objects})
    message(FATAL_ERROR "meterbridge_add_plugin_test(${test_target}): PLUGIN ${MBT_PLUGIN} has no "
      "target ${objects}; build the plugin with meterbridge_add_plugin() before its test")
  endif()
  if(NOT TARGET Catch2::Catch2)
    find_package(Catch2 2.13 REQUIRED)
  endif()
  # Catch.cmake keeps the path of its discovery script in a variable of the including scope, so
  # a function must include it itself unless its caller's scope already did.
  if(NOT COMMAND catch_discover_tests OR NOT DEFINED _CATCH_DISCOVER_TESTS_SCRIPT)
    if(DEFINED Catch2_DIR AND EXISTS "${Catch2_DIR}/Catch.cmake")
      include("${Catch2_DIR}/Catch.cmake")
    else()
      include(Catch)
    endif()
  endif()
  set(catch_main Catch2::Catch2WithMain)
  if(MBT_NO_CATCH_MAIN)
    set(catch_main "")
  elseif(NOT TARGET Catch2::Catch2WithMain)
    message(FATAL_ERROR "meterbridge_add_plugin_test(${test_target}): the Catch2::Catch2WithMain "
      "target is missing; pass NO_CATCH_MAIN and a library with main in LIBRARIES")
  endif()

  # The module's objects, not its sources: the tests exercise exactly what the module ships.
  add_executable(${test_target} ${MBT_SOURCES} $<TARGET_OBJECTS:${objects}>)
  # Linking the objects brings their PUBLIC requirements and libraries (CMake links each object
  # once); the two properties add what the plugin gave its objects PRIVATE.
  target_link_libraries(${test_target} PRIVATE ${objects} Meterbridge::sdk ${MBT_LIBRARIES}
    Catch2::Catch2 ${catch_main})
  target_include_directories(${test_target} PRIVATE
    "$<TARGET_PROPERTY:${objects},INCLUDE_DIRECTORIES>")
  target_compile_definitions(${test_target} PRIVATE
    "$<TARGET_PROPERTY:${objects},COMPILE_DEFINITIONS>")
  if(DEFINED MBT_TEST_PREFIX)
    catch_discover_tests(${test_target} TEST_PREFIX "${MBT_TEST_PREFIX}")
  else()
    catch_discover_tests(${test_target})
  endif()
endfunction()
