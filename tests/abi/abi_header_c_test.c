/* abi.h compiled as strict C99: it must not need C++ or extensions, and its layout on this
 * platform (LP64) is pinned so that an accidental reordering fails here before it ships. */
#include <meterbridge/abi.h>
#include <stdio.h>

#define STATIC_ASSERT(cond, name) typedef char static_assert_##name[(cond) ? 1 : -1]

#if defined(__x86_64__) || defined(__aarch64__)
STATIC_ASSERT(sizeof(mb_str) == 16, mb_str_size);
STATIC_ASSERT(sizeof(mb_buffer) == 32, mb_buffer_size);
STATIC_ASSERT(offsetof(mb_buffer, release) == 16, mb_buffer_release);
STATIC_ASSERT(sizeof(mb_host_version) == 8, mb_host_version_size);
STATIC_ASSERT(offsetof(mb_host_api, host) == 8, host_api_host);
STATIC_ASSERT(offsetof(mb_host_api, log) == 16, host_api_log);
STATIC_ASSERT(offsetof(mb_host_api, now_unix_ms) == 64, host_api_now);
STATIC_ASSERT(sizeof(mb_host_api) == 72, host_api_size);
STATIC_ASSERT(offsetof(mb_plugin_api, kind) == 12, plugin_api_kind);
STATIC_ASSERT(offsetof(mb_plugin_api, id) == 16, plugin_api_id);
STATIC_ASSERT(offsetof(mb_plugin_api, create) == 48, plugin_api_create);
STATIC_ASSERT(offsetof(mb_plugin_api, invoke) == 72, plugin_api_invoke);
STATIC_ASSERT(offsetof(mb_plugin_api, validate_settings) == 80, plugin_api_validate_1_1);
STATIC_ASSERT(sizeof(mb_plugin_api) == 88, plugin_api_size);
#endif

int main(void) {
  mb_plugin_api api = {0};
  api.struct_size = (uint32_t)offsetof(mb_plugin_api, validate_settings);
  /* A 1.0-sized table does not hold the 1.1 hook; a full one does. */
  if (MB_HAS_FIELD(&api, mb_plugin_api, validate_settings)) {
    puts("MB_HAS_FIELD saw a field beyond struct_size");
    return 1;
  }
  api.struct_size = sizeof(mb_plugin_api);
  if (!MB_HAS_FIELD(&api, mb_plugin_api, validate_settings)) {
    puts("MB_HAS_FIELD missed a field inside struct_size");
    return 1;
  }
  if (MB_OK != 0 || MB_KIND_SOURCE == 0 || MB_LOG_TRACE == 0) {
    puts("0 must be success and never a valid kind or log level");
    return 1;
  }
  return 0;
}
