/* Decoder and encoders for channel messages; layout in chanwire.h. Untrusted bytes: the
 * preamble and the exact size are checked before any field is used. */
#include "io/chanwire.h"

#include <string.h>

#include "io/buf.h"

static const uint8_t magic[4] = {'H', 'C', 'H', 'N'};

int hush__chanwire_decode(hush__chan_msg *m, const uint8_t *buf, size_t len) {
    if (!m || (!buf && len)) return HUSH_EARG;
    memset(m, 0, sizeof *m);
    hush__rd r;
    hush__rd_init(&r, buf, len);
    const uint8_t *mg = hush__rd_bytes(&r, 4);
    uint8_t version = hush__rd_u8(&r), type = hush__rd_u8(&r);
    uint16_t reserved = hush__rd_u16(&r);
    if (r.err) return HUSH_ETRUNC;
    if (memcmp(mg, magic, 4) != 0) return HUSH_EFORMAT;
    if (version != HUSH_CHANNEL_WIRE_VERSION) return HUSH_EVERSION;
    if (reserved != 0) return HUSH_EFORMAT;
    size_t want;
    switch (type) {
    case HUSH__CHAN_HELLO: want = HUSH__CHAN_HELLO_BYTES; break;
    case HUSH__CHAN_REPLY: want = HUSH__CHAN_REPLY_BYTES; break;
    case HUSH__CHAN_FINISH: want = HUSH__CHAN_FINISH_BYTES; break;
    case HUSH__CHAN_DATA:
    case HUSH__CHAN_CLOSE: {
        uint64_t counter = hush__rd_u64(&r);
        uint32_t length = hush__rd_u32(&r);
        if (r.err) return HUSH_ETRUNC;
        if (length > HUSH_CHANNEL_MAX_PAYLOAD_BYTES || (type == HUSH__CHAN_CLOSE && length != 0)) return HUSH_EFORMAT;
        /* 64-bit: length + overhead cannot wrap even where size_t is 32 bits */
        uint64_t total = (uint64_t)HUSH_CHANNEL_OVERHEAD_BYTES + length;
        if ((uint64_t)len < total) return HUSH_ETRUNC;
        if ((uint64_t)len != total) return HUSH_EFORMAT;
        m->type = type;
        m->counter = counter;
        m->length = length;
        m->ad = buf;
        m->ciphertext = buf + HUSH_CHANNEL_RECORD_HEADER_BYTES;
        return HUSH_OK;
    }
    default: return HUSH_EFORMAT;
    }
    if (len < want) return HUSH_ETRUNC;
    if (len != want) return HUSH_EFORMAT;
    m->type = type;
    if (type == HUSH__CHAN_HELLO) {
        m->session = hush__rd_bytes(&r, HUSH_CHANNEL_SESSION_BYTES);
        m->role_i = hush__rd_u32(&r);
        m->role_r = hush__rd_u32(&r);
        m->e = hush__rd_bytes(&r, 32);
    } else if (type == HUSH__CHAN_REPLY) {
        m->e = hush__rd_bytes(&r, 32);
        m->sig = hush__rd_bytes(&r, 64);
    } else {
        m->sig = hush__rd_bytes(&r, 64);
    }
    return r.err ? HUSH_ETRUNC : HUSH_OK;
}

static void preamble(hush__wr *w, uint32_t type) {
    hush__wr_bytes(w, magic, 4);
    hush__wr_u8(w, HUSH_CHANNEL_WIRE_VERSION);
    hush__wr_u8(w, (uint8_t)type);
    hush__wr_u16(w, 0);
}

void hush__chanwire_hello(uint8_t out[HUSH__CHAN_HELLO_BYTES], const uint8_t *session, uint32_t role_i,
                          uint32_t role_r, const uint8_t e[32]) {
    hush__wr w;
    hush__wr_init(&w, out, HUSH__CHAN_HELLO_BYTES);
    preamble(&w, HUSH__CHAN_HELLO);
    hush__wr_bytes(&w, session, HUSH_CHANNEL_SESSION_BYTES);
    hush__wr_u32(&w, role_i);
    hush__wr_u32(&w, role_r);
    hush__wr_bytes(&w, e, 32);
}

void hush__chanwire_reply(uint8_t out[HUSH__CHAN_REPLY_BYTES], const uint8_t e[32], const uint8_t sig[64]) {
    hush__wr w;
    hush__wr_init(&w, out, HUSH__CHAN_REPLY_BYTES);
    preamble(&w, HUSH__CHAN_REPLY);
    hush__wr_bytes(&w, e, 32);
    hush__wr_bytes(&w, sig, 64);
}

void hush__chanwire_finish(uint8_t out[HUSH__CHAN_FINISH_BYTES], const uint8_t sig[64]) {
    hush__wr w;
    hush__wr_init(&w, out, HUSH__CHAN_FINISH_BYTES);
    preamble(&w, HUSH__CHAN_FINISH);
    hush__wr_bytes(&w, sig, 64);
}

void hush__chanwire_record_header(uint8_t out[HUSH_CHANNEL_RECORD_HEADER_BYTES], uint32_t type, uint64_t counter,
                                  uint32_t length) {
    hush__wr w;
    hush__wr_init(&w, out, HUSH_CHANNEL_RECORD_HEADER_BYTES);
    preamble(&w, type);
    hush__wr_u64(&w, counter);
    hush__wr_u32(&w, length);
}
