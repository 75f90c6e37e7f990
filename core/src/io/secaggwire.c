/* Secure-aggregation wire messages: bounds-checked decoding and the encoding helpers (format in
 * secaggwire.h). Untrusted bytes from clients and from the server are checked here, completely,
 * before either state machine looks at them. */
#include <string.h>

#include <sodium.h>

#include "io/buf.h"
#include "io/secaggwire.h"

#define P61 (((uint64_t)1 << 61) - 1)
#define CT 104 /* 8 + 2 * 40 plaintext bytes + 16 tag; must match secagg/sa.h */

static size_t sig_len(const hush_secagg_config *cfg) { return cfg->authenticated ? 64 : 0; }

static size_t entry_size(const hush_secagg_config *cfg, int dir, int round) {
    if (dir == HUSH__SAW_DOWN && round == 1) return 4 + 64 + sig_len(cfg);
    if (round == 1 || round == 2) return 4 + CT; /* up 1 / down 2 */
    if (dir == HUSH__SAW_DOWN && round == 4) return 4 + sig_len(cfg);
    if (dir == HUSH__SAW_UP && round == 4) return 4 + 1 + HUSH_SECAGG_SHAREBYTES;
    return 0;
}

static int is_list(int dir, int round) {
    return (dir == HUSH__SAW_DOWN && (round == 1 || round == 2 || round == 4)) ||
           (dir == HUSH__SAW_UP && (round == 1 || round == 4));
}

size_t hush__saw_size(const hush_secagg_config *cfg, int dir, int round, uint32_t count) {
    size_t body = 0;
    if (is_list(dir, round)) {
        body = 4 + (size_t)count * entry_size(cfg, dir, round);
    } else if (dir == HUSH__SAW_UP && round == 0) {
        body = 64 + sig_len(cfg);
    } else if (dir == HUSH__SAW_UP && round == 2) {
        body = 5 + (size_t)cfg->dim * ((cfg->bits + 7) / 8);
    } else if (dir == HUSH__SAW_DOWN && round == 3) {
        body = 4 + ((size_t)cfg->n + 7) / 8;
    } else if (dir == HUSH__SAW_UP && round == 3) {
        body = sig_len(cfg);
    }
    return HUSH_SECAGG_HEADERBYTES + body;
}

void hush__saw_header(uint8_t *out, const hush_secagg_config *cfg, int dir, int round, uint32_t sender,
                      uint32_t recipient, size_t body_len) {
    out[0] = HUSH_SECAGG_VERSION;
    out[1] = (uint8_t)round;
    out[2] = (uint8_t)dir;
    out[3] = 0;
    memcpy(out + 4, cfg->session, HUSH_SECAGG_SESSIONBYTES);
    hush__store32_le(out + 20, sender);
    hush__store32_le(out + 24, recipient);
    hush__store32_le(out + 28, (uint32_t)body_len);
}

void hush__saw_pack_values(uint8_t *out, const uint32_t *v, size_t dim, uint32_t bits) {
    uint32_t w = (bits + 7) / 8;
    if (w == 4) {
        for (size_t i = 0; i < dim; i++) hush__store32_le(out + 4 * i, v[i]);
        return;
    }
    for (size_t i = 0; i < dim; i++)
        for (uint32_t b = 0; b < w; b++) out[i * w + b] = (uint8_t)(v[i] >> (8 * b));
}

static uint32_t load_w(const uint8_t *p, uint32_t w) {
    uint32_t v = 0;
    for (uint32_t b = 0; b < w; b++) v |= (uint32_t)p[b] << (8 * b);
    return v;
}

void hush__saw_add_values(uint32_t *sum, const hush__saw_msg *m, uint32_t bits) {
    uint32_t mask = bits >= 32 ? 0xffffffffu : ((uint32_t)1 << bits) - 1, w = m->width;
    const uint8_t *p = m->values;
    if (w == 4) {
        for (uint32_t i = 0; i < m->count; i++) sum[i] = (sum[i] + hush__load32_le(p + 4 * (size_t)i)) & mask;
        return;
    }
    for (uint32_t i = 0; i < m->count; i++) sum[i] = (sum[i] + load_w(p + (size_t)i * w, w)) & mask;
}

static int check_list(hush__saw_msg *m, hush__rd *r, const hush_secagg_config *cfg, size_t body_len) {
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
        /* ciphertexts are never addressed to or from oneself */
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

int hush__saw_decode(hush__saw_msg *m, const uint8_t *p, size_t len, const hush_secagg_config *cfg) {
    if (!m || (!p && len) || !cfg) return HUSH_EARG;
    memset(m, 0, sizeof *m);
    hush__rd r;
    hush__rd_init(&r, p, len);
    uint8_t version = hush__rd_u8(&r);
    m->round = hush__rd_u8(&r);
    m->dir = hush__rd_u8(&r);
    uint8_t flags = hush__rd_u8(&r);
    const uint8_t *session = hush__rd_bytes(&r, HUSH_SECAGG_SESSIONBYTES);
    m->sender = hush__rd_u32(&r);
    m->recipient = hush__rd_u32(&r);
    uint32_t body_len = hush__rd_u32(&r);
    if (r.err) return r.err;
    if (version != HUSH_SECAGG_VERSION) return HUSH_EVERSION;
    if (flags != 0 || m->dir > 1 || m->round > 4 || (m->dir == HUSH__SAW_DOWN && m->round == 0)) return HUSH_EFORMAT;
    if (sodium_memcmp(session, cfg->session, HUSH_SECAGG_SESSIONBYTES) != 0) return HUSH_EFORMAT;
    if (m->dir == HUSH__SAW_UP ? (m->sender >= cfg->n || m->recipient != HUSH_SECAGG_SERVER_ID)
                               : (m->sender != HUSH_SECAGG_SERVER_ID || m->recipient >= cfg->n))
        return HUSH_EFORMAT;
    if (body_len > hush__rd_remaining(&r)) return HUSH_ETRUNC;
    if (body_len < hush__rd_remaining(&r)) return HUSH_EFORMAT;
    int rc = HUSH_OK;
    if (is_list(m->dir, m->round)) {
        rc = check_list(m, &r, cfg, body_len);
    } else if (m->dir == HUSH__SAW_UP && m->round == 0) {
        if (body_len != 64 + sig_len(cfg)) return HUSH_EFORMAT;
        m->c_pk = hush__rd_bytes(&r, 32);
        m->s_pk = hush__rd_bytes(&r, 32);
        if (cfg->authenticated) m->sig = hush__rd_bytes(&r, 64);
    } else if (m->dir == HUSH__SAW_UP && m->round == 2) {
        m->count = hush__rd_u32(&r);
        uint8_t bits = hush__rd_u8(&r);
        if (r.err) return r.err;
        m->width = (cfg->bits + 7) / 8;
        if (m->count != cfg->dim || bits != cfg->bits || body_len != 5 + (size_t)cfg->dim * m->width)
            return HUSH_EFORMAT;
        m->values = hush__rd_bytes(&r, (size_t)cfg->dim * m->width);
        if (cfg->bits < 8 * m->width)
            for (uint32_t i = 0; i < m->count; i++)
                if (load_w(m->values + (size_t)i * m->width, m->width) >> cfg->bits) return HUSH_EFORMAT;
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

int hush_secagg_message_route(const uint8_t *msg, size_t len, uint32_t *round, uint32_t *sender, uint32_t *recipient) {
    if (!msg || !round || !sender || !recipient) return HUSH_EARG;
    if (len < HUSH_SECAGG_HEADERBYTES) return HUSH_ETRUNC;
    if (msg[0] != HUSH_SECAGG_VERSION) return HUSH_EVERSION;
    if (msg[1] > 4 || msg[2] > 1) return HUSH_EFORMAT;
    *round = msg[1];
    *sender = hush__load32_le(msg + 20);
    *recipient = hush__load32_le(msg + 24);
    return HUSH_OK;
}
