/* hush.v1 frames: bounds-checked decoding and the encoders (format in netwire.h). Both the server
 * and the participants run every received frame through hush__nw_decode before acting on it. */
#include "io/netwire.h"

#include <string.h>

#include "hush/p2p.h"
#include "io/buf.h"

#define SIG 64
#define MAX_PKI_N 65536u

int hush__nw_name_ok(const uint8_t *p, size_t len) {
    if (!p || len == 0 || len > HUSH_NET_NAME_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                 c == '_' || c == '-';
        if (!ok) return 0;
    }
    return 1;
}

hush__nw_name hush__nw_rd_name(hush__rd *r) {
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

int hush__nw_open(hush__rd *r, uint32_t *type, const uint8_t *p, size_t len, size_t max_len) {
    if (len > max_len) return HUSH_ERANGE;
    if (len < HUSH__NW_HEADER_BYTES) return HUSH_ETRUNC;
    if (p[0] != HUSH__NW_MAGIC0 || p[1] != HUSH__NW_MAGIC1) return HUSH_EFORMAT;
    if (p[2] != HUSH_NET_VERSION) return HUSH_EVERSION;
    uint32_t body = hush__load32_le(p + 4);
    if (body > len - HUSH__NW_HEADER_BYTES) return HUSH_ETRUNC;
    if (body < len - HUSH__NW_HEADER_BYTES) return HUSH_EFORMAT;
    *type = p[3];
    hush__rd_init(r, p + HUSH__NW_HEADER_BYTES, body);
    return HUSH_OK;
}

int hush__nw_decode(hush__nw_msg *m, const uint8_t *p, size_t len, size_t max_len) {
    if (!m || (!p && len)) return HUSH_EARG;
    memset(m, 0, sizeof *m);
    hush__rd r;
    int rc = hush__nw_open(&r, &m->type, p, len, max_len);
    if (rc) return rc;
    switch (m->type) {
    case HUSH_NET_CHALLENGE:
        m->nonce = hush__rd_bytes(&r, HUSH_NET_NONCE_BYTES);
        m->flags = hush__rd_u32(&r);
        if (!r.err && m->flags) return HUSH_EFORMAT;
        break;
    case HUSH_NET_AUTH: {
        m->name = hush__nw_rd_name(&r);
        m->pk = hush__rd_bytes(&r, 32);
        uint8_t has = hush__rd_u8(&r);
        if (!r.err && has > 1) return HUSH_EFORMAT;
        if (has) m->token = hush__rd_bytes(&r, HUSH_NET_TOKEN_BYTES);
        m->sig = hush__rd_bytes(&r, SIG);
        break;
    }
    case HUSH_NET_WELCOME:
        m->name = hush__nw_rd_name(&r);
        m->flags = hush__rd_u32(&r);
        if (!r.err && (m->flags & ~1u)) return HUSH_EFORMAT;
        break;
    case HUSH_NET_ERROR:
        m->code = hush__rd_u16(&r);
        m->text_len = hush__rd_u16(&r);
        if (!r.err && m->text_len > HUSH_NET_ERROR_TEXT_MAX) return HUSH_EFORMAT;
        m->text = hush__rd_bytes(&r, m->text_len);
        for (uint16_t i = 0; !r.err && i < m->text_len; i++)
            if (m->text[i] < 0x20 || m->text[i] > 0x7e) return HUSH_EFORMAT;
        if (!r.err && (m->code < 4000 || m->code > 4999)) return HUSH_EFORMAT;
        break;
    case HUSH_NET_JOIN:
        m->name = hush__nw_rd_name(&r);
        break;
    case HUSH_NET_ROUND: {
        m->name = hush__nw_rd_name(&r);
        m->round = hush__rd_u32(&r);
        m->session = hush__rd_bytes(&r, HUSH_NET_SESSION_BYTES);
        m->n = hush__rd_u32(&r);
        m->threshold = hush__rd_u32(&r);
        m->bits = hush__rd_u32(&r);
        m->dim = hush__rd_u32(&r);
        m->neighbours = hush__rd_u32(&r);
        m->max_corrupt = hush__rd_u32(&r);
        m->flags = hush__rd_u32(&r);
        m->your_id = hush__rd_u32(&r);
        if (r.err) break;
        /* Sanity only; the secure-aggregation configuration check is the client's business. */
        if (m->round == 0 || m->n < 2 || m->n > MAX_PKI_N || m->threshold == 0 || m->threshold > m->n ||
            m->bits == 0 || m->bits > 32 || m->dim == 0 || m->max_corrupt >= m->threshold ||
            (m->flags & ~(1u | HUSH__NW_ROUND_SPARSE)) || m->your_id >= m->n)
            return HUSH_EFORMAT;
        int sparse = (m->flags & HUSH__NW_ROUND_SPARSE) != 0, own = !sparse;
        m->pki_count = sparse ? hush__rd_u32(&r) : m->n;
        if (r.err) break;
        if (m->pki_count == 0 || m->pki_count > m->n) return HUSH_EFORMAT;
        m->pki = r.p + r.pos;
        size_t start = r.pos;
        for (uint32_t i = 0, prev = 0; i < m->pki_count && !r.err; i++) {
            if (sparse) {
                uint32_t id = hush__rd_u32(&r);
                if (!r.err && ((i && id <= prev) || id >= m->n)) return HUSH_EFORMAT;
                own |= id == m->your_id;
                prev = id;
            }
            (void)hush__nw_rd_name(&r);
            (void)hush__rd_bytes(&r, 32);
        }
        if (r.err) break;
        if (!own) return HUSH_EFORMAT;
        m->pki_len = r.pos - start;
        break;
    }
    case HUSH_NET_SECAGG:
        m->round = hush__rd_u32(&r);
        if (!r.err && m->round == 0) return HUSH_EFORMAT;
        m->payload_len = hush__rd_remaining(&r);
        m->payload = hush__rd_bytes(&r, m->payload_len);
        if (!r.err && m->payload_len == 0) return HUSH_EFORMAT;
        break;
    case HUSH_NET_RESULT:
        m->name = hush__nw_rd_name(&r);
        m->round = hush__rd_u32(&r);
        m->status = hush__rd_u8(&r);
        m->flags = hush__rd_u32(&r);
        m->dim = hush__rd_u32(&r);
        if (r.err) break;
        if (m->round == 0 || (m->status != HUSH_NET_ROUND_COMMITTED && m->status != HUSH_NET_ROUND_ABORTED) ||
            (m->flags & ~1u) || (m->status == HUSH_NET_ROUND_ABORTED && m->dim != 0))
            return HUSH_EFORMAT;
        if ((uint64_t)m->dim * 4 > hush__rd_remaining(&r)) return HUSH_ETRUNC;
        m->values = hush__rd_bytes(&r, (size_t)m->dim * 4);
        break;
    case HUSH_NET_MODEL: {
        m->name = hush__nw_rd_name(&r);
        m->round = hush__rd_u32(&r);
        m->fl_task = hush__rd_bytes(&r, HUSH_FEDERATED_TASK_BYTES);
        uint32_t ml = hush__rd_u32(&r);
        if (r.err) break;
        hush_federated_task t;
        if (m->round == 0 || ml == 0 || hush_federated_task_decode(&t, m->fl_task, HUSH_FEDERATED_TASK_BYTES))
            return HUSH_EFORMAT;
        m->payload_len = ml;
        m->payload = hush__rd_bytes(&r, ml);
        break;
    }
    case HUSH_NET_DECLINE:
        m->name = hush__nw_rd_name(&r);
        m->round = hush__rd_u32(&r);
        m->reason = hush__rd_u32(&r);
        if (!r.err && (m->round == 0 || m->reason < HUSH_NET_DECLINE_BUDGET || m->reason > HUSH_NET_DECLINE_ERROR))
            return HUSH_EFORMAT;
        break;
    default:
        /* p2p frames (hush/p2p.h): the header is checked here, the body by io/p2pwire.c */
        if (m->type >= HUSH_P2P_MSG_FIRST && m->type <= HUSH_P2P_MSG_LAST) {
            m->payload = p + HUSH__NW_HEADER_BYTES;
            m->payload_len = len - HUSH__NW_HEADER_BYTES; /* the body fills the frame: checked by hush__nw_open */
            return HUSH_OK;
        }
        return HUSH_EFORMAT;
    }
    if (r.err) return r.err;
    if (hush__rd_remaining(&r) != 0) return HUSH_EFORMAT;
    return HUSH_OK;
}

void hush__nw_pki_next(const hush__nw_msg *m, size_t *pos, uint32_t i, uint32_t *id, hush__nw_name *name,
                       const uint8_t **pk) {
    *id = i;
    if (m->flags & HUSH__NW_ROUND_SPARSE) {
        *id = hush__load32_le(m->pki + *pos);
        *pos += 4;
    }
    const uint8_t *e = m->pki + *pos;
    name->len = e[0];
    name->p = e + 1;
    *pk = e + 1 + e[0];
    *pos += 1 + (size_t)e[0] + 32;
}

/* ---- encoders ---- */

int hush__nw_begin(hush__wr *w, uint8_t *out, size_t cap, uint32_t type, size_t body) {
    if (!out && cap) return HUSH_EARG;
    if (body > UINT32_MAX - HUSH__NW_HEADER_BYTES) return HUSH_ERANGE;
    hush__wr_init(w, out, cap);
    hush__wr_u8(w, HUSH__NW_MAGIC0);
    hush__wr_u8(w, HUSH__NW_MAGIC1);
    hush__wr_u8(w, HUSH_NET_VERSION);
    hush__wr_u8(w, (uint8_t)type);
    hush__wr_u32(w, (uint32_t)body);
    return HUSH_OK;
}

int hush__nw_finish(hush__wr *w, size_t *written) {
    if (written) *written = w->err ? 0 : w->pos;
    return w->err ? HUSH_ERANGE : HUSH_OK;
}

static int name_len(const char *s, size_t *len) {
    if (!s) return 0;
    *len = strlen(s);
    return hush__nw_name_ok((const uint8_t *)s, *len);
}

static void wr_name(hush__wr *w, const char *s, size_t len) {
    hush__wr_u8(w, (uint8_t)len);
    hush__wr_bytes(w, s, len);
}

int hush__nw_challenge(uint8_t *out, size_t cap, size_t *written, const uint8_t nonce[32], uint32_t flags) {
    hush__wr w;
    if (!nonce) return HUSH_EARG;
    int rc = hush__nw_begin(&w, out, cap, HUSH_NET_CHALLENGE, 36);
    if (rc) return rc;
    hush__wr_bytes(&w, nonce, 32);
    hush__wr_u32(&w, flags);
    return hush__nw_finish(&w, written);
}

int hush__nw_auth_transcript(uint8_t *out, size_t cap, size_t *written, const uint8_t nonce[32], const char *name,
                             const uint8_t pk[32], const uint8_t *token) {
    static const char label[] = "hush.v1.auth";
    size_t nl;
    if (!nonce || !pk || !name_len(name, &nl)) return HUSH_EARG;
    hush__wr w;
    hush__wr_init(&w, out, cap);
    hush__wr_bytes(&w, label, sizeof label); /* with its NUL: no label is a prefix of another */
    hush__wr_bytes(&w, nonce, 32);
    wr_name(&w, name, nl);
    hush__wr_bytes(&w, pk, 32);
    hush__wr_u8(&w, token ? 1 : 0);
    if (token) hush__wr_bytes(&w, token, HUSH_NET_TOKEN_BYTES);
    return hush__nw_finish(&w, written);
}

int hush__nw_auth(uint8_t *out, size_t cap, size_t *written, const char *name, const uint8_t pk[32],
                  const uint8_t *token, const uint8_t sig[64]) {
    size_t nl;
    if (!pk || !sig || !name_len(name, &nl)) return HUSH_EARG;
    hush__wr w;
    int rc = hush__nw_begin(&w, out, cap, HUSH_NET_AUTH, 1 + nl + 32 + 1 + (token ? 32 : 0) + SIG);
    if (rc) return rc;
    wr_name(&w, name, nl);
    hush__wr_bytes(&w, pk, 32);
    hush__wr_u8(&w, token ? 1 : 0);
    if (token) hush__wr_bytes(&w, token, HUSH_NET_TOKEN_BYTES);
    hush__wr_bytes(&w, sig, SIG);
    return hush__nw_finish(&w, written);
}

int hush__nw_welcome(uint8_t *out, size_t cap, size_t *written, const char *name, uint32_t flags) {
    size_t nl;
    if (!name_len(name, &nl)) return HUSH_EARG;
    hush__wr w;
    int rc = hush__nw_begin(&w, out, cap, HUSH_NET_WELCOME, 1 + nl + 4);
    if (rc) return rc;
    wr_name(&w, name, nl);
    hush__wr_u32(&w, flags);
    return hush__nw_finish(&w, written);
}

int hush__nw_error(uint8_t *out, size_t cap, size_t *written, uint16_t code, const char *text) {
    size_t tl = text ? strlen(text) : 0;
    if (tl > HUSH_NET_ERROR_TEXT_MAX) tl = HUSH_NET_ERROR_TEXT_MAX;
    for (size_t i = 0; i < tl; i++)
        if (text[i] < 0x20 || text[i] > 0x7e) return HUSH_EARG;
    hush__wr w;
    int rc = hush__nw_begin(&w, out, cap, HUSH_NET_ERROR, 4 + tl);
    if (rc) return rc;
    hush__wr_u16(&w, code);
    hush__wr_u16(&w, (uint16_t)tl);
    hush__wr_bytes(&w, text, tl);
    return hush__nw_finish(&w, written);
}

int hush__nw_join(uint8_t *out, size_t cap, size_t *written, const char *task) {
    size_t nl;
    if (!name_len(task, &nl)) return HUSH_EARG;
    hush__wr w;
    int rc = hush__nw_begin(&w, out, cap, HUSH_NET_JOIN, 1 + nl);
    if (rc) return rc;
    wr_name(&w, task, nl);
    return hush__nw_finish(&w, written);
}

size_t hush__nw_round_size(const hush__nw_round_info *r, size_t pki_bytes) {
    return HUSH__NW_HEADER_BYTES + 1 + strlen(r->task) + 4 + HUSH_NET_SESSION_BYTES + 8 * 4 +
           (r->flags & HUSH__NW_ROUND_SPARSE ? 4 : 0) + pki_bytes;
}

int hush__nw_round(uint8_t *out, size_t cap, size_t *written, const hush__nw_round_info *r, const uint8_t *pki,
                   size_t pki_bytes) {
    size_t nl;
    if (!r || !r->session || !name_len(r->task, &nl) || (!pki && pki_bytes)) return HUSH_EARG;
    hush__wr w;
    int rc = hush__nw_begin(&w, out, cap, HUSH_NET_ROUND, hush__nw_round_size(r, pki_bytes) - HUSH__NW_HEADER_BYTES);
    if (rc) return rc;
    wr_name(&w, r->task, nl);
    hush__wr_u32(&w, r->round);
    hush__wr_bytes(&w, r->session, HUSH_NET_SESSION_BYTES);
    hush__wr_u32(&w, r->n);
    hush__wr_u32(&w, r->threshold);
    hush__wr_u32(&w, r->bits);
    hush__wr_u32(&w, r->dim);
    hush__wr_u32(&w, r->neighbours);
    hush__wr_u32(&w, r->max_corrupt);
    hush__wr_u32(&w, r->flags);
    hush__wr_u32(&w, r->your_id);
    if (r->flags & HUSH__NW_ROUND_SPARSE) hush__wr_u32(&w, r->pki_count);
    hush__wr_bytes(&w, pki, pki_bytes);
    return hush__nw_finish(&w, written);
}

size_t hush__nw_pki_entry_id(uint8_t *out, size_t cap, uint32_t id, const char *name, const uint8_t pk[32]) {
    if (cap < 4) return 0;
    size_t e = hush__nw_pki_entry(out + 4, cap - 4, name, pk);
    if (e) hush__store32_le(out, id);
    return e ? 4 + e : 0;
}

size_t hush__nw_pki_entry(uint8_t *out, size_t cap, const char *name, const uint8_t pk[32]) {
    size_t nl;
    if (!pk || !name_len(name, &nl) || cap < 1 + nl + 32) return 0;
    out[0] = (uint8_t)nl;
    memcpy(out + 1, name, nl);
    memcpy(out + 1 + nl, pk, 32);
    return 1 + nl + 32;
}

void hush__nw_secagg_header(uint8_t *out, uint32_t round, size_t payload_len) {
    out[0] = HUSH__NW_MAGIC0;
    out[1] = HUSH__NW_MAGIC1;
    out[2] = HUSH_NET_VERSION;
    out[3] = HUSH_NET_SECAGG;
    hush__store32_le(out + 4, (uint32_t)(4 + payload_len));
    hush__store32_le(out + 8, round);
}

int hush__nw_result(uint8_t *out, size_t cap, size_t *written, const char *task, uint32_t round, uint32_t status,
                    uint32_t flags, const uint32_t *values, uint32_t dim) {
    size_t nl;
    if (!name_len(task, &nl) || (!values && dim)) return HUSH_EARG;
    hush__wr w;
    int rc = hush__nw_begin(&w, out, cap, HUSH_NET_RESULT, 1 + nl + 4 + 1 + 4 + 4 + (size_t)dim * 4);
    if (rc) return rc;
    wr_name(&w, task, nl);
    hush__wr_u32(&w, round);
    hush__wr_u8(&w, (uint8_t)status);
    hush__wr_u32(&w, flags);
    hush__wr_u32(&w, dim);
    for (uint32_t i = 0; i < dim; i++) hush__wr_u32(&w, values[i]);
    return hush__nw_finish(&w, written);
}

size_t hush__nw_model_size(const char *task, size_t model_len) {
    return HUSH__NW_HEADER_BYTES + 1 + strlen(task) + 4 + HUSH_FEDERATED_TASK_BYTES + 4 + model_len;
}

int hush__nw_model(uint8_t *out, size_t cap, size_t *written, const char *task, uint32_t round,
                   const uint8_t fl_task[HUSH_FEDERATED_TASK_BYTES], const uint8_t *model, size_t model_len) {
    size_t nl;
    if (!name_len(task, &nl) || !fl_task || !model || !model_len || model_len > UINT32_MAX) return HUSH_EARG;
    hush__wr w;
    int rc = hush__nw_begin(&w, out, cap, HUSH_NET_MODEL, hush__nw_model_size(task, model_len) - HUSH__NW_HEADER_BYTES);
    if (rc) return rc;
    wr_name(&w, task, nl);
    hush__wr_u32(&w, round);
    hush__wr_bytes(&w, fl_task, HUSH_FEDERATED_TASK_BYTES);
    hush__wr_u32(&w, (uint32_t)model_len);
    hush__wr_bytes(&w, model, model_len);
    return hush__nw_finish(&w, written);
}

int hush__nw_decline(uint8_t *out, size_t cap, size_t *written, const char *task, uint32_t round, uint32_t reason) {
    size_t nl;
    if (!name_len(task, &nl)) return HUSH_EARG;
    hush__wr w;
    int rc = hush__nw_begin(&w, out, cap, HUSH_NET_DECLINE, 1 + nl + 8);
    if (rc) return rc;
    wr_name(&w, task, nl);
    hush__wr_u32(&w, round);
    hush__wr_u32(&w, reason);
    return hush__nw_finish(&w, written);
}
