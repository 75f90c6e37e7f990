/* p2p frames of hush.v1: bounds-checked decoding and the encoders (formats in p2pwire.h). */
#include "io/p2pwire.h"

#include <string.h>

#include "io/buf.h"

#define MAGIC0 'h'
#define MAGIC1 'n'
#define SID HUSH_NET_SESSION_BYTES

static const char model_label[] = "hush.v1.model";
static const char signal_label[] = "hush.v1.signal";

static hush__nw_name rd_name(hush__rd *r) {
    hush__nw_name n = {NULL, 0};
    uint8_t len = hush__rd_u8(r);
    const uint8_t *p = hush__rd_bytes(r, len);
    if (!r->err && !hush__nw_name_ok(p, len)) {
        r->err = HUSH_EFORMAT;
        r->err_off = r->pos;
    }
    if (!r->err) {
        n.p = p;
        n.len = len;
    }
    return n;
}

static int text_ok(const uint8_t *t, size_t n, int lines) {
    for (size_t i = 0; i < n; i++) {
        uint8_t c = t[i];
        if (c >= 0x20 && c <= 0x7e) continue;
        if (lines && (c == '\t' || c == '\r' || c == '\n')) continue;
        return 0;
    }
    return 1;
}

int hush__pw_desc_split(const uint8_t *desc, size_t len, const uint8_t **model, size_t *model_len,
                        const uint8_t **schema, size_t *schema_len) {
    if (!desc && len) return HUSH_EARG;
    hush__rd r;
    hush__rd_init(&r, desc, len);
    uint32_t ml = hush__rd_u32(&r);
    if (!r.err && ml > hush__rd_remaining(&r)) return HUSH_ETRUNC;
    const uint8_t *m = hush__rd_bytes(&r, ml);
    uint32_t sl = hush__rd_u32(&r);
    if (r.err) return r.err;
    if (ml == 0 || sl > HUSH_P2P_SCHEMA_MAX) return HUSH_EFORMAT;
    if (sl > hush__rd_remaining(&r)) return HUSH_ETRUNC;
    const uint8_t *s = hush__rd_bytes(&r, sl);
    if (r.err) return r.err;
    if (hush__rd_remaining(&r)) return HUSH_EFORMAT;
    if (!text_ok(s, sl, 1)) return HUSH_EFORMAT;
    *model = m, *model_len = ml, *schema = s, *schema_len = sl;
    return HUSH_OK;
}

static void rd_desc(hush__rd *r, hush__pw_msg *m) {
    uint32_t n = hush__rd_u32(r);
    if (r->err) return;
    if (n > HUSH_P2P_DESC_MAX) {
        r->err = HUSH_EFORMAT;
        return;
    }
    if (n > hush__rd_remaining(r)) {
        r->err = HUSH_ETRUNC;
        return;
    }
    m->desc = hush__rd_bytes(r, n);
    m->desc_len = n;
    int rc = hush__pw_desc_split(m->desc, n, &m->model, &m->model_len, &m->schema, &m->schema_len);
    if (rc) r->err = rc;
}

int hush__pw_link_decode(const uint8_t *frame, size_t len, uint32_t *tag, uint32_t *flags, const uint8_t **bytes,
                         size_t *n) {
    if (!frame && len) return HUSH_EARG;
    if (len < HUSH__PW_LINK_PREFIX + 1) return HUSH_ETRUNC;
    if ((frame[0] != HUSH__PW_TAG_PARTY && frame[0] != HUSH__PW_TAG_CLIENT) || (frame[1] & ~HUSH__PW_FLAG_MORE))
        return HUSH_EFORMAT;
    *tag = frame[0];
    *flags = frame[1];
    *bytes = frame + HUSH__PW_LINK_PREFIX;
    *n = len - HUSH__PW_LINK_PREFIX;
    return HUSH_OK;
}

int hush__pw_decode(hush__pw_msg *m, const uint8_t *p, size_t len, size_t max_len) {
    if (!m || (!p && len)) return HUSH_EARG;
    memset(m, 0, sizeof *m);
    if (len > max_len) return HUSH_ERANGE;
    if (len < HUSH__NW_HEADER_BYTES) return HUSH_ETRUNC;
    if (p[0] != MAGIC0 || p[1] != MAGIC1) return HUSH_EFORMAT;
    if (p[2] != HUSH_NET_VERSION) return HUSH_EVERSION;
    uint32_t body = hush__load32_le(p + 4);
    if (body > len - HUSH__NW_HEADER_BYTES) return HUSH_ETRUNC;
    if (body < len - HUSH__NW_HEADER_BYTES) return HUSH_EFORMAT;
    m->type = p[3];
    hush__rd r;
    hush__rd_init(&r, p + HUSH__NW_HEADER_BYTES, body);
    switch (m->type) {
    case HUSH_P2P_MSG_SERVE:
        m->flags = hush__rd_u32(&r);
        m->max_rows = hush__rd_u32(&r);
        if (!r.err && ((m->flags & ~HUSH__PW_SERVE_DIRECT) || m->max_rows == 0 || m->max_rows > HUSH_P2P_MAX_ROWS))
            return HUSH_EFORMAT;
        rd_desc(&r, m);
        m->sig = hush__rd_bytes(&r, HUSH__PW_SIG);
        break;
    case HUSH_P2P_MSG_DESCRIBE:
        m->name = rd_name(&r);
        break;
    case HUSH_P2P_MSG_MODEL:
        m->name = rd_name(&r);
        m->pk = hush__rd_bytes(&r, 32);
        m->flags = hush__rd_u32(&r);
        m->max_rows = hush__rd_u32(&r);
        if (!r.err && ((m->flags & ~HUSH__PW_SERVE_DIRECT) || m->max_rows == 0 || m->max_rows > HUSH_P2P_MAX_ROWS))
            return HUSH_EFORMAT;
        rd_desc(&r, m);
        m->sig = hush__rd_bytes(&r, HUSH__PW_SIG);
        break;
    case HUSH_P2P_MSG_OPEN:
        m->req = hush__rd_u32(&r);
        m->name = rd_name(&r);
        m->rows = hush__rd_u32(&r);
        m->link = hush__rd_u32(&r);
        if (!r.err && (m->rows == 0 || m->rows > HUSH_P2P_MAX_ROWS ||
                       (m->link != HUSH_P2P_LINK_RELAY && m->link != HUSH_P2P_LINK_DIRECT)))
            return HUSH_EFORMAT;
        break;
    case HUSH_P2P_MSG_SESSION:
        m->req = hush__rd_u32(&r);
        m->session = hush__rd_bytes(&r, SID);
        m->role = hush__rd_u32(&r);
        m->name = rd_name(&r);
        m->pk = hush__rd_bytes(&r, 32);
        m->dealer_pk = hush__rd_bytes(&r, 32);
        m->rows = hush__rd_u32(&r);
        m->link = hush__rd_u32(&r);
        m->hash = hush__rd_bytes(&r, HUSH_P2P_HASH_BYTES);
        if (!r.err && (m->role > 1 || m->rows == 0 || m->rows > HUSH_P2P_MAX_ROWS ||
                       (m->link != HUSH_P2P_LINK_RELAY && m->link != HUSH_P2P_LINK_DIRECT)))
            return HUSH_EFORMAT;
        break;
    case HUSH_P2P_MSG_DEALER:
        m->session = hush__rd_bytes(&r, SID);
        m->flags = hush__rd_u8(&r);
        if (!r.err && (m->flags & ~HUSH__PW_FLAG_MORE)) return HUSH_EFORMAT;
        m->payload_len = hush__rd_remaining(&r);
        m->payload = hush__rd_bytes(&r, m->payload_len);
        if (!r.err && m->payload_len == 0) return HUSH_EFORMAT;
        break;
    case HUSH_P2P_MSG_RELAY: {
        m->session = hush__rd_bytes(&r, SID);
        m->payload_len = hush__rd_remaining(&r);
        m->payload = hush__rd_bytes(&r, m->payload_len);
        if (r.err) break;
        uint32_t tag, fl;
        const uint8_t *b;
        size_t n;
        int rc = hush__pw_link_decode(m->payload, m->payload_len, &tag, &fl, &b, &n);
        if (rc) return rc;
        break;
    }
    case HUSH_P2P_MSG_SIGNAL:
        m->session = hush__rd_bytes(&r, SID);
        m->kind = hush__rd_u8(&r);
        m->seq = hush__rd_u32(&r);
        m->payload_len = hush__rd_u32(&r);
        if (r.err) break;
        if (m->kind < HUSH_P2P_SIGNAL_OFFER || m->kind > HUSH_P2P_SIGNAL_BYE || m->payload_len > HUSH_P2P_SIGNAL_MAX)
            return HUSH_EFORMAT;
        if (m->payload_len > hush__rd_remaining(&r)) return HUSH_ETRUNC;
        m->payload = hush__rd_bytes(&r, m->payload_len);
        m->sig = hush__rd_bytes(&r, HUSH__PW_SIG);
        if (!r.err && !text_ok(m->payload, m->payload_len, 1)) return HUSH_EFORMAT;
        break;
    case HUSH_P2P_MSG_END:
        m->session = hush__rd_bytes(&r, SID);
        m->code = hush__rd_u16(&r);
        m->text_len = hush__rd_u16(&r);
        if (r.err) break;
        if ((m->code != 0 && (m->code < 4000 || m->code > 4999)) || m->text_len > HUSH_NET_ERROR_TEXT_MAX)
            return HUSH_EFORMAT;
        if (m->text_len > hush__rd_remaining(&r)) return HUSH_ETRUNC;
        m->text = hush__rd_bytes(&r, m->text_len);
        if (!r.err && !text_ok(m->text, m->text_len, 0)) return HUSH_EFORMAT;
        break;
    case HUSH_P2P_MSG_REFUSE:
        m->name = rd_name(&r);
        m->req = hush__rd_u32(&r);
        m->code = hush__rd_u16(&r);
        m->text_len = hush__rd_u16(&r);
        if (r.err) break;
        if (m->code < 4000 || m->code > 4999 || m->text_len > HUSH_NET_ERROR_TEXT_MAX) return HUSH_EFORMAT;
        if (m->text_len > hush__rd_remaining(&r)) return HUSH_ETRUNC;
        m->text = hush__rd_bytes(&r, m->text_len);
        if (!r.err && !text_ok(m->text, m->text_len, 0)) return HUSH_EFORMAT;
        break;
    default:
        return HUSH_EFORMAT;
    }
    if (r.err) return r.err;
    if (hush__rd_remaining(&r) != 0) return HUSH_EFORMAT;
    return HUSH_OK;
}

/* ---- encoders ---- */

static int begin(hush__wr *w, uint8_t *out, size_t cap, uint32_t type, size_t body) {
    if (!out && cap) return HUSH_EARG;
    if (body > UINT32_MAX - HUSH__NW_HEADER_BYTES) return HUSH_ERANGE;
    hush__wr_init(w, out, cap);
    hush__wr_u8(w, MAGIC0);
    hush__wr_u8(w, MAGIC1);
    hush__wr_u8(w, HUSH_NET_VERSION);
    hush__wr_u8(w, (uint8_t)type);
    hush__wr_u32(w, (uint32_t)body);
    return HUSH_OK;
}

static int finish(hush__wr *w, size_t *written) {
    if (written) *written = w->err ? 0 : w->pos;
    return w->err ? HUSH_ERANGE : HUSH_OK;
}

static size_t nlen(const char *s) {
    if (!s) return 0;
    size_t n = strlen(s);
    return hush__nw_name_ok((const uint8_t *)s, n) ? n : 0;
}

static void wr_name(hush__wr *w, const char *s, size_t n) {
    hush__wr_u8(w, (uint8_t)n);
    hush__wr_bytes(w, s, n);
}

size_t hush__pw_serve_size(size_t desc_len) { return HUSH__NW_HEADER_BYTES + 12 + desc_len + HUSH__PW_SIG; }

int hush__pw_serve(uint8_t *out, size_t cap, size_t *written, uint32_t flags, uint32_t max_rows, const uint8_t *desc,
                   size_t desc_len, const uint8_t sig[64]) {
    if (!desc || !sig || desc_len > HUSH_P2P_DESC_MAX) return HUSH_EARG;
    hush__wr w;
    int rc = begin(&w, out, cap, HUSH_P2P_MSG_SERVE, hush__pw_serve_size(desc_len) - HUSH__NW_HEADER_BYTES);
    if (rc) return rc;
    hush__wr_u32(&w, flags);
    hush__wr_u32(&w, max_rows);
    hush__wr_u32(&w, (uint32_t)desc_len);
    hush__wr_bytes(&w, desc, desc_len);
    hush__wr_bytes(&w, sig, HUSH__PW_SIG);
    return finish(&w, written);
}

int hush__pw_describe(uint8_t *out, size_t cap, size_t *written, const char *bank) {
    size_t bl = nlen(bank);
    if (!bl) return HUSH_EARG;
    hush__wr w;
    int rc = begin(&w, out, cap, HUSH_P2P_MSG_DESCRIBE, 1 + bl);
    if (rc) return rc;
    wr_name(&w, bank, bl);
    return finish(&w, written);
}

size_t hush__pw_model_size(const char *bank, size_t desc_len) {
    return HUSH__NW_HEADER_BYTES + 1 + nlen(bank) + 32 + 12 + desc_len + HUSH__PW_SIG;
}

int hush__pw_model(uint8_t *out, size_t cap, size_t *written, const char *bank, const uint8_t pk[32], uint32_t flags,
                   uint32_t max_rows, const uint8_t *desc, size_t desc_len, const uint8_t sig[64]) {
    size_t bl = nlen(bank);
    if (!bl || !pk || !desc || !sig || desc_len > HUSH_P2P_DESC_MAX) return HUSH_EARG;
    hush__wr w;
    int rc = begin(&w, out, cap, HUSH_P2P_MSG_MODEL, hush__pw_model_size(bank, desc_len) - HUSH__NW_HEADER_BYTES);
    if (rc) return rc;
    wr_name(&w, bank, bl);
    hush__wr_bytes(&w, pk, 32);
    hush__wr_u32(&w, flags);
    hush__wr_u32(&w, max_rows);
    hush__wr_u32(&w, (uint32_t)desc_len);
    hush__wr_bytes(&w, desc, desc_len);
    hush__wr_bytes(&w, sig, HUSH__PW_SIG);
    return finish(&w, written);
}

int hush__pw_open(uint8_t *out, size_t cap, size_t *written, uint32_t req, const char *bank, uint32_t rows,
                  uint32_t link) {
    size_t bl = nlen(bank);
    if (!bl) return HUSH_EARG;
    hush__wr w;
    int rc = begin(&w, out, cap, HUSH_P2P_MSG_OPEN, 4 + 1 + bl + 8);
    if (rc) return rc;
    hush__wr_u32(&w, req);
    wr_name(&w, bank, bl);
    hush__wr_u32(&w, rows);
    hush__wr_u32(&w, link);
    return finish(&w, written);
}

int hush__pw_session(uint8_t *out, size_t cap, size_t *written, uint32_t req, const uint8_t session[16], uint32_t role,
                     const char *peer, const uint8_t pk[32], const uint8_t dealer_pk[32], uint32_t rows, uint32_t link,
                     const uint8_t hash[32]) {
    size_t pl = nlen(peer);
    if (!pl || !session || !pk || !dealer_pk || !hash) return HUSH_EARG;
    hush__wr w;
    int rc = begin(&w, out, cap, HUSH_P2P_MSG_SESSION, 4 + SID + 4 + 1 + pl + 64 + 8 + HUSH_P2P_HASH_BYTES);
    if (rc) return rc;
    hush__wr_u32(&w, req);
    hush__wr_bytes(&w, session, SID);
    hush__wr_u32(&w, role);
    wr_name(&w, peer, pl);
    hush__wr_bytes(&w, pk, 32);
    hush__wr_bytes(&w, dealer_pk, 32);
    hush__wr_u32(&w, rows);
    hush__wr_u32(&w, link);
    hush__wr_bytes(&w, hash, HUSH_P2P_HASH_BYTES);
    return finish(&w, written);
}

static void header(uint8_t *out, uint32_t type, size_t body) {
    out[0] = MAGIC0;
    out[1] = MAGIC1;
    out[2] = HUSH_NET_VERSION;
    out[3] = (uint8_t)type;
    hush__store32_le(out + 4, (uint32_t)body);
}

void hush__pw_dealer_header(uint8_t *out, const uint8_t session[16], uint32_t flags, size_t n) {
    header(out, HUSH_P2P_MSG_DEALER, SID + 1 + n);
    memcpy(out + HUSH__NW_HEADER_BYTES, session, SID);
    out[HUSH__NW_HEADER_BYTES + SID] = (uint8_t)flags;
}

void hush__pw_relay_header(uint8_t *out, const uint8_t session[16], size_t link_len) {
    header(out, HUSH_P2P_MSG_RELAY, SID + link_len);
    memcpy(out + HUSH__NW_HEADER_BYTES, session, SID);
}

size_t hush__pw_signal_size(size_t len) { return HUSH__NW_HEADER_BYTES + SID + 9 + len + HUSH__PW_SIG; }

int hush__pw_signal(uint8_t *out, size_t cap, size_t *written, const uint8_t session[16], uint32_t kind, uint32_t seq,
                    const uint8_t *payload, size_t len, const uint8_t sig[64]) {
    if (!session || !sig || (!payload && len) || len > HUSH_P2P_SIGNAL_MAX) return HUSH_EARG;
    hush__wr w;
    int rc = begin(&w, out, cap, HUSH_P2P_MSG_SIGNAL, hush__pw_signal_size(len) - HUSH__NW_HEADER_BYTES);
    if (rc) return rc;
    hush__wr_bytes(&w, session, SID);
    hush__wr_u8(&w, (uint8_t)kind);
    hush__wr_u32(&w, seq);
    hush__wr_u32(&w, (uint32_t)len);
    hush__wr_bytes(&w, payload, len);
    hush__wr_bytes(&w, sig, HUSH__PW_SIG);
    return finish(&w, written);
}

int hush__pw_end(uint8_t *out, size_t cap, size_t *written, const uint8_t session[16], uint16_t code, const char *text) {
    size_t tl = text ? strlen(text) : 0;
    if (!session) return HUSH_EARG;
    if (tl > HUSH_NET_ERROR_TEXT_MAX) tl = HUSH_NET_ERROR_TEXT_MAX;
    if (!text_ok((const uint8_t *)text, tl, 0)) return HUSH_EARG;
    hush__wr w;
    int rc = begin(&w, out, cap, HUSH_P2P_MSG_END, SID + 4 + tl);
    if (rc) return rc;
    hush__wr_bytes(&w, session, SID);
    hush__wr_u16(&w, code);
    hush__wr_u16(&w, (uint16_t)tl);
    hush__wr_bytes(&w, text, tl);
    return finish(&w, written);
}

int hush__pw_refuse(uint8_t *out, size_t cap, size_t *written, const char *bank, uint32_t req, uint16_t code,
                    const char *text) {
    size_t bl = nlen(bank), tl = text ? strlen(text) : 0;
    if (!bl || code < 4000 || code > 4999) return HUSH_EARG;
    if (tl > HUSH_NET_ERROR_TEXT_MAX) tl = HUSH_NET_ERROR_TEXT_MAX;
    if (!text_ok((const uint8_t *)text, tl, 0)) return HUSH_EARG;
    hush__wr w;
    int rc = begin(&w, out, cap, HUSH_P2P_MSG_REFUSE, 1 + bl + 8 + tl);
    if (rc) return rc;
    wr_name(&w, bank, bl);
    hush__wr_u32(&w, req);
    hush__wr_u16(&w, code);
    hush__wr_u16(&w, (uint16_t)tl);
    hush__wr_bytes(&w, text, tl);
    return finish(&w, written);
}

int hush__pw_desc(uint8_t *out, size_t cap, size_t *written, const uint8_t *model, size_t model_len, const char *schema,
                  size_t schema_len) {
    if (!model || !model_len || (!schema && schema_len) || schema_len > HUSH_P2P_SCHEMA_MAX) return HUSH_EARG;
    if (!text_ok((const uint8_t *)schema, schema_len, 1)) return HUSH_EFORMAT;
    if (model_len > HUSH_P2P_DESC_MAX || 8 + model_len + schema_len > HUSH_P2P_DESC_MAX) return HUSH_ERANGE;
    hush__wr w;
    hush__wr_init(&w, out, cap);
    hush__wr_u32(&w, (uint32_t)model_len);
    hush__wr_bytes(&w, model, model_len);
    hush__wr_u32(&w, (uint32_t)schema_len);
    hush__wr_bytes(&w, schema, schema_len);
    return finish(&w, written);
}

size_t hush__pw_model_transcript_size(const char *bank, size_t desc_len) {
    return sizeof model_label + 1 + nlen(bank) + 32 + 8 + desc_len;
}

int hush__pw_model_transcript(uint8_t *out, size_t cap, size_t *written, const char *bank, const uint8_t pk[32],
                              uint32_t flags, uint32_t max_rows, const uint8_t *desc, size_t desc_len) {
    size_t bl = nlen(bank);
    if (!bl || !pk || (!desc && desc_len)) return HUSH_EARG;
    hush__wr w;
    hush__wr_init(&w, out, cap);
    hush__wr_bytes(&w, model_label, sizeof model_label); /* with its NUL: no label prefixes another */
    wr_name(&w, bank, bl);
    hush__wr_bytes(&w, pk, 32);
    hush__wr_u32(&w, flags);
    hush__wr_u32(&w, max_rows);
    hush__wr_bytes(&w, desc, desc_len);
    return finish(&w, written);
}

size_t hush__pw_signal_transcript_size(const char *from, const char *to, size_t len) {
    return sizeof signal_label + SID + 2 + nlen(from) + nlen(to) + 9 + len;
}

int hush__pw_signal_transcript(uint8_t *out, size_t cap, size_t *written, const uint8_t session[16], const char *from,
                               const char *to, uint32_t kind, uint32_t seq, const uint8_t *payload, size_t len) {
    size_t fl = nlen(from), tl = nlen(to);
    if (!fl || !tl || !session || (!payload && len)) return HUSH_EARG;
    hush__wr w;
    hush__wr_init(&w, out, cap);
    hush__wr_bytes(&w, signal_label, sizeof signal_label);
    hush__wr_bytes(&w, session, SID);
    wr_name(&w, from, fl);
    wr_name(&w, to, tl);
    hush__wr_u8(&w, (uint8_t)kind);
    hush__wr_u32(&w, seq);
    hush__wr_u32(&w, (uint32_t)len);
    hush__wr_bytes(&w, payload, len);
    return finish(&w, written);
}
