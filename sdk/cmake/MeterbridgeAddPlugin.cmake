# meterbridge_add_plugin(<target> ID <id> KIND source|sink VERSION <x.y.z>
#                        SOURCES <files...> [OUTPUT_DIRECTORY <dir>] [INSTALL_DESTINATION <dir>])
#
# Builds a meterbridge plugin as a shared library with hidden visibility (only
# meterbridge_plugin_entry is exported) and writes its manifest <id>.plugin.json beside it.
# The host discovers plugins through these manifests. Works in the meterbridge tree and out of
# tree after find_package(MeterbridgeSDK).
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

  add_library(${target} MODULE ${MBP_SOURCES})
  if(NOT TARGET Meterbridge::sdk)
    message(FATAL_ERROR "meterbridge_add_plugin(${target}): the Meterbridge::sdk target is missing; call find_package(MeterbridgeSDK) first")
  endif()
  target_link_libraries(${target} PRIVATE Meterbridge::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
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
