/* Privacy accountant handle: composes DP events and reports (epsilon, delta).
 *
 * RDP: a vector of RDP values over a fixed order grid; composition adds curves (Mironov 2017),
 * epsilon and delta come from hush_rdp_epsilon / hush_rdp_delta.
 * PLD: the handle keeps the list of distinct events with their counts; the distributions are
 * built at the first query after a change (dp/pld.c chooses every grid from the whole
 * composition, so it cannot be built event by event), for both neighbouring directions
 * ("remove" and "add"), and epsilon(delta) is the larger of the two, delta(epsilon) likewise.
 * Everything is allocated in one block at create; compose and the queries allocate nothing.
 */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "dp/pld.h"
#include "hush/dp.h"

struct hush_accountant {
    enum hush_accountant_kind kind;
    enum hush_dp_conversion conversion;
    int has_alloc;
    hush_allocator alloc;
    size_t bytes;
    /* RDP */
    size_t n_orders;
    double *orders, *rdp;
    /* PLD */
    size_t cap, max_events, n_events;
    hush__pld_event *events;
    hush__pld pess[2], opt[2]; /* [remove, add] */
    double rdp_orders[HUSH_RDP_DEFAULT_ORDERS_COUNT], rdp_curve[HUSH_RDP_DEFAULT_ORDERS_COUNT];
    int built_pess, built_opt;
    hush__pld_work work;
};

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

int hush_accountant_config_init(hush_accountant_config *cfg, enum hush_accountant_kind kind) {
    if (!cfg) return HUSH_EARG;
    memset(cfg, 0, sizeof *cfg);
    if (kind != HUSH_ACCOUNTANT_RDP && kind != HUSH_ACCOUNTANT_PLD) return HUSH_EARG;
    cfg->version = HUSH_ACCOUNTANT_CONFIG_VERSION;
    cfg->kind = kind;
    cfg->orders = NULL;
    cfg->n_orders = 0;
    cfg->conversion = HUSH_DP_CONVERSION_IMPROVED;
    cfg->pld_max_bins = HUSH_PLD_DEFAULT_MAX_BINS;
    cfg->max_events = 256;
    return HUSH_OK;
}

int hush_accountant_create(hush_accountant **out, const hush_accountant_config *cfg, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    if (!cfg || cfg->version != HUSH_ACCOUNTANT_CONFIG_VERSION) return HUSH_EARG;
    const hush_accountant_config o = *cfg;
    if (o.kind != HUSH_ACCOUNTANT_RDP && o.kind != HUSH_ACCOUNTANT_PLD) return HUSH_EARG;
    if (o.conversion != HUSH_DP_CONVERSION_IMPROVED && o.conversion != HUSH_DP_CONVERSION_CLASSIC) return HUSH_EARG;
    if ((o.orders == NULL) != (o.n_orders == 0)) return HUSH_EARG;
    for (size_t i = 0; i < o.n_orders; i++)
        if (!(o.orders[i] > 1.0)) return HUSH_EARG;
    if (o.pld_max_bins < ((size_t)1 << 10) || o.pld_max_bins > ((size_t)1 << 20)) return HUSH_EARG;
    if (o.max_events < 1 || o.max_events > 65536) return HUSH_EARG;

    size_t n_orders = o.orders ? o.n_orders : HUSH_RDP_DEFAULT_ORDERS_COUNT;
    size_t bytes = align8(sizeof(hush_accountant));
    if (o.kind == HUSH_ACCOUNTANT_RDP) {
        if (n_orders > ((size_t)1 << 20)) return HUSH_EARG;
        bytes += 2 * n_orders * sizeof(double);
    } else {
        /* four result distributions of 2 cap, the workspace, the event list (sizes checked
         * above, far from overflowing even a 32-bit size_t) */
        bytes += (8 * o.pld_max_bins + hush__pld_work_doubles(o.pld_max_bins)) * sizeof(double);
        bytes += align8(o.max_events * sizeof(hush__pld_event));
    }
    hush_accountant *a = hush__alloc(alloc, bytes);
    if (!a) return HUSH_ENOMEM;
    memset(a, 0, sizeof *a);
    a->kind = o.kind;
    a->conversion = o.conversion;
    a->bytes = bytes;
    if (alloc) {
        a->alloc = *alloc;
        a->has_alloc = 1;
    }
    char *mem = (char *)a + align8(sizeof(hush_accountant));
    if (o.kind == HUSH_ACCOUNTANT_RDP) {
        a->n_orders = n_orders;
        a->orders = (double *)mem;
        a->rdp = a->orders + n_orders;
        if (o.orders)
            memcpy(a->orders, o.orders, n_orders * sizeof(double));
        else
            (void)hush_rdp_default_orders(a->orders, n_orders);
        memset(a->rdp, 0, n_orders * sizeof(double));
    } else {
        size_t cap = o.pld_max_bins;
        double *d = (double *)mem;
        for (int i = 0; i < 2; i++) {
            hush__pld_init(&a->pess[i], d, cap);
            d += 2 * cap;
            hush__pld_init(&a->opt[i], d, cap);
            d += 2 * cap;
        }
        hush__pld_work_init(&a->work, d, cap);
        d += hush__pld_work_doubles(cap);
        a->events = (hush__pld_event *)d;
        a->cap = cap;
        a->max_events = o.max_events;
    }
    *out = a;
    return HUSH_OK;
}

void hush_accountant_free(hush_accountant *acc) {
    if (!acc) return;
    hush_allocator al = acc->alloc;
    int has = acc->has_alloc;
    hush__free(has ? &al : NULL, acc, acc->bytes);
}

void hush_accountant_reset(hush_accountant *acc) {
    if (!acc) return;
    if (acc->kind == HUSH_ACCOUNTANT_RDP) memset(acc->rdp, 0, acc->n_orders * sizeof(double));
    acc->n_events = 0;
    acc->built_pess = acc->built_opt = 0;
}

static int event_ok(const hush_dp_event *e) {
    switch (e->kind) {
    case HUSH_DP_EVENT_SAMPLED_GAUSSIAN:
        if (!(e->sampling_rate >= 0.0 && e->sampling_rate <= 1.0)) return 0;
        /* fall through */
    case HUSH_DP_EVENT_GAUSSIAN:
    case HUSH_DP_EVENT_LAPLACE:
        return e->noise_multiplier >= 0.0 && !isinf(e->noise_multiplier);
    case HUSH_DP_EVENT_RDP_CURVE:
        return e->orders && e->rdp && e->n_orders;
    case HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM:
    case HUSH_DP_EVENT_EPSILON_DELTA:
        return 1; /* refused below as unsupported here */
    default:
        return 0;
    }
}

static int compose_rdp(hush_accountant *a, const hush_dp_event *e, double count) {
    switch (e->kind) {
    case HUSH_DP_EVENT_GAUSSIAN:
        return hush_rdp_gaussian(a->rdp, a->orders, a->n_orders, e->noise_multiplier, count);
    case HUSH_DP_EVENT_SAMPLED_GAUSSIAN:
        return hush_rdp_sampled_gaussian(a->rdp, a->orders, a->n_orders, e->sampling_rate, e->noise_multiplier,
                                         count);
    case HUSH_DP_EVENT_LAPLACE:
        return hush_rdp_laplace(a->rdp, a->orders, a->n_orders, e->noise_multiplier, count);
    case HUSH_DP_EVENT_RDP_CURVE: {
        /* check first so a bad curve leaves the accountant untouched */
        for (size_t i = 0; i < a->n_orders; i++) {
            size_t j = 0;
            while (j < e->n_orders && e->orders[j] != a->orders[i]) j++;
            if (j == e->n_orders || !(e->rdp[j] >= 0.0)) return HUSH_EARG;
        }
        for (size_t i = 0; i < a->n_orders; i++) {
            size_t j = 0;
            while (e->orders[j] != a->orders[i]) j++;
            a->rdp[i] += e->rdp[j] * count;
        }
        return HUSH_OK;
    }
    default:
        return HUSH_EUNSUPPORTED;
    }
}

static int compose_pld(hush_accountant *a, const hush_dp_event *e, uint64_t count) {
    hush__pld_event pe;
    memset(&pe, 0, sizeof pe);
    switch (e->kind) {
    case HUSH_DP_EVENT_GAUSSIAN: /* the q = 1 case of the subsampled Gaussian */
        pe.kind = HUSH__PLD_SGM;
        pe.q = 1.0;
        break;
    case HUSH_DP_EVENT_SAMPLED_GAUSSIAN:
        pe.kind = HUSH__PLD_SGM;
        pe.q = e->sampling_rate;
        break;
    case HUSH_DP_EVENT_LAPLACE:
        pe.kind = HUSH__PLD_LAPLACE;
        pe.q = 1.0;
        break;
    default:
        return HUSH_EUNSUPPORTED;
    }
    pe.s = e->noise_multiplier;
    if (pe.kind == HUSH__PLD_SGM && pe.q == 0.0) return HUSH_OK; /* no loss */
    /* Gaussians compose into one Gaussian: k steps of noise s are one step of noise s / sqrt(k),
     * 1/s^2 adds up. Merging them keeps the list short and needs no squaring at all. */
    int gauss = pe.kind == HUSH__PLD_SGM && pe.q == 1.0 && pe.s > 0.0;
    for (size_t i = 0; i < a->n_events; i++) {
        hush__pld_event *x = &a->events[i];
        if (gauss && x->kind == HUSH__PLD_SGM && x->q == 1.0 && x->s > 0.0) {
            double prec = 1.0 / (x->s * x->s) + (double)count / (pe.s * pe.s);
            x->s = 1.0 / sqrt(prec);
            x->count = 1;
            a->built_pess = a->built_opt = 0;
            return HUSH_OK;
        }
        if (!gauss && x->kind == pe.kind && x->q == pe.q && x->s == pe.s) {
            if (x->count > UINT64_MAX - count) return HUSH_ERANGE;
            x->count += count;
            a->built_pess = a->built_opt = 0;
            return HUSH_OK;
        }
    }
    if (a->n_events == a->max_events) return HUSH_ERANGE;
    if (gauss) {
        pe.s /= sqrt((double)count);
        count = 1;
    }
    pe.count = count;
    a->events[a->n_events++] = pe;
    a->built_pess = a->built_opt = 0;
    return HUSH_OK;
}

int hush_accountant_compose(hush_accountant *acc, const hush_dp_event *event, uint64_t count) {
    if (!acc || !event || count == 0 || !event_ok(event)) return HUSH_EARG;
    if (acc->kind == HUSH_ACCOUNTANT_RDP) return compose_rdp(acc, event, (double)count);
    return compose_pld(acc, event, count);
}

static void build(hush_accountant *a, int mode) {
    int *built = mode == HUSH__PLD_PESSIMISTIC ? &a->built_pess : &a->built_opt;
    if (*built) return;
    hush__pld *d = mode == HUSH__PLD_PESSIMISTIC ? a->pess : a->opt;
    hush__pld_build(&d[0], a->events, a->n_events, 1, mode, &a->work);
    hush__pld_build(&d[1], a->events, a->n_events, 0, mode, &a->work);
    *built = 1;
}

/* The RDP bound of the PLD accountant's events (improved conversion, default orders): also an
 * upper bound, and the PLD one should never be worse. Where the PLD's grids cannot resolve a
 * loss well (very small q with sigma near 1, where one step's loss spans seven orders of
 * magnitude) the smaller of the two is reported, so a PLD accountant is never looser than RDP. */
static double pld_rdp_epsilon(hush_accountant *a, double delta) {
    size_t n = hush_rdp_default_orders(a->rdp_orders, HUSH_RDP_DEFAULT_ORDERS_COUNT);
    memset(a->rdp_curve, 0, sizeof a->rdp_curve);
    for (size_t i = 0; i < a->n_events; i++) {
        const hush__pld_event *e = &a->events[i];
        int rc = e->kind == HUSH__PLD_LAPLACE
                     ? hush_rdp_laplace(a->rdp_curve, a->rdp_orders, n, e->s, (double)e->count)
                     : hush_rdp_sampled_gaussian(a->rdp_curve, a->rdp_orders, n, e->q, e->s, (double)e->count);
        if (rc != HUSH_OK) return INFINITY;
    }
    double eps = INFINITY;
    if (hush_rdp_epsilon(&eps, NULL, a->rdp_orders, a->rdp_curve, n, delta, HUSH_DP_CONVERSION_IMPROVED) != HUSH_OK)
        return INFINITY;
    return eps;
}

int hush_accountant_epsilon(hush_accountant *acc, double *epsilon, double *order, double delta) {
    if (!acc || !epsilon || !(delta > 0.0 && delta <= 1.0)) return HUSH_EARG;
    if (acc->kind == HUSH_ACCOUNTANT_RDP)
        return hush_rdp_epsilon(epsilon, order, acc->orders, acc->rdp, acc->n_orders, delta, acc->conversion);
    build(acc, HUSH__PLD_PESSIMISTIC);
    double e1 = hush__pld_epsilon(&acc->pess[0], delta), e2 = hush__pld_epsilon(&acc->pess[1], delta);
    double e = e1 > e2 ? e1 : e2, r = pld_rdp_epsilon(acc, delta);
    *epsilon = e < r ? e : r;
    if (order) *order = 0.0;
    return HUSH_OK;
}

int hush_accountant_epsilon_bounds(hush_accountant *acc, double *lower, double *upper, double delta) {
    if (!acc || !lower || !upper || !(delta > 0.0 && delta <= 1.0)) return HUSH_EARG;
    int rc = hush_accountant_epsilon(acc, upper, NULL, delta);
    if (rc != HUSH_OK) return rc;
    if (acc->kind == HUSH_ACCOUNTANT_RDP) {
        *lower = 0.0;
        return HUSH_OK;
    }
    build(acc, HUSH__PLD_OPTIMISTIC);
    double l1 = hush__pld_epsilon_lower(&acc->opt[0], delta), l2 = hush__pld_epsilon_lower(&acc->opt[1], delta);
    double lo = l1 > l2 ? l1 : l2;
    *lower = lo < *upper ? lo : *upper;
    return HUSH_OK;
}

int hush_accountant_delta(hush_accountant *acc, double *delta, double epsilon) {
    if (!acc || !delta || !(epsilon >= 0.0)) return HUSH_EARG;
    if (acc->kind == HUSH_ACCOUNTANT_RDP)
        return hush_rdp_delta(delta, NULL, acc->orders, acc->rdp, acc->n_orders, epsilon, acc->conversion);
    build(acc, HUSH__PLD_PESSIMISTIC);
    double d1 = hush__pld_delta(&acc->pess[0], epsilon), d2 = hush__pld_delta(&acc->pess[1], epsilon);
    *delta = d1 > d2 ? d1 : d2;
    return HUSH_OK;
}

int hush_accountant_rdp(const hush_accountant *acc, const double **orders, const double **rdp, size_t *n_orders) {
    if (!acc || !orders || !rdp || !n_orders) return HUSH_EARG;
    if (acc->kind != HUSH_ACCOUNTANT_RDP) return HUSH_ESTATE;
    *orders = acc->orders;
    *rdp = acc->rdp;
    *n_orders = acc->n_orders;
    return HUSH_OK;
}
