/* Status names and messages, and the one-time libsodium initialisation. */
#include "hush/common.h"

#include <sodium.h>

const char *hush_strerror(int status) {
    switch (status) {
#define HUSH__STATUS_MSG(name, value, msg) \
    case value:                            \
        return msg;
        HUSH_STATUS_LIST(HUSH__STATUS_MSG)
#undef HUSH__STATUS_MSG
    default:
        return "unknown status";
    }
}

const char *hush_status_name(int status) {
    switch (status) {
#define HUSH__STATUS_NAME(name, value, msg) \
    case value:                             \
        return #name;
        HUSH_STATUS_LIST(HUSH__STATUS_NAME)
#undef HUSH__STATUS_NAME
    default:
        return "HUSH_EUNKNOWN";
    }
}

const char *hush_version(void) { return HUSH_VERSION_STRING; }

int hush_init(void) {
    /* sodium_init is idempotent and thread-safe; 1 means "already initialised". */
    return sodium_init() < 0 ? HUSH_ECRYPTO : HUSH_OK;
}
