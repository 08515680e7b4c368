# Warnings everywhere; -Werror when METERBRIDGE_WERROR (CI and the test script set it).
add_compile_options(-Wall -Wextra)
if(METERBRIDGE_WERROR)
  add_compile_options(-Werror)
endif()

# The test build runs under ASan and UBSan. Plugins built in this tree are instrumented too;
# plugins built elsewhere (clang, out of tree) load into the instrumented host unchanged.
if(METERBRIDGE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# The fuzz build (METERBRIDGE_FUZZ, tests/fuzz): clang's libFuzzer with ASan and UBSan. Everything
# compiled in it gets the coverage instrumentation (fuzzer-no-link); the fuzz targets link the
# libFuzzer main (-fsanitize=fuzzer, tests/fuzz/CMakeLists.txt). Every UBSan report is fatal, so
# libFuzzer keeps the input that caused it.
if(METERBRIDGE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "METERBRIDGE_FUZZ needs clang (libFuzzer): configure a separate build "
                        "directory with CC=clang CXX=clang++, as scripts/fuzz.sh does")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
