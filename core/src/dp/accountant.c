/* Privacy accountant handle: composes DP events and reports (epsilon, delta).
 *
 * RDP: a vector of RDP values over a fixed order grid; composition adds curves (Mironov 2017),
 * epsilon and delta come from hush_rdp_epsilon / hush_rdp_delta.
 * PLD: two privacy loss distributions ("remove" and "add" neighbours, see dp/pld.c) composed by
 * convolution; epsilon(delta) is the larger of the two, delta(epsilon) likewise.
 * Everything is allocated in one block at create, sized by the options; compose allocates
 * nothing. */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "dp/pld.h"
#include "hush/dp.h"

struct hush_accountant {
    int kind;
    int conversion;
    int has_alloc;
    hush_allocator alloc;
    size_t bytes;
    /* RDP */
    size_t n_orders;
    double *orders, *rdp;
    /* PLD */
    double h, tail;
    hush__pld_pmf rem, add, spare, base, res;
    hush__pld_work work;
};

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

int hush_accountant_create(hush_accountant **out, int kind, const hush_accountant_options *opt,
                           const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!out) return HUSH_EARG;
    *out = NULL;
    hush_accountant_options o;
    memset(&o, 0, sizeof o);
    if (opt) o = *opt;
    if (kind != HUSH_ACCOUNTANT_RDP && kind != HUSH_ACCOUNTANT_PLD) return HUSH_EARG;
    if (o.conversion != HUSH_DP_CONVERSION_IMPROVED && o.conversion != HUSH_DP_CONVERSION_CLASSIC) return HUSH_EARG;
    if ((o.orders == NULL) != (o.n_orders == 0)) return HUSH_EARG;
    for (size_t i = 0; i < o.n_orders; i++)
        if (!(o.orders[i] > 1.0)) return HUSH_EARG;
    if (o.pld_discretization == 0.0) o.pld_discretization = 1e-4;
    if (o.pld_tail_mass == 0.0) o.pld_tail_mass = 1e-15;
    if (o.pld_max_bins == 0) o.pld_max_bins = (size_t)1 << 18;
    if (!(o.pld_discretization > 0.0 && o.pld_discretization <= 1.0) ||
        !(o.pld_tail_mass > 0.0 && o.pld_tail_mass < 1e-3) || o.pld_max_bins < 16 || o.pld_max_bins > ((size_t)1 << 22))
        return HUSH_EARG;

    size_t n_orders = o.orders ? o.n_orders : HUSH_RDP_DEFAULT_ORDERS_COUNT;
    size_t bytes = align8(sizeof(hush_accountant)), cap = 0, fft_n = 0;
    if (kind == HUSH_ACCOUNTANT_RDP) {
        if (n_orders > ((size_t)1 << 20)) return HUSH_EARG;
        bytes += 2 * n_orders * sizeof(double);
    } else {
        cap = o.pld_max_bins;
        fft_n = 1;
        while (fft_n < 2 * cap) fft_n <<= 1;
        /* rem, add, spare, base, res: cap each; tmp: 2 cap; fft: 2 fft_n */
        bytes += (5 * cap + 2 * cap + 2 * fft_n) * sizeof(double);
    }
    hush_accountant *a = hush__alloc(alloc, bytes);
    if (!a) return HUSH_ENOMEM;
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->conversion = o.conversion;
    a->bytes = bytes;
    if (alloc) {
        a->alloc = *alloc;
        a->has_alloc = 1;
    }
    double *mem = (double *)((char *)a + align8(sizeof(hush_accountant)));
    if (kind == HUSH_ACCOUNTANT_RDP) {
        a->n_orders = n_orders;
        a->orders = mem;
        a->rdp = mem + n_orders;
        if (o.orders)
            memcpy(a->orders, o.orders, n_orders * sizeof(double));
        else
            (void)hush_rdp_default_orders(a->orders, n_orders);
        memset(a->rdp, 0, n_orders * sizeof(double));
    } else {
        a->h = o.pld_discretization;
        a->tail = o.pld_tail_mass;
        hush__pld_pmf *pm[5] = {&a->rem, &a->add, &a->spare, &a->base, &a->res};
        for (int i = 0; i < 5; i++) {
            pm[i]->p = mem;
            pm[i]->cap = cap;
            mem += cap;
        }
        a->work.tmp = mem;
        mem += 2 * cap;
        a->work.fft = mem;
        a->work.fft_n = fft_n;
        hush__pld_identity(&a->rem);
        hush__pld_identity(&a->add);
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
    default: {
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
    }
}

/* acc = acc * base^count by repeated squaring. */
static int compose_pld_dir(hush_accountant *a, hush__pld_pmf *acc, uint64_t count) {
    hush__pld_identity(&a->res);
    for (;;) {
        int rc;
        if (count & 1) {
            rc = hush__pld_compose(&a->res, &a->res, &a->base, &a->work, a->tail);
            if (rc != HUSH_OK) return rc;
        }
        count >>= 1;
        if (!count) break;
        rc = hush__pld_compose(&a->base, &a->base, &a->base, &a->work, a->tail);
        if (rc != HUSH_OK) return rc;
    }
    return hush__pld_compose(acc, acc, &a->res, &a->work, a->tail);
}

static int compose_pld(hush_accountant *a, const hush_dp_event *e, uint64_t count) {
    /* A failure (HUSH_ERANGE) must leave the accountant as it was. The final convolution into
     * a direction checks the size before writing, so "add" can be composed in place; "remove"
     * is composed into the spare buffer and swapped in once "add" has succeeded too. */
    for (int d = 0; d < 2; d++) {
        int rc;
        if (e->kind == HUSH_DP_EVENT_LAPLACE)
            rc = hush__pld_laplace(&a->base, e->noise_multiplier, a->h);
        else
            rc = hush__pld_sampled_gaussian(&a->base, e->kind == HUSH_DP_EVENT_GAUSSIAN ? 1.0 : e->sampling_rate,
                                            e->noise_multiplier, d == 0, a->h, a->tail);
        if (rc != HUSH_OK) return rc;
        if (d == 0) {
            hush__pld_copy(&a->spare, &a->rem);
            rc = compose_pld_dir(a, &a->spare, count);
        } else {
            rc = compose_pld_dir(a, &a->add, count);
        }
        if (rc != HUSH_OK) return rc;
    }
    hush__pld_pmf t = a->rem;
    a->rem = a->spare;
    a->spare = t;
    return HUSH_OK;
}

int hush_accountant_compose(hush_accountant *acc, const hush_dp_event *event, uint64_t count) {
    if (!acc || !event || count == 0 || !event_ok(event)) return HUSH_EARG;
    if (acc->kind == HUSH_ACCOUNTANT_RDP) return compose_rdp(acc, event, (double)count);
    if (event->kind == HUSH_DP_EVENT_RDP_CURVE) return HUSH_EUNSUPPORTED;
    return compose_pld(acc, event, count);
}

int hush_accountant_epsilon(const hush_accountant *acc, double *epsilon, double *order, double delta) {
    if (!acc || !epsilon || !(delta > 0.0 && delta <= 1.0)) return HUSH_EARG;
    if (acc->kind == HUSH_ACCOUNTANT_RDP)
        return hush_rdp_epsilon(epsilon, order, acc->orders, acc->rdp, acc->n_orders, delta, acc->conversion);
    double e1 = hush__pld_epsilon(&acc->rem, acc->h, delta), e2 = hush__pld_epsilon(&acc->add, acc->h, delta);
    *epsilon = e1 > e2 ? e1 : e2;
    if (order) *order = 0.0;
    return HUSH_OK;
}

int hush_accountant_delta(const hush_accountant *acc, double *delta, double epsilon) {
    if (!acc || !delta || !(epsilon >= 0.0)) return HUSH_EARG;
    if (acc->kind == HUSH_ACCOUNTANT_RDP)
        return hush_rdp_delta(delta, NULL, acc->orders, acc->rdp, acc->n_orders, epsilon, acc->conversion);
    double d1 = hush__pld_delta(&acc->rem, acc->h, epsilon), d2 = hush__pld_delta(&acc->add, acc->h, epsilon);
    *delta = d1 > d2 ? d1 : d2;
    return HUSH_OK;
}

int hush_accountant_rdp(const hush_accountant *acc, const double **orders, const double **rdp, size_t *n) {
    if (!acc || !orders || !rdp || !n) return HUSH_EARG;
    if (acc->kind != HUSH_ACCOUNTANT_RDP) return HUSH_ESTATE;
    *orders = acc->orders;
    *rdp = acc->rdp;
    *n = acc->n_orders;
    return HUSH_OK;
}
