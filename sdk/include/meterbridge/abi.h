/*
 * meterbridge plugin ABI: the only contract between the meterbridge host and its plugins.
 *
 * C99, no includes beyond <stddef.h> and <stdint.h>. A plugin is a shared library that exports
 * exactly one symbol, meterbridge_plugin_entry (see the end of this file). Everything the plugin
 * needs from the host arrives as a table of function pointers (mb_host_api), so a plugin never
 * resolves a host symbol: the same library can be loaded RTLD_LOCAL by the host, or by a separate
 * runner process.
 *
 * Versioning
 *   MB_ABI_MAJOR changes when anything already published changes meaning or layout. The host
 *   refuses a plugin whose major differs from its own.
 *   MB_ABI_MINOR changes when something is appended: a field or an optional hook at the end of a
 *   struct. A plugin built against an older minor still loads; the parts it does not know are
 *   treated as absent. A plugin states the lowest host minor it needs (min_host_minor); an older
 *   host refuses it.
 *   History: 1.0 = create, destroy, check, invoke. 1.1 appended the optional hook
 *   validate_settings. Both were written before the first release; 1.1 exists so that the
 *   "older minor" path is exercised by a real fixture from day one.
 *   The JSON documents that cross the ABI carry their own schema names ("usage.v1", ...),
 *   versioned separately from the ABI; sdk/PROTOCOL.md describes them.
 *
 * Size-checked structs
 *   Every struct starts with uint32_t struct_size, set by its producer to sizeof() as it was
 *   compiled. A reader uses a field only when the field lies entirely inside struct_size
 *   (MB_HAS_FIELD) and, for a function pointer, when it is also non-NULL.
 *
 * Memory
 *   mb_str is a borrowed view: valid only for the duration of the call it is passed to. Copy it
 *   to keep it. It need not be NUL-terminated.
 *   mb_buffer is an owned result: whoever fills it sets release; the receiver calls release
 *   exactly once (when non-NULL) after reading, and never frees ptr itself. Memory therefore
 *   always goes back to the allocator that made it, whatever the C runtimes on either side.
 *
 * Threading
 *   The host never calls two hooks of one instance at the same time. create and destroy run on
 *   the host's control thread. Host-service functions may be called from create itself, on the
 *   thread that runs it (to read a secret or state while setting up), and from any thread of
 *   the plugin between the return of create and the call of destroy.
 *
 * Enumerations are int32_t fields, never C enums, so their size is fixed. Zero is never a valid
 * kind or log level, so a zero-filled struct is always recognisably unset.
 */
#ifndef METERBRIDGE_ABI_H
#define METERBRIDGE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MB_ABI_MAJOR 1
#define MB_ABI_MINOR 1

/* Name of the one exported symbol, for loaders. */
#define MB_ENTRY_SYMBOL "meterbridge_plugin_entry"

#if defined(_WIN32)
#define MB_EXPORT __declspec(dllexport)
#else
#define MB_EXPORT __attribute__((visibility("default")))
#endif

/* True when the struct pointed to by ptr, of type type, is large enough to hold field. */
#define MB_HAS_FIELD(ptr, type, field) \
  ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* ---------------------------------------------------------------------------------------------
 * Status codes. 0 is success; every other value is an error class the host acts on.
 * A function that fails also fills its out buffer (when it has one) with a message for people:
 * UTF-8 text that names what was wrong and where, and never contains a secret.
 * ------------------------------------------------------------------------------------------- */
typedef int32_t mb_status;
#define MB_OK 0
#define MB_E_INVALID_ARGUMENT 1 /* the caller broke this contract (bad JSON, unknown op args) */
#define MB_E_CONFIG 2           /* settings are wrong; the operator must fix the config */
#define MB_E_AUTH 3             /* credentials refused by the remote service */
#define MB_E_TRANSIENT 4        /* temporary failure (network, 5xx); retrying later may work */
#define MB_E_RATE_LIMITED 5     /* the remote service asked us to slow down */
#define MB_E_NOT_FOUND 6        /* the thing asked for does not exist */
#define MB_E_UNSUPPORTED 7      /* operation or version not supported by this party */
#define MB_E_INTERNAL 8         /* a bug or unexpected state inside the callee */
#define MB_E_CANCELLED 9        /* the host asked for cancellation and the callee stopped */

/* Plugin kinds. */
#define MB_KIND_SOURCE 1 /* reports vendor usage and catalog */
#define MB_KIND_SINK 2   /* writes billing quantities into a PSA */

/* Log levels for mb_host_api.log. */
#define MB_LOG_TRACE 1
#define MB_LOG_DEBUG 2
#define MB_LOG_INFO 3
#define MB_LOG_WARN 4
#define MB_LOG_ERROR 5

/* A borrowed UTF-8 string view. Ownership: the caller's; valid only during the call. */
typedef struct mb_str {
  const char* ptr; /* may be NULL only when len == 0 */
  size_t len;
} mb_str;

/* An owned byte buffer returned across the boundary.
 * Ownership: filled by the callee (the producer). The receiver reads ptr[0..len) and then calls
 * release(buffer) exactly once if release is non-NULL; afterwards every field is invalid.
 * The receiver initialises a buffer to all zeroes before passing it; a producer that has
 * nothing to return leaves it zeroed. private_data belongs to the producer. */
typedef struct mb_buffer {
  const char* ptr;
  size_t len;
  void (*release)(struct mb_buffer* buffer);
  void* private_data;
} mb_buffer;

/* ---------------------------------------------------------------------------------------------
 * Host services: host -> plugin.
 * Ownership: the table and the host pointer belong to the host and stay valid from the call of
 * create until destroy returns. The plugin keeps the pointer it got in create; it must not copy
 * the table by value (later minors may append to it).
 * ------------------------------------------------------------------------------------------- */
typedef struct mb_host_api {
  uint32_t struct_size;
  uint16_t abi_major; /* the host's MB_ABI_MAJOR */
  uint16_t abi_minor; /* the host's MB_ABI_MINOR */
  void* host;         /* opaque, per instance; pass it back as the first argument below */

  /* Writes one log line. The host adds time, level and the instance id, and redacts every
   * known secret value. message is borrowed. level is one of MB_LOG_*. */
  void (*log)(void* host, int32_t level, mb_str message);

  /* Performs one HTTP exchange described by request (JSON, schema "http.request.v1" in
   * sdk/PROTOCOL.md). The host owns TLS (verification always on), proxies from the environment,
   * timeouts, and bounded retries with backoff on 429/5xx honouring Retry-After.
   * Returns MB_OK whenever an HTTP response arrived, whatever its status code, and fills
   * response with "http.response.v1" JSON. Returns MB_E_TRANSIENT when no response arrived
   * (DNS, connect, TLS, timeout) after the retries, MB_E_CANCELLED when cancelled while waiting,
   * MB_E_INVALID_ARGUMENT for a malformed request; response then holds the message. */
  mb_status (*http)(void* host, mb_str request_json, mb_buffer* response_json);

  /* Persistent key/value state of this instance (SQLite, survives restarts).
   * state_get returns MB_E_NOT_FOUND and an empty buffer when key has no value. */
  mb_status (*state_get)(void* host, mb_str key, mb_buffer* value);
  mb_status (*state_put)(void* host, mb_str key, mb_str value);

  /* Resolves the secret named name: a top-level settings key that the plugin's settings schema
   * marks "x-secret": true and that the operator set to a reference such as ${env:NAME} or
   * ${file:PATH}. The value is registered for redaction before it is returned. Returns
   * MB_E_NOT_FOUND for an unknown name, MB_E_CONFIG when the reference cannot be resolved. */
  mb_status (*secret_get)(void* host, mb_str name, mb_buffer* value);

  /* Returns 1 when the host wants the current operation to stop (shutdown, timeout), else 0.
   * Long operations poll it between requests and return MB_E_CANCELLED. */
  int32_t (*is_cancelled)(void* host);

  /* The host's clock: milliseconds since 1970-01-01T00:00:00Z. Plugins use it instead of the
   * system clock so that the host can run them at a fixed time in tests and replays. */
  int64_t (*now_unix_ms)(void* host);
} mb_host_api;

/* ---------------------------------------------------------------------------------------------
 * The plugin table: plugin -> host.
 * Ownership: the plugin's; static storage that lives as long as the library is loaded. All
 * strings are NUL-terminated UTF-8 with static storage duration.
 * ------------------------------------------------------------------------------------------- */
typedef struct mb_plugin_api {
  uint32_t struct_size;
  uint16_t abi_major;      /* MB_ABI_MAJOR the plugin was built against */
  uint16_t abi_minor;      /* MB_ABI_MINOR the plugin was built against */
  uint16_t min_host_minor; /* lowest host minor this plugin works with */
  uint16_t reserved0;      /* zero */
  int32_t kind;            /* MB_KIND_SOURCE or MB_KIND_SINK */

  const char* id;          /* stable, e.g. "sophos-central"; [a-z0-9][a-z0-9._-]* */
  const char* version;     /* the plugin's own version, e.g. "1.4.0" */
  const char* description; /* one line for people */
  /* JSON schema (the subset in sdk/PROTOCOL.md) of the settings object; "{}" accepts anything. */
  const char* settings_schema_json;

  /* Creates an instance. settings_json is the instance's settings object, already checked
   * against settings_schema_json; secret fields hold their references, not values (use
   * secret_get). host stays valid until destroy. On MB_OK *instance is set (may be NULL if the
   * plugin needs no state) and error stays empty. On failure *instance is ignored, nothing is
   * leaked, destroy is not called, and error holds the message. Required. */
  mb_status (*create)(const mb_host_api* host, mb_str settings_json, void** instance,
                      mb_buffer* error);

  /* Destroys an instance made by create. Called once. Required. */
  void (*destroy)(void* instance);

  /* Verifies that the instance can work: settings, credentials, reachability. On MB_OK result
   * holds "check.v1" JSON; on failure it holds the message. Required. */
  mb_status (*check)(void* instance, mb_buffer* result);

  /* Runs operation op (e.g. "discover", "collect"; see sdk/PROTOCOL.md) with request_json.
   * On MB_OK response holds the operation's JSON answer; on failure the message. An op the
   * plugin does not know returns MB_E_UNSUPPORTED. Required. */
  mb_status (*invoke)(void* instance, mb_str op, mb_str request_json, mb_buffer* response);

  /* ---- minor 1 ---- */

  /* Optional: deeper checks of settings than the schema can say, without creating an instance
   * and without network access. MB_OK when valid; otherwise MB_E_CONFIG and error names the
   * setting and the problem. */
  mb_status (*validate_settings)(mb_str settings_json, mb_buffer* error);
} mb_plugin_api;

/* What the host offers, passed to the entry point.
 * Ownership: the host's; valid only during the entry call. */
typedef struct mb_host_version {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
} mb_host_version;

/* The one exported symbol. The host calls it once after loading, before anything else.
 * The plugin sets *api to its static table and returns MB_OK, or returns MB_E_UNSUPPORTED when
 * it cannot work with the host's version (it may still set *api so the host can name it).
 * The host then refuses the plugin unless api->abi_major == host major and
 * api->min_host_minor <= host minor. */
typedef mb_status (*mb_plugin_entry_fn)(const mb_host_version* host, const mb_plugin_api** api);

#ifdef __cplusplus
}
#endif

#endif /* METERBRIDGE_ABI_H */
