/* Decoder and encoder for MPC wire messages; layout in mpcwire.h. Untrusted bytes: every
 * field is checked before anything is read from the payload. */
#include "io/mpcwire.h"

#include "io/buf.h"

static const uint8_t magic[4] = {'H', 'M', 'P', 'C'};

int hush__mpcwire_decode(hush__mpc_msg *m, const uint8_t *buf, size_t len) {
    if (!m || (!buf && len)) return HUSH_EARG;
    hush__rd r;
    hush__rd_init(&r, buf, len);
    const uint8_t *mg = hush__rd_bytes(&r, 4);
    uint8_t version = hush__rd_u8(&r), kind = hush__rd_u8(&r);
    uint16_t from = hush__rd_u16(&r), to = hush__rd_u16(&r), reserved = hush__rd_u16(&r);
    const uint8_t *session = hush__rd_bytes(&r, HUSH_MPC_SESSION_BYTES);
    uint32_t seq = hush__rd_u32(&r), n_words = hush__rd_u32(&r);
    if (r.err) return HUSH_ETRUNC;
    if (memcmp(mg, magic, 4) != 0) return HUSH_EFORMAT;
    if (version != HUSH_MPC_WIRE_VERSION) return HUSH_EVERSION;
    if (kind < HUSH_MPC_MSG_DEALER || kind > HUSH_MPC_MSG_OUTPUT || reserved != 0) return HUSH_EFORMAT;
    if (n_words > HUSH__MPCWIRE_MAX_WORDS) return HUSH_ERANGE;
    uint64_t rem = hush__rd_remaining(&r), want = (uint64_t)n_words * 8;
    if (rem < want) return HUSH_ETRUNC;
    if (rem != want) return HUSH_EFORMAT;
    m->kind = kind, m->from = from, m->to = to, m->session = session, m->seq = seq;
    m->n_words = n_words;
    m->payload = buf + HUSH_MPC_HEADER_BYTES;
    return HUSH_OK;
}

uint64_t hush__mpcwire_word(const hush__mpc_msg *m, size_t i) {
    return i < m->n_words ? hush__load64_le(m->payload + 8 * i) : 0;
}

void hush__mpcwire_words(const hush__mpc_msg *m, uint64_t *out, size_t first, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = hush__mpcwire_word(m, first + i);
}

int hush__mpcwire_header(uint8_t *out, size_t cap, uint32_t kind, uint32_t from, uint32_t to,
                         const uint8_t *session, uint32_t seq, size_t n_words) {
    if (n_words > HUSH__MPCWIRE_MAX_WORDS) return HUSH_ERANGE;
    hush__wr w;
    hush__wr_init(&w, out, cap);
    if (cap < hush__mpcwire_size(n_words)) return HUSH_ERANGE;
    hush__wr_bytes(&w, magic, 4);
    hush__wr_u8(&w, HUSH_MPC_WIRE_VERSION);
    hush__wr_u8(&w, (uint8_t)kind);
    hush__wr_u16(&w, (uint16_t)from);
    hush__wr_u16(&w, (uint16_t)to);
    hush__wr_u16(&w, 0);
    hush__wr_bytes(&w, session, HUSH_MPC_SESSION_BYTES);
    hush__wr_u32(&w, seq);
    hush__wr_u32(&w, (uint32_t)n_words);
    return w.err ? HUSH_ERANGE : HUSH_OK;
}

void hush__mpcwire_put(uint8_t *payload, size_t first, const uint64_t *w, size_t n) {
    for (size_t i = 0; i < n; i++) hush__store64_le(payload + 8 * (first + i), w[i]);
}
