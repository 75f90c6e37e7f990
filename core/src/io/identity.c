/* Identity files (format in hush/net.h): the participant's Ed25519 seed with a version and a
 * checksum, so a truncated or damaged file is refused instead of silently becoming another key. */
#include <string.h>

#include <sodium.h>

#include "hush/net.h"
#include "io/buf.h"

static const uint8_t magic[8] = {'h', 'u', 's', 'h', '-', 'i', 'd', 0};
#define ID_VERSION 1
#define BODY 44 /* magic, version, seed */

int hush_net_identity_save(uint8_t *out, size_t cap, size_t *written, const uint8_t sk[HUSH_NET_SECRET_KEY_BYTES]) {
    if (!written || !sk || (!out && cap)) return HUSH_EARG;
    *written = HUSH_NET_IDENTITY_FILE_BYTES;
    if (cap < HUSH_NET_IDENTITY_FILE_BYTES) return HUSH_ERANGE;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    memcpy(out, magic, 8);
    hush__store32_le(out + 8, ID_VERSION);
    crypto_sign_ed25519_sk_to_seed(out + 12, sk);
    crypto_generichash(out + BODY, 16, out, BODY, NULL, 0);
    return HUSH_OK;
}

int hush_net_identity_load(uint8_t sk[HUSH_NET_SECRET_KEY_BYTES], const uint8_t *buf, size_t len) {
    if (!sk || (!buf && len)) return HUSH_EARG;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    if (len < 12) return HUSH_ETRUNC;
    if (memcmp(buf, magic, 8)) return HUSH_EFORMAT;
    if (hush__load32_le(buf + 8) != ID_VERSION) return HUSH_EVERSION;
    if (len < HUSH_NET_IDENTITY_FILE_BYTES) return HUSH_ETRUNC;
    if (len > HUSH_NET_IDENTITY_FILE_BYTES) return HUSH_EFORMAT;
    uint8_t sum[16], pk[32];
    crypto_generichash(sum, sizeof sum, buf, BODY, NULL, 0);
    if (sodium_memcmp(sum, buf + BODY, 16) != 0) return HUSH_ECHECKSUM;
    crypto_sign_seed_keypair(pk, sk, buf + 12);
    return HUSH_OK;
}
