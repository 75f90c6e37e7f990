/* Pin files for hush_net_client_pin_text (format in hush/net.h): the identities a participant
 * accepts in a round, for deployments that do not trust the operator's enrolment. */
#include <string.h>

#include "hush/net.h"
#include "io/netwire.h"

static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int hush_net_client_pin_text(hush_net_client *c, const char *text, size_t len, size_t *bad_line) {
    if (!c || (!text && len)) return HUSH_EARG;
    if (bad_line) *bad_line = 0;
    size_t line = 0, pos = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n') end++;
        line++;
        size_t a = pos, b = end;
        pos = end + 1;
        while (a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r')) a++;
        while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r')) b--;
        if (a == b || text[a] == '#') continue;
        size_t n = a;
        while (n < b && text[n] != ' ' && text[n] != '\t') n++;
        size_t k = n;
        while (k < b && (text[k] == ' ' || text[k] == '\t')) k++;
        char name[HUSH_NET_NAME_MAX + 1];
        uint8_t pk[HUSH_NET_PUBLIC_KEY_BYTES];
        int ok = n - a <= HUSH_NET_NAME_MAX && hush__nw_name_ok((const uint8_t *)text + a, n - a) &&
                 b - k == 2 * HUSH_NET_PUBLIC_KEY_BYTES;
        for (size_t i = 0; ok && i < HUSH_NET_PUBLIC_KEY_BYTES; i++) {
            int hi = hex(text[k + 2 * i]), lo = hex(text[k + 2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            pk[i] = (uint8_t)(hi * 16 + lo);
        }
        int rc = HUSH_EFORMAT;
        if (ok) {
            memcpy(name, text + a, n - a);
            name[n - a] = 0;
            rc = hush_net_client_pin(c, name, pk);
        }
        if (rc != HUSH_OK) {
            if (bad_line) *bad_line = line;
            return rc == HUSH_EARG ? HUSH_EFORMAT : rc;
        }
    }
    return HUSH_OK;
}
