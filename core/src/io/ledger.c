/* The privacy odometer's ledger bytes: see io/ledger.h for the layout. The decoder trusts
 * nothing: lengths are checked before every read, the checksum before any field is used, and
 * every field against its range, so a truncated, corrupted or hostile file gives a status code
 * and never a half-loaded ledger. */
#include "io/ledger.h"

#include <math.h>
#include <sodium.h>
#include <string.h>

#include "io/buf.h"

int hush__ledger_budget_ok(double epsilon, double delta) {
    return epsilon > 0.0 && isfinite(epsilon) && delta > 0.0 && delta < 1.0;
}

static int fin_nonneg(double v) { return v >= 0.0 && isfinite(v); }

int hush__ledger_event_ok(const hush_odometer_event *e) {
    if (!e || e->count < 1 || e->id_len > HUSH_ODOMETER_ID_MAX) return 0;
    switch (e->kind) {
    case HUSH_DP_EVENT_SAMPLED_GAUSSIAN:
        if (!(e->sampling_rate >= 0.0 && e->sampling_rate <= 1.0)) return 0;
        /* fall through */
    case HUSH_DP_EVENT_GAUSSIAN:
    case HUSH_DP_EVENT_LAPLACE:
        return fin_nonneg(e->noise_multiplier);
    case HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM:
        return e->sigma >= 0.5 && isfinite(e->sigma) && e->sensitivity > 0.0 && isfinite(e->sensitivity) &&
               e->parties >= 1 && e->dimension >= 1;
    case HUSH_DP_EVENT_EPSILON_DELTA:
        return fin_nonneg(e->epsilon) && e->delta >= 0.0 && e->delta < 1.0;
    case HUSH_DP_EVENT_RDP_CURVE:
        if (e->n_orders < 1 || e->n_orders > HUSH_ODOMETER_CURVE_MAX) return 0;
        for (uint32_t i = 0; i < e->n_orders; i++)
            if (!(e->orders[i] > 1.0) || !isfinite(e->orders[i]) || !fin_nonneg(e->rdp[i])) return 0;
        return 1;
    default:
        return 0;
    }
}

size_t hush__ledger_entry_bytes(const hush_odometer_event *e) {
    return HUSH__LEDGER_ENTRY_FIXED_BYTES + 16u * e->n_orders + e->id_len;
}

int hush__ledger_encode(uint8_t *out, size_t cap, size_t *written, const hush__ledger_header *h,
                        const hush_odometer_event *ev) {
    size_t need = HUSH__LEDGER_HEADER_BYTES + HUSH__LEDGER_HASH_BYTES;
    for (size_t i = 0; i < h->count; i++) need += hush__ledger_entry_bytes(&ev[i]);
    *written = need;
    if (!out || cap < need) return HUSH_ERANGE;
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    hush__wr w;
    hush__wr_init(&w, out, cap);
    hush__wr_bytes(&w, HUSH__LEDGER_MAGIC, 8);
    hush__wr_u32(&w, HUSH__LEDGER_VERSION);
    hush__wr_u32(&w, (uint32_t)h->kind);
    hush__wr_f64(&w, h->budget_epsilon);
    hush__wr_f64(&w, h->budget_delta);
    hush__wr_u32(&w, (uint32_t)h->count);
    for (size_t i = 0; i < h->count; i++) {
        const hush_odometer_event *e = &ev[i];
        hush__wr_u8(&w, (uint8_t)e->kind);
        hush__wr_u8(&w, (uint8_t)e->id_len);
        hush__wr_u8(&w, (uint8_t)e->n_orders);
        hush__wr_u8(&w, 0);
        hush__wr_u64(&w, e->count);
        hush__wr_f64(&w, e->noise_multiplier);
        hush__wr_f64(&w, e->sampling_rate);
        hush__wr_f64(&w, e->sigma);
        hush__wr_f64(&w, e->sensitivity);
        hush__wr_u32(&w, e->parties);
        hush__wr_u32(&w, e->dimension);
        hush__wr_f64(&w, e->epsilon);
        hush__wr_f64(&w, e->delta);
        for (uint32_t k = 0; k < e->n_orders; k++) {
            hush__wr_f64(&w, e->orders[k]);
            hush__wr_f64(&w, e->rdp[k]);
        }
        hush__wr_bytes(&w, e->id, e->id_len);
    }
    size_t body = w.pos;
    uint8_t hash[HUSH__LEDGER_HASH_BYTES];
    if (w.err || crypto_generichash(hash, sizeof hash, out, body, NULL, 0) != 0) return HUSH_ECRYPTO;
    hush__wr_bytes(&w, hash, sizeof hash);
    return w.err || w.pos != need ? HUSH_ECRYPTO : HUSH_OK; /* unreachable: sized above */
}

int hush__ledger_decode_header(hush__ledger_header *h, const uint8_t *buf, size_t len) {
    if (!h || (!buf && len)) return HUSH_EARG;
    if (len < 8) return HUSH_ETRUNC;
    if (memcmp(buf, HUSH__LEDGER_MAGIC, 8) != 0) return HUSH_EFORMAT;
    if (len < HUSH__LEDGER_HEADER_BYTES + HUSH__LEDGER_HASH_BYTES) return HUSH_ETRUNC;
    hush__rd r;
    hush__rd_init(&r, buf, len);
    (void)hush__rd_bytes(&r, 8);
    if (hush__rd_u32(&r) != HUSH__LEDGER_VERSION) return HUSH_EVERSION;
    /* the checksum first: nothing below is believed before it matches */
    if (hush_init() != HUSH_OK) return HUSH_ECRYPTO;
    size_t body = len - HUSH__LEDGER_HASH_BYTES;
    uint8_t hash[HUSH__LEDGER_HASH_BYTES];
    if (crypto_generichash(hash, sizeof hash, buf, body, NULL, 0) != 0) return HUSH_ECRYPTO;
    if (sodium_memcmp(hash, buf + body, sizeof hash) != 0) return HUSH_ECHECKSUM;
    uint32_t kind = hush__rd_u32(&r);
    double be = hush__rd_f64(&r), bd = hush__rd_f64(&r);
    uint32_t n = hush__rd_u32(&r);
    if (r.err) return HUSH_ETRUNC;
    if (kind != HUSH_ACCOUNTANT_RDP && kind != HUSH_ACCOUNTANT_PLD) return HUSH_EFORMAT;
    if (!hush__ledger_budget_ok(be, bd)) return HUSH_EFORMAT;
    if (n > HUSH_ODOMETER_MAX_EVENTS) return HUSH_ERANGE;
    /* every entry takes at least the fixed part: a count the bytes cannot hold is a lie */
    if ((uint64_t)n * HUSH__LEDGER_ENTRY_FIXED_BYTES > (uint64_t)(body - HUSH__LEDGER_HEADER_BYTES))
        return HUSH_EFORMAT;
    h->kind = (enum hush_accountant_kind)kind;
    h->budget_epsilon = be;
    h->budget_delta = bd;
    h->count = n;
    return HUSH_OK;
}

int hush__ledger_decode_entries(hush_odometer_event *ev, size_t n, const uint8_t *buf, size_t len) {
    if ((!ev && n) || len < HUSH__LEDGER_HEADER_BYTES + HUSH__LEDGER_HASH_BYTES) return HUSH_EARG;
    hush__rd r;
    hush__rd_init(&r, buf, len - HUSH__LEDGER_HASH_BYTES);
    (void)hush__rd_bytes(&r, HUSH__LEDGER_HEADER_BYTES);
    for (size_t i = 0; i < n; i++) {
        hush_odometer_event *e = &ev[i];
        memset(e, 0, sizeof *e);
        uint8_t kind = hush__rd_u8(&r), id_len = hush__rd_u8(&r), m = hush__rd_u8(&r), zero = hush__rd_u8(&r);
        e->kind = (enum hush_dp_event_kind)kind;
        e->id_len = id_len;
        e->n_orders = m;
        e->count = hush__rd_u64(&r);
        e->noise_multiplier = hush__rd_f64(&r);
        e->sampling_rate = hush__rd_f64(&r);
        e->sigma = hush__rd_f64(&r);
        e->sensitivity = hush__rd_f64(&r);
        e->parties = hush__rd_u32(&r);
        e->dimension = hush__rd_u32(&r);
        e->epsilon = hush__rd_f64(&r);
        e->delta = hush__rd_f64(&r);
        if (r.err) return HUSH_ETRUNC;
        if (zero != 0 || m > HUSH_ODOMETER_CURVE_MAX || id_len > HUSH_ODOMETER_ID_MAX) return HUSH_EFORMAT;
        for (uint32_t k = 0; k < m; k++) {
            e->orders[k] = hush__rd_f64(&r);
            e->rdp[k] = hush__rd_f64(&r);
        }
        hush__rd_copy(&r, e->id, id_len);
        if (r.err) return HUSH_ETRUNC;
        if (!hush__ledger_event_ok(e)) return HUSH_EFORMAT;
    }
    if (hush__rd_remaining(&r) != 0) return HUSH_EFORMAT; /* bytes after the last entry */
    return HUSH_OK;
}
