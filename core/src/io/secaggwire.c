/* Secure-aggregation wire messages: bounds-checked decoding and the encoding helpers (format in
 * secaggwire.h). Untrusted bytes from clients and from the server are checked here, completely,
 * before either state machine looks at them. */
#include <string.h>

#include <sodium.h>

#include "io/buf.h"
#include "io/secaggwire.h"

#define P61 (((uint64_t)1 << 61) - 1)
#define HASHES (2 * HUSH__SAW_HASH)

static uint64_t sig_len(const hush_secagg_config *cfg) { return cfg->authenticated ? 64 : 0; }

static uint64_t packed_len(uint64_t dim, uint32_t bits) { return (dim * bits + 7) / 8; }

static size_t entry_size(const hush_secagg_config *cfg, int dir, int round) {
    if (dir == HUSH__SAW_DOWN && round == 1) return (size_t)(4 + 64 + sig_len(cfg));
    if (round == 1 || round == 2) return 4 + HASHES + HUSH__SAW_CT; /* up 1 / down 2 */
    if (dir == HUSH__SAW_DOWN && round == 4) return (size_t)(4 + sig_len(cfg));
    if (dir == HUSH__SAW_UP && round == 4) return 4 + 1 + HUSH_SECAGG_SHARE_BYTES;
    return 0;
}

static int is_list(int dir, int round) {
    return (dir == HUSH__SAW_DOWN && (round == 1 || round == 2 || round == 4)) ||
           (dir == HUSH__SAW_UP && (round == 1 || round == 4));
}

uint64_t hush__saw_size(const hush_secagg_config *cfg, int dir, int round, uint32_t count) {
    uint64_t body = 0;
    if (is_list(dir, round)) {
        body = 4 + (uint64_t)count * entry_size(cfg, dir, round) + (dir == HUSH__SAW_UP && round == 1 ? 32 : 0);
    } else if (dir == HUSH__SAW_UP && round == 0) {
        body = 64 + sig_len(cfg);
    } else if (dir == HUSH__SAW_UP && round == 2) {
        body = 4 + 4 * (uint64_t)count + 5 + packed_len(cfg->dim, cfg->bits);
    } else if (dir == HUSH__SAW_DOWN && round == 3) {
        body = 4 + ((uint64_t)cfg->n + 7) / 8;
    } else if (dir == HUSH__SAW_UP && round == 3) {
        body = sig_len(cfg);
    }
    return HUSH_SECAGG_HEADER_BYTES + body;
}

uint64_t hush__saw_max(const hush_secagg_config *cfg, uint32_t m) {
    uint64_t best = 0;
    for (int dir = 0; dir < 2; dir++)
        for (int r = 0; r <= 4; r++) {
            uint64_t z = hush__saw_size(cfg, dir, r, m);
            if (z > best) best = z;
        }
    return best;
}

void hush__saw_header(uint8_t *out, const hush_secagg_config *cfg, int dir, int round, uint32_t sender,
                      uint32_t recipient, size_t body_len) {
    out[0] = HUSH_SECAGG_WIRE_VERSION;
    out[1] = (uint8_t)round;
    out[2] = (uint8_t)dir;
    out[3] = 0;
    memcpy(out + 4, cfg->session, HUSH_SECAGG_SESSION_BYTES);
    hush__store32_le(out + 20, sender);
    hush__store32_le(out + 24, recipient);
    hush__store32_le(out + 28, (uint32_t)body_len);
}

void hush__saw_pack_values(uint8_t *out, const uint32_t *v, size_t dim, uint32_t bits) {
    if (bits == 32) {
        for (size_t i = 0; i < dim; i++) hush__store32_le(out + 4 * i, v[i]);
        return;
    }
    uint64_t acc = 0; /* fewer than 8 pending bits before each value, so at most 39 */
    uint32_t have = 0;
    for (size_t i = 0; i < dim; i++) {
        acc |= (uint64_t)v[i] << have;
        have += bits;
        while (have >= 8) {
            *out++ = (uint8_t)acc;
            acc >>= 8;
            have -= 8;
        }
    }
    if (have) *out = (uint8_t)acc;
}

void hush__saw_add_values(uint32_t *sum, const hush__saw_msg *m, uint32_t bits) {
    const uint8_t *p = m->values;
    size_t n = m->dim;
    if (bits == 32) {
        for (size_t i = 0; i < n; i++) sum[i] += hush__load32_le(p + 4 * i);
        return;
    }
    uint32_t mask = ((uint32_t)1 << bits) - 1;
    if (bits == 16) {
        for (size_t i = 0; i < n; i++) sum[i] = (sum[i] + ((uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8)) & mask;
        return;
    }
    if (bits == 8) {
        for (size_t i = 0; i < n; i++) sum[i] = (sum[i] + p[i]) & mask;
        return;
    }
    uint64_t acc = 0;
    uint32_t have = 0;
    for (size_t i = 0; i < n; i++) {
        while (have < bits) { /* reads exactly ceil(n bits / 8) bytes in all */
            acc |= (uint64_t)*p++ << have;
            have += 8;
        }
        sum[i] = (sum[i] + ((uint32_t)acc & mask)) & mask;
        acc >>= bits;
        have -= bits;
    }
}

/* A list of `count` entries of entry_size bytes, each led by a strictly increasing id < n. */
static int read_list(hush__saw_msg *m, hush__rd *r, const hush_secagg_config *cfg, size_t body_len) {
    m->count = hush__rd_u32(r);
    if (r->err) return r->err;
    if (m->count > cfg->n) return HUSH_EFORMAT;
    m->entry_size = entry_size(cfg, m->dir, m->round);
    if (body_len != 4 + (size_t)m->count * m->entry_size) return HUSH_EFORMAT;
    m->entries = hush__rd_bytes(r, (size_t)m->count * m->entry_size);
    if (r->err) return r->err;
    uint32_t self = m->dir == HUSH__SAW_UP ? m->sender : m->recipient;
    for (uint32_t i = 0; i < m->count; i++) {
        uint32_t id = hush__saw_id(m, i);
        if (id >= cfg->n || (i > 0 && id <= hush__saw_id(m, i - 1))) return HUSH_EFORMAT;
        /* shares are never addressed to or from oneself */
        if ((m->round == 1 && m->dir == HUSH__SAW_UP) || (m->round == 2 && m->dir == HUSH__SAW_DOWN))
            if (id == self) return HUSH_EFORMAT;
        if (m->dir == HUSH__SAW_UP && m->round == 4) {
            const uint8_t *e = hush__saw_entry(m, i);
            if (e[0] != 1 && e[0] != 2) return HUSH_EFORMAT;
            for (int c = 0; c < 5; c++)
                if (hush__load64_le(e + 1 + 8 * c) >= P61) return HUSH_EFORMAT;
        }
    }
    return HUSH_OK;
}

static int read_masked(hush__saw_msg *m, hush__rd *r, const hush_secagg_config *cfg, size_t body_len) {
    m->count = hush__rd_u32(r);
    if (r->err) return r->err;
    if (m->count > cfg->n || body_len < 4 + 4 * (uint64_t)m->count) return HUSH_EFORMAT;
    m->entries = hush__rd_bytes(r, 4 * (size_t)m->count);
    m->entry_size = 4;
    m->dim = hush__rd_u32(r);
    uint8_t bits = hush__rd_u8(r);
    if (r->err) return r->err;
    uint64_t plen = packed_len(cfg->dim, cfg->bits);
    if (m->dim != cfg->dim || bits != cfg->bits || body_len != 4 + 4 * (uint64_t)m->count + 5 + plen)
        return HUSH_EFORMAT;
    for (uint32_t i = 0; i < m->count; i++) {
        uint32_t id = hush__saw_id(m, i);
        if (id >= cfg->n || id == m->sender || (i > 0 && id <= hush__saw_id(m, i - 1))) return HUSH_EFORMAT;
    }
    m->values = hush__rd_bytes(r, (size_t)plen);
    if (r->err) return r->err;
    uint32_t tail = (uint32_t)(((uint64_t)cfg->dim * cfg->bits) % 8);
    if (tail && (m->values[plen - 1] >> tail)) return HUSH_EFORMAT; /* one encoding per vector */
    return HUSH_OK;
}

int hush__saw_decode(hush__saw_msg *m, const uint8_t *p, size_t len, const hush_secagg_config *cfg) {
    if (!m || (!p && len) || !cfg) return HUSH_EARG;
    memset(m, 0, sizeof *m);
    hush__rd r;
    hush__rd_init(&r, p, len);
    uint8_t version = hush__rd_u8(&r);
    m->round = hush__rd_u8(&r);
    m->dir = hush__rd_u8(&r);
    uint8_t flags = hush__rd_u8(&r);
    const uint8_t *session = hush__rd_bytes(&r, HUSH_SECAGG_SESSION_BYTES);
    m->sender = hush__rd_u32(&r);
    m->recipient = hush__rd_u32(&r);
    uint32_t body_len = hush__rd_u32(&r);
    if (r.err) return r.err;
    if (version != HUSH_SECAGG_WIRE_VERSION) return HUSH_EVERSION;
    if (flags != 0 || m->dir > 1 || m->round > 4 || (m->dir == HUSH__SAW_DOWN && m->round == 0)) return HUSH_EFORMAT;
    if (sodium_memcmp(session, cfg->session, HUSH_SECAGG_SESSION_BYTES) != 0) return HUSH_EFORMAT;
    if (m->dir == HUSH__SAW_UP ? (m->sender >= cfg->n || m->recipient != HUSH_SECAGG_SERVER_ID)
                               : (m->sender != HUSH_SECAGG_SERVER_ID || m->recipient >= cfg->n))
        return HUSH_EFORMAT;
    if (body_len > hush__rd_remaining(&r)) return HUSH_ETRUNC;
    if (body_len < hush__rd_remaining(&r)) return HUSH_EFORMAT;
    int rc = HUSH_OK;
    if (m->dir == HUSH__SAW_UP && m->round == 1) {
        if (body_len < 32) return HUSH_EFORMAT;
        m->commit = hush__rd_bytes(&r, 32);
        rc = read_list(m, &r, cfg, body_len - 32);
    } else if (is_list(m->dir, m->round)) {
        rc = read_list(m, &r, cfg, body_len);
    } else if (m->dir == HUSH__SAW_UP && m->round == 0) {
        if (body_len != 64 + sig_len(cfg)) return HUSH_EFORMAT;
        m->c_pk = hush__rd_bytes(&r, 32);
        m->s_pk = hush__rd_bytes(&r, 32);
        if (cfg->authenticated) m->sig = hush__rd_bytes(&r, 64);
    } else if (m->dir == HUSH__SAW_UP && m->round == 2) {
        rc = read_masked(m, &r, cfg, body_len);
    } else if (m->dir == HUSH__SAW_DOWN && m->round == 3) {
        uint32_t n = hush__rd_u32(&r);
        if (r.err) return r.err;
        m->bitmap_len = ((size_t)cfg->n + 7) / 8;
        if (n != cfg->n || body_len != 4 + m->bitmap_len) return HUSH_EFORMAT;
        m->bitmap = hush__rd_bytes(&r, m->bitmap_len);
        if (cfg->n % 8 && (m->bitmap[m->bitmap_len - 1] >> (cfg->n % 8))) return HUSH_EFORMAT;
    } else { /* up 3 */
        if (body_len != sig_len(cfg)) return HUSH_EFORMAT;
        if (cfg->authenticated) m->sig = hush__rd_bytes(&r, 64);
    }
    if (rc == HUSH_OK && r.err) rc = r.err;
    if (rc == HUSH_OK && hush__rd_remaining(&r) != 0) rc = HUSH_EFORMAT;
    return rc;
}

int hush_secagg_message_route(uint32_t *round, uint32_t *sender, uint32_t *recipient, const uint8_t *msg, size_t len) {
    if (!msg || !round || !sender || !recipient) return HUSH_EARG;
    if (len < HUSH_SECAGG_HEADER_BYTES) return HUSH_ETRUNC;
    if (msg[0] != HUSH_SECAGG_WIRE_VERSION) return HUSH_EVERSION;
    if (msg[1] > 4 || msg[2] > 1) return HUSH_EFORMAT;
    *round = msg[1];
    *sender = hush__load32_le(msg + 20);
    *recipient = hush__load32_le(msg + 24);
    return HUSH_OK;
}
