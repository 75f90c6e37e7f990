/* The privacy odometer: a ledger of DP events checked against a budget before each new one
 * (see hush/dp.h for what it composes and how). The ledger and a PLD accountant are allocated
 * at create (load); charging allocates nothing. Every query recomposes the whole ledger: the PLD
 * grids depend on everything in it, and a ledger holds few distinct events (a training run is
 * one event of many steps; identical federated rounds merge inside the accountant). */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "hush/dp.h"
#include "io/ledger.h"

#define MAX_ORDERS (HUSH_RDP_DEFAULT_ORDERS_COUNT + 96)

struct hush_odometer {
    hush_allocator alloc;
    int has_alloc;
    size_t bytes;
    double budget_eps, budget_delta;
    enum hush_accountant_kind kind;
    size_t cap, n;
    hush_odometer_event *ev;
    hush_accountant *pld;
    size_t n_orders;
    double orders[MAX_ORDERS], all[MAX_ORDERS], only[MAX_ORDERS];
};

int hush_odometer_config_init(hush_odometer_config *cfg, double budget_epsilon, double budget_delta) {
    if (!cfg) return HUSH_EARG;
    memset(cfg, 0, sizeof *cfg);
    if (!hush__ledger_budget_ok(budget_epsilon, budget_delta)) return HUSH_EARG;
    cfg->version = HUSH_ODOMETER_CONFIG_VERSION;
    cfg->budget_epsilon = budget_epsilon;
    cfg->budget_delta = budget_delta;
    cfg->accountant = HUSH_ACCOUNTANT_PLD;
    cfg->max_events = 4096;
    cfg->pld_max_bins = HUSH_PLD_DEFAULT_MAX_BINS;
    return HUSH_OK;
}

int hush_odometer_event_init(hush_odometer_event *ev, enum hush_dp_event_kind kind, uint64_t count) {
    if (!ev) return HUSH_EARG;
    memset(ev, 0, sizeof *ev);
    if (count < 1 || kind < HUSH_DP_EVENT_GAUSSIAN || kind > HUSH_DP_EVENT_EPSILON_DELTA) return HUSH_EARG;
    ev->kind = kind;
    ev->count = count;
    return HUSH_OK;
}

static int make(hush_odometer **out, enum hush_accountant_kind kind, double be, double bd, size_t cap,
                size_t bins, const hush_allocator *alloc) {
    *out = NULL;
    if (cap < 1 || cap > HUSH_ODOMETER_MAX_EVENTS) return HUSH_EARG;
    size_t bytes = sizeof(hush_odometer) + cap * sizeof(hush_odometer_event);
    hush_odometer *od = hush__alloc(alloc, bytes);
    if (!od) return HUSH_ENOMEM;
    memset(od, 0, sizeof *od);
    od->bytes = bytes;
    if (alloc) {
        od->alloc = *alloc;
        od->has_alloc = 1;
    }
    od->budget_eps = be;
    od->budget_delta = bd;
    od->kind = kind;
    od->cap = cap;
    od->ev = (hush_odometer_event *)(od + 1);
    hush_accountant_config ac;
    int rc = hush_accountant_config_init(&ac, HUSH_ACCOUNTANT_PLD);
    if (rc == HUSH_OK) ac.pld_max_bins = bins;
    if (rc == HUSH_OK && kind == HUSH_ACCOUNTANT_PLD) rc = hush_accountant_create(&od->pld, &ac, alloc);
    if (rc != HUSH_OK) {
        hush__free(alloc, od, bytes);
        return rc;
    }
    *out = od;
    return HUSH_OK;
}

int hush_odometer_create(hush_odometer **out, const hush_odometer_config *cfg, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc) || !out) return HUSH_EARG;
    *out = NULL;
    if (!cfg || cfg->version != HUSH_ODOMETER_CONFIG_VERSION) return HUSH_EARG;
    if (!hush__ledger_budget_ok(cfg->budget_epsilon, cfg->budget_delta)) return HUSH_EARG;
    if (cfg->accountant != HUSH_ACCOUNTANT_RDP && cfg->accountant != HUSH_ACCOUNTANT_PLD) return HUSH_EARG;
    if (cfg->pld_max_bins < ((size_t)1 << 10) || cfg->pld_max_bins > ((size_t)1 << 20)) return HUSH_EARG;
    return make(out, cfg->accountant, cfg->budget_epsilon, cfg->budget_delta, cfg->max_events, cfg->pld_max_bins,
                alloc);
}

void hush_odometer_free(hush_odometer *od) {
    if (!od) return;
    hush_allocator al = od->alloc;
    const hush_allocator *a = od->has_alloc ? &al : NULL;
    hush_accountant_free(od->pld);
    hush__free(a, od, od->bytes);
}

size_t hush_odometer_count(const hush_odometer *od) { return od ? od->n : 0; }
double hush_odometer_budget_epsilon(const hush_odometer *od) { return od ? od->budget_eps : NAN; }
double hush_odometer_budget_delta(const hush_odometer *od) { return od ? od->budget_delta : NAN; }

int hush_odometer_entry(const hush_odometer *od, hush_odometer_event *ev, size_t i) {
    if (!od || !ev || i >= od->n) return HUSH_EARG;
    *ev = od->ev[i];
    return HUSH_OK;
}

int hush_odometer_set_budget(hush_odometer *od, double budget_epsilon, double budget_delta) {
    if (!od || !hush__ledger_budget_ok(budget_epsilon, budget_delta)) return HUSH_EARG;
    od->budget_eps = budget_epsilon;
    od->budget_delta = budget_delta;
    return HUSH_OK;
}

static int pld_capable(const hush_odometer_event *e) {
    return e->kind == HUSH_DP_EVENT_GAUSSIAN || e->kind == HUSH_DP_EVENT_SAMPLED_GAUSSIAN ||
           e->kind == HUSH_DP_EVENT_LAPLACE;
}

static int same_id(const hush_odometer_event *a, const hush_odometer_event *b) {
    return a->id_len && a->id_len == b->id_len && memcmp(a->id, b->id, a->id_len) == 0;
}

/* Kairouz, Liu and Steinke 2021, Theorem 1: the sum of n parties' N_Z(0, s^2)^d is
 * (eps^2 / 2)-zCDP for L2 sensitivity D. */
static double ddp_eps(const hush_odometer_event *e) {
    double n = (double)e->parties, s = e->sigma, D = e->sensitivity, d = (double)e->dimension, tau = 0.0;
    const double pi2 = 9.8696044010893586188;
    for (uint32_t k = 1; k < e->parties && k <= 100000; k++) {
        double t = 10.0 * exp(-2.0 * pi2 * s * s * (double)k / (double)(k + 1));
        tau += t;
        if (t < 1e-300) break;
    }
    if (e->parties > 100001) tau += 10.0 * (double)(e->parties - 100001) * exp(-2.0 * pi2 * s * s * 0.5);
    double a = sqrt(D * D / (n * s * s) + 0.5 * tau * d), b = D / (sqrt(n) * s) + tau * sqrt(d);
    return a < b ? a : b;
}

/* Adds event e's RDP at od->orders into curve. */
static int add_rdp(hush_odometer *od, double *curve, const hush_odometer_event *e) {
    size_t n = od->n_orders;
    double c = (double)e->count;
    switch (e->kind) {
    case HUSH_DP_EVENT_GAUSSIAN: return hush_rdp_gaussian(curve, od->orders, n, e->noise_multiplier, c);
    case HUSH_DP_EVENT_SAMPLED_GAUSSIAN:
        return hush_rdp_sampled_gaussian(curve, od->orders, n, e->sampling_rate, e->noise_multiplier, c);
    case HUSH_DP_EVENT_LAPLACE: return hush_rdp_laplace(curve, od->orders, n, e->noise_multiplier, c);
    case HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM: {
        double eps = ddp_eps(e); /* rho = eps^2 / 2: a Gaussian with noise 1 / eps */
        return hush_rdp_gaussian(curve, od->orders, n, eps > 0.0 ? 1.0 / eps : INFINITY, c);
    }
    case HUSH_DP_EVENT_RDP_CURVE:
        for (size_t i = 0; i < n; i++) {
            uint32_t k = 0;
            while (k < e->n_orders && e->orders[k] != od->orders[i]) k++;
            curve[i] += k < e->n_orders ? e->rdp[k] * c : INFINITY;
        }
        return HUSH_OK;
    default: return HUSH_OK;
    }
}

static void add_order(hush_odometer *od, double a) {
    for (size_t i = 0; i < od->n_orders; i++)
        if (od->orders[i] == a) return;
    if (od->n_orders < MAX_ORDERS) od->orders[od->n_orders++] = a;
}

/* epsilon at delta of the ledger plus `extra` (may be NULL): *lower <= eps <= *upper. */
static int spend(hush_odometer *od, double *lower, double *upper, const hush_odometer_event *extra, double delta) {
    const hush_odometer_event *list[2] = {od->ev, extra};
    size_t counts[2] = {od->n, extra ? 1 : 0};
    double eps0 = 0.0, del0 = 0.0;
    int any_pld = 0, any_rdp_only = 0;
    od->n_orders = hush_rdp_default_orders(od->orders, MAX_ORDERS);
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            const hush_odometer_event *e = &list[l][i];
            if (e->kind == HUSH_DP_EVENT_EPSILON_DELTA) {
                eps0 += e->epsilon * (double)e->count;
                del0 += e->delta * (double)e->count;
            } else if (pld_capable(e)) {
                any_pld = 1;
            } else {
                any_rdp_only = 1;
            }
            if (e->kind == HUSH_DP_EVENT_RDP_CURVE)
                for (uint32_t k = 0; k < e->n_orders; k++) add_order(od, e->orders[k]);
        }
    *lower = 0.0;
    *upper = INFINITY;
    if (del0 >= delta) return HUSH_OK; /* the (epsilon, delta) results alone use up delta */
    double rem = delta - del0;
    memset(od->all, 0, sizeof od->all);
    memset(od->only, 0, sizeof od->only);
    int rc = HUSH_OK;
    if (od->pld) hush_accountant_reset(od->pld);
    for (int l = 0; l < 2 && rc == HUSH_OK; l++)
        for (size_t i = 0; i < counts[l] && rc == HUSH_OK; i++) {
            const hush_odometer_event *e = &list[l][i];
            if (e->kind == HUSH_DP_EVENT_EPSILON_DELTA) continue;
            rc = add_rdp(od, od->all, e);
            if (rc == HUSH_OK && !pld_capable(e)) rc = add_rdp(od, od->only, e);
            if (rc == HUSH_OK && pld_capable(e) && od->pld) {
                hush_dp_event de = {e->kind, e->noise_multiplier, e->sampling_rate, NULL, NULL, 0};
                rc = hush_accountant_compose(od->pld, &de, e->count);
            }
        }
    if (rc != HUSH_OK) return rc;
    double e_rdp;
    if ((rc = hush_rdp_epsilon(&e_rdp, NULL, od->orders, od->all, od->n_orders, rem, HUSH_DP_CONVERSION_IMPROVED)))
        return rc;
    double best = e_rdp;
    if (od->pld && any_pld) {
        double lo, hi;
        if ((rc = hush_accountant_epsilon_bounds(od->pld, &lo, &hi, rem))) return rc;
        *lower = lo;
        if (!any_rdp_only) {
            if (hi < best) best = hi;
        } else { /* basic composition of the PLD part and the RDP-only part, delta split */
            static const double split[] = {0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 1e-3, 0.8, 0.9, 0.99};
            for (size_t k = 0; k < sizeof split / sizeof split[0]; k++) {
                double ep, er;
                if ((rc = hush_accountant_epsilon(od->pld, &ep, NULL, rem * (1.0 - split[k])))) return rc;
                if ((rc = hush_rdp_epsilon(&er, NULL, od->orders, od->only, od->n_orders, rem * split[k],
                                           HUSH_DP_CONVERSION_IMPROVED)))
                    return rc;
                if (ep + er < best) best = ep + er;
            }
        }
    }
    *upper = eps0 + best;
    if (*lower > *upper) *lower = *upper;
    return HUSH_OK;
}

static int has_id(const hush_odometer *od, const hush_odometer_event *ev) {
    for (size_t i = 0; ev->id_len && i < od->n; i++)
        if (same_id(&od->ev[i], ev)) return 1;
    return 0;
}

int hush_odometer_would_spend(hush_odometer *od, double *lower, double *upper, const hush_odometer_event *ev) {
    if (!od || !lower || !upper || (ev && !hush__ledger_event_ok(ev))) return HUSH_EARG;
    return spend(od, lower, upper, ev && !has_id(od, ev) ? ev : NULL, od->budget_delta);
}

int hush_odometer_spent(hush_odometer *od, double *lower, double *upper, double delta) {
    if (!od || !lower || !upper || !(delta > 0.0 && delta < 1.0)) return HUSH_EARG;
    return spend(od, lower, upper, NULL, delta);
}

int hush_odometer_charge(hush_odometer *od, int *charged, const hush_odometer_event *ev) {
    if (!od || !charged || !hush__ledger_event_ok(ev)) return HUSH_EARG;
    *charged = 0;
    if (has_id(od, ev)) return HUSH_OK;
    if (od->n == od->cap) return HUSH_ERANGE;
    double lo, hi;
    int rc = spend(od, &lo, &hi, ev, od->budget_delta);
    if (rc != HUSH_OK) return rc;
    if (!(hi <= od->budget_eps)) return HUSH_EBUDGET;
    od->ev[od->n++] = *ev;
    *charged = 1;
    return HUSH_OK;
}

int hush_odometer_charge_all(hush_odometer *od, size_t *charged, const hush_odometer_event *events, size_t n) {
    if (!od || !charged || (!events && n)) return HUSH_EARG;
    *charged = 0;
    for (size_t i = 0; i < n; i++)
        if (!hush__ledger_event_ok(&events[i])) return HUSH_EARG;
    /* Append tentatively, measure the whole ledger, and roll back if it is over budget. */
    size_t n0 = od->n;
    for (size_t i = 0; i < n; i++) {
        if (has_id(od, &events[i])) continue;
        if (od->n == od->cap) {
            od->n = n0;
            return HUSH_ERANGE;
        }
        od->ev[od->n++] = events[i];
    }
    if (od->n == n0) return HUSH_OK;
    double lo, hi;
    int rc = spend(od, &lo, &hi, NULL, od->budget_delta);
    if (rc == HUSH_OK && !(hi <= od->budget_eps)) rc = HUSH_EBUDGET;
    if (rc != HUSH_OK) {
        memset(od->ev + n0, 0, (od->n - n0) * sizeof *od->ev);
        od->n = n0;
        return rc;
    }
    *charged = od->n - n0;
    return HUSH_OK;
}

size_t hush_odometer_save_size(const hush_odometer *od) {
    if (!od) return 0;
    size_t n = HUSH__LEDGER_HEADER_BYTES + HUSH__LEDGER_HASH_BYTES;
    for (size_t i = 0; i < od->n; i++) n += hush__ledger_entry_bytes(&od->ev[i]);
    return n;
}

int hush_odometer_save(const hush_odometer *od, uint8_t *out, size_t cap, size_t *written) {
    if (!od || !written || (!out && cap)) return HUSH_EARG;
    hush__ledger_header h = {od->kind, od->budget_eps, od->budget_delta, od->n};
    return hush__ledger_encode(out, cap, written, &h, od->ev);
}

int hush_odometer_load(hush_odometer **out, const uint8_t *buf, size_t len, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc) || !out || (!buf && len)) return HUSH_EARG;
    *out = NULL;
    hush__ledger_header h;
    int rc = hush__ledger_decode_header(&h, buf, len);
    if (rc != HUSH_OK) return rc;
    size_t cap = h.count + 4096;
    if (cap > HUSH_ODOMETER_MAX_EVENTS) cap = HUSH_ODOMETER_MAX_EVENTS;
    if (cap < h.count) cap = h.count;
    hush_odometer *od;
    if ((rc = make(&od, h.kind, h.budget_epsilon, h.budget_delta, cap, HUSH_PLD_DEFAULT_MAX_BINS, alloc)))
        return rc;
    if ((rc = hush__ledger_decode_entries(od->ev, h.count, buf, len)) != HUSH_OK) {
        hush_odometer_free(od);
        return rc;
    }
    od->n = h.count;
    *out = od;
    return HUSH_OK;
}
