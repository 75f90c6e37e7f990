/* Hush common definitions: status codes, allocator hook, attributes.
 *
 * Start here: every Hush function that can fail returns HUSH_OK (0) or a negative HUSH_E* status
 * (hush_strerror says what it means); every function that allocates takes an optional
 * hush_allocator (NULL: malloc). Then: rng.h for randomness, data.h to load a data set, nn.h to
 * train a model on it, dp.h / mpc.h / secagg.h / fl.h for the private variants.
 *
 * Every public function that can fail returns an int status: HUSH_OK (0) or a negative
 * HUSH_E* code. Misuse (NULL pointers, impossible sizes) returns HUSH_EARG; the library never
 * aborts or exits, because inside a browser tab an abort kills the whole page.
 *
 * Every function that allocates takes an optional `const hush_allocator *` (NULL means the C
 * library's malloc/free). Tests pass an allocator that fails the Nth call to prove that every
 * create/parse path returns HUSH_ENOMEM cleanly and leaks nothing.
 */
#ifndef HUSH_COMMON_H
#define HUSH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define HUSH_NODISCARD __attribute__((warn_unused_result))
#else
#define HUSH_NODISCARD
#endif

/* Status codes. The list is an X-macro so that names, messages and the JS constants table can
 * never drift apart. */
#define HUSH_STATUS_LIST(X)                                                        \
    X(HUSH_OK, 0, "ok")                                                            \
    X(HUSH_EARG, -1, "invalid argument")                                           \
    X(HUSH_ENOMEM, -2, "out of memory")                                            \
    X(HUSH_EFORMAT, -3, "malformed input")                                         \
    X(HUSH_EVERSION, -4, "unsupported format version")                             \
    X(HUSH_ETRUNC, -5, "input truncated")                                          \
    X(HUSH_ECHECKSUM, -6, "checksum mismatch")                                     \
    X(HUSH_ERANGE, -7, "value or size out of range")                               \
    X(HUSH_ESHAPE, -8, "incompatible shapes")                                      \
    X(HUSH_ECRYPTO, -9, "cryptographic failure")                                   \
    X(HUSH_ESTATE, -10, "operation not valid in this state")                       \
    X(HUSH_EIO, -11, "i/o error")                                                  \
    X(HUSH_ENUMERIC, -12, "non-finite number")                                     \
    X(HUSH_EUNSUPPORTED, -13, "not supported")                                     \
    X(HUSH_EBUDGET, -14, "privacy budget exceeded")

enum hush_status {
#define HUSH__STATUS_ENUM(name, value, msg) name = value,
    HUSH_STATUS_LIST(HUSH__STATUS_ENUM)
#undef HUSH__STATUS_ENUM
};

/* Human-readable message for a status ("invalid argument"). Never NULL. */
const char *hush_strerror(int status);
/* The status's macro name ("HUSH_EARG"); JS uses it as HushError.code. Never NULL. */
const char *hush_status_name(int status);

/* Optional allocator. `free` receives the size that was requested from `alloc`. */
typedef struct hush_allocator {
    void *(*alloc)(void *ud, size_t size);
    void (*free)(void *ud, void *ptr, size_t size);
    void *ud;
} hush_allocator;

/* Library version, "MAJOR.MINOR.PATCH". */
#define HUSH_VERSION_STRING "0.1.0"
const char *hush_version(void);

/* Initialise libsodium once. Safe to call repeatedly; every entry point that needs libsodium
 * calls it, so users normally never do. */
HUSH_NODISCARD int hush_init(void);

#ifdef __cplusplus
}
#endif
#endif
