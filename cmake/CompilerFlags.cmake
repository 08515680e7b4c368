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
