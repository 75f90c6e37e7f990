/* The privacy odometer: composition against the accountants, refusal over budget with nothing
 * changed, ids charged once (also across save/load), the hybrid with RDP-only events, the
 * ledger bytes (round trip, every truncation and every flipped byte refused with a status),
 * and fault injection on create and load. */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "hush.h"

static hush_odometer *new_od(double eps, double delta, enum hush_accountant_kind kind) {
    hush_odometer_config c;
    hush_odometer *od = NULL;
    CHECK_OK(hush_odometer_config_init(&c, eps, delta));
    c.accountant = kind;
    CHECK_OK(hush_odometer_create(&od, &c, NULL));
    return od;
}

static hush_odometer_event sgm(double q, double sigma, uint64_t steps, const char *id) {
    hush_odometer_event e;
    if (hush_odometer_event_init(&e, HUSH_DP_EVENT_SAMPLED_GAUSSIAN, steps) != HUSH_OK) memset(&e, 0, sizeof e);
    e.sampling_rate = q;
    e.noise_multiplier = sigma;
    if (id) {
        e.id_len = (uint32_t)strlen(id);
        memcpy(e.id, id, e.id_len);
    }
    return e;
}

static double acc_eps(enum hush_accountant_kind kind, double q, double s, uint64_t steps, double delta) {
    hush_accountant_config c;
    hush_accountant *a = NULL;
    double e = NAN;
    CHECK_OK(hush_accountant_config_init(&c, kind));
    CHECK_OK(hush_accountant_create(&a, &c, NULL));
    hush_dp_event ev = {HUSH_DP_EVENT_SAMPLED_GAUSSIAN, s, q, NULL, NULL, 0};
    CHECK_OK(hush_accountant_compose(a, &ev, steps));
    CHECK_OK(hush_accountant_epsilon(a, &e, NULL, delta));
    hush_accountant_free(a);
    return e;
}

static void test_compose_and_budget(void) {
    hush_odometer *od = new_od(3.0, 1e-5, HUSH_ACCOUNTANT_PLD);
    if (!od) return;
    int charged = -1;
    /* MNIST-like runs of 15 epochs (3516 steps) each: PLD epsilon 0.86 for one */
    hush_odometer_event run = sgm(256.0 / 60000, 1.1, 3516, NULL);
    CHECK_OK(hush_odometer_charge(od, &charged, &run));
    CHECK(charged == 1 && hush_odometer_count(od) == 1);
    double lo, hi;
    CHECK_OK(hush_odometer_spent(od, &lo, &hi, 1e-5));
    CHECK_NEAR(hi, acc_eps(HUSH_ACCOUNTANT_PLD, 256.0 / 60000, 1.1, 3516, 1e-5), 1e-12);
    CHECK(lo <= hi && lo > 0);
    /* two runs compose like one of twice the steps (same PLD, merged) */
    CHECK_OK(hush_odometer_charge(od, &charged, &run));
    CHECK_OK(hush_odometer_spent(od, &lo, &hi, 1e-5));
    CHECK_NEAR(hi, acc_eps(HUSH_ACCOUNTANT_PLD, 256.0 / 60000, 1.1, 7032, 1e-5), 1e-12);
    /* what if: a third costs about 1.6 in total */
    double wlo, whi;
    CHECK_OK(hush_odometer_would_spend(od, &wlo, &whi, &run));
    CHECK_NEAR(whi, acc_eps(HUSH_ACCOUNTANT_PLD, 256.0 / 60000, 1.1, 3 * 3516, 1e-5), 1e-12);
    CHECK(hush_odometer_count(od) == 2);
    /* charge until refused: the refused charge changes nothing, byte for byte */
    int rc = HUSH_OK, n = 2;
    while (rc == HUSH_OK && n < 40) {
        rc = hush_odometer_charge(od, &charged, &run);
        if (rc == HUSH_OK) n++;
    }
    CHECK_RC(rc, HUSH_EBUDGET);
    CHECK(charged == 0);
    CHECK((size_t)n == hush_odometer_count(od));
    CHECK_OK(hush_odometer_spent(od, &lo, &hi, 1e-5));
    CHECK(hi <= 3.0);
    CHECK_OK(hush_odometer_would_spend(od, &wlo, &whi, &run));
    CHECK(whi > 3.0);
    size_t nb = hush_odometer_save_size(od), w;
    uint8_t *a = malloc(nb), *b = malloc(nb);
    CHECK_OK(hush_odometer_save(od, a, nb, &w));
    CHECK_RC(hush_odometer_charge(od, &charged, &run), HUSH_EBUDGET);
    CHECK_OK(hush_odometer_save(od, b, nb, &w));
    CHECK(memcmp(a, b, nb) == 0);
    /* raising the budget lets it through */
    CHECK_OK(hush_odometer_set_budget(od, 10.0, 1e-5));
    CHECK_OK(hush_odometer_charge(od, &charged, &run));
    CHECK(charged == 1);
    CHECK_RC(hush_odometer_set_budget(od, 0.0, 1e-5), HUSH_EARG);
    free(a);
    free(b);
    hush_odometer_free(od);
    /* an RDP odometer spends the RDP epsilon */
    od = new_od(100.0, 1e-5, HUSH_ACCOUNTANT_RDP);
    CHECK_OK(hush_odometer_charge(od, &charged, &run));
    CHECK_OK(hush_odometer_spent(od, &lo, &hi, 1e-5));
    CHECK_NEAR(hi, acc_eps(HUSH_ACCOUNTANT_RDP, 256.0 / 60000, 1.1, 3516, 1e-5), 1e-12);
    CHECK(lo == 0.0);
    hush_odometer_free(od);
}

static void test_ids(void) {
    hush_odometer *od = new_od(50.0, 1e-6, HUSH_ACCOUNTANT_PLD);
    if (!od) return;
    int charged = -1;
    hush_odometer_event r1 = sgm(0.01, 1.0, 100, "task7/round1"), r2 = sgm(0.01, 1.0, 100, "task7/round2");
    CHECK_OK(hush_odometer_charge(od, &charged, &r1));
    CHECK(charged == 1);
    CHECK_OK(hush_odometer_charge(od, &charged, &r1));
    CHECK(charged == 0 && hush_odometer_count(od) == 1);
    double a, b, c, d;
    CHECK_OK(hush_odometer_would_spend(od, &a, &b, &r1)); /* counts once */
    CHECK_OK(hush_odometer_spent(od, &c, &d, 1e-6));
    CHECK(b == d);
    /* across a reload */
    size_t n = hush_odometer_save_size(od), w;
    uint8_t *buf = malloc(n);
    CHECK_OK(hush_odometer_save(od, buf, n, &w));
    CHECK(w == n);
    hush_odometer *re = NULL;
    CHECK_OK(hush_odometer_load(&re, buf, n, NULL));
    if (re) {
        CHECK_OK(hush_odometer_charge(re, &charged, &r1));
        CHECK(charged == 0 && hush_odometer_count(re) == 1);
        CHECK_OK(hush_odometer_charge(re, &charged, &r2));
        CHECK(charged == 1 && hush_odometer_count(re) == 2);
        hush_odometer_event got;
        CHECK_OK(hush_odometer_entry(re, &got, 1));
        CHECK(got.id_len == 12 && memcmp(got.id, "task7/round2", 12) == 0);
        CHECK_RC(hush_odometer_entry(re, &got, 2), HUSH_EARG);
    }
    hush_odometer_free(re);
    free(buf);
    hush_odometer_free(od);
}

static void test_other_events(void) {
    hush_odometer *od = new_od(1000.0, 1e-5, HUSH_ACCOUNTANT_PLD), *rd = new_od(1000.0, 1e-5, HUSH_ACCOUNTANT_RDP);
    if (!od || !rd) return;
    int ch;
    double lo, hi, lo2, hi2;
    /* one party's discrete Gaussian (tau = 0) is a Gaussian of noise sigma / sensitivity in RDP */
    hush_odometer_event dg;
    CHECK_OK(hush_odometer_event_init(&dg, HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM, 3));
    dg.sigma = 40.0;
    dg.sensitivity = 10.0;
    dg.parties = 1;
    dg.dimension = 1000;
    CHECK_OK(hush_odometer_charge(rd, &ch, &dg));
    CHECK_OK(hush_odometer_spent(rd, &lo, &hi, 1e-5));
    hush_accountant_config c;
    hush_accountant *a = NULL;
    CHECK_OK(hush_accountant_config_init(&c, HUSH_ACCOUNTANT_RDP));
    CHECK_OK(hush_accountant_create(&a, &c, NULL));
    hush_dp_event g = {HUSH_DP_EVENT_GAUSSIAN, 4.0, 0, NULL, NULL, 0};
    CHECK_OK(hush_accountant_compose(a, &g, 3));
    double want;
    CHECK_OK(hush_accountant_epsilon(a, &want, NULL, 1e-5));
    CHECK_NEAR(hi, want, 1e-12);
    hush_accountant_free(a);
    /* 100 parties at sigma 4 each: sigma 40 in total, tau = 10 sum e^{-32 pi^2 k/(k+1)} ~ 0 */
    dg.sigma = 4.0;
    dg.parties = 100;
    CHECK_OK(hush_odometer_spent(rd, &lo2, &hi, 1e-5));
    hush_odometer_free(rd);
    rd = new_od(1000.0, 1e-5, HUSH_ACCOUNTANT_RDP);
    CHECK_OK(hush_odometer_charge(rd, &ch, &dg));
    CHECK_OK(hush_odometer_spent(rd, &lo2, &hi2, 1e-5));
    CHECK_NEAR(hi2, want, 1e-9);
    /* (epsilon, delta) results add up by basic composition */
    hush_odometer_event ed;
    CHECK_OK(hush_odometer_event_init(&ed, HUSH_DP_EVENT_EPSILON_DELTA, 2));
    ed.epsilon = 0.5;
    ed.delta = 1e-7;
    CHECK_OK(hush_odometer_charge(od, &ch, &ed));
    CHECK_OK(hush_odometer_spent(od, &lo, &hi, 1e-5));
    CHECK(hi == 1.0 && lo == 0.0);
    CHECK_OK(hush_odometer_spent(od, &lo, &hi, 2e-7)); /* delta used up */
    CHECK(isinf(hi));
    /* a PATE release: RDP at one order only */
    hush_odometer_event pc;
    CHECK_OK(hush_odometer_event_init(&pc, HUSH_DP_EVENT_RDP_CURVE, 1));
    pc.n_orders = 1;
    pc.orders[0] = 8.5;
    pc.rdp[0] = 0.25;
    CHECK_OK(hush_odometer_charge(od, &ch, &pc));
    CHECK_OK(hush_odometer_spent(od, &lo, &hi, 1e-5));
    /* improved conversion at order 8.5 with delta 1e-5 - 2e-7, plus the 1.0 */
    double dl = 1e-5 - 2e-7, conv = 0.25 + log1p(-1 / 8.5) - (log(dl) + log(8.5)) / 7.5;
    CHECK_NEAR(hi, 1.0 + conv, 1e-9);
    /* hybrid: a subsampled Gaussian (PLD) with the curve (RDP) beats RDP alone */
    hush_odometer_event s = sgm(0.01, 1.0, 1000, NULL);
    CHECK_OK(hush_odometer_charge(od, &ch, &s));
    CHECK_OK(rd ? hush_odometer_charge(rd, &ch, &s) : HUSH_OK);
    CHECK_OK(hush_odometer_spent(od, &lo, &hi, 1e-5));
    CHECK(lo <= hi && lo > 0);
    /* invalid events */
    hush_odometer_event bad = s;
    bad.sampling_rate = 1.5;
    CHECK_RC(hush_odometer_charge(od, &ch, &bad), HUSH_EARG);
    bad = pc;
    bad.orders[0] = 1.0;
    CHECK_RC(hush_odometer_charge(od, &ch, &bad), HUSH_EARG);
    bad = s;
    bad.id_len = HUSH_ODOMETER_ID_MAX + 1;
    CHECK_RC(hush_odometer_charge(od, &ch, &bad), HUSH_EARG);
    CHECK_RC(hush_odometer_event_init(&bad, HUSH_DP_EVENT_GAUSSIAN, 0), HUSH_EARG);
    hush_odometer_free(od);
    hush_odometer_free(rd);
}

static void test_bytes(void) {
    hush_odometer *od = new_od(8.0, 1e-6, HUSH_ACCOUNTANT_PLD);
    if (!od) return;
    int ch;
    hush_odometer_event e1 = sgm(0.02, 1.5, 50, "a"), e2;
    CHECK_OK(hush_odometer_event_init(&e2, HUSH_DP_EVENT_RDP_CURVE, 1));
    e2.n_orders = 2;
    e2.orders[0] = 4;
    e2.rdp[0] = 0.1;
    e2.orders[1] = 16;
    e2.rdp[1] = 0.3;
    CHECK_OK(hush_odometer_charge(od, &ch, &e1));
    CHECK_OK(hush_odometer_charge(od, &ch, &e2));
    size_t n = hush_odometer_save_size(od), w = 0;
    uint8_t *buf = malloc(n), *again = malloc(n);
    CHECK_RC(hush_odometer_save(od, buf, n - 1, &w), HUSH_ERANGE);
    CHECK(w == n);
    CHECK_OK(hush_odometer_save(od, buf, n, &w));
    hush_odometer *re = NULL;
    CHECK_OK(hush_odometer_load(&re, buf, n, NULL));
    if (re) {
        CHECK_OK(hush_odometer_save(re, again, n, &w));
        CHECK(memcmp(buf, again, n) == 0);
        CHECK(hush_odometer_budget_epsilon(re) == 8.0 && hush_odometer_budget_delta(re) == 1e-6);
        double a, b, c, d;
        CHECK_OK(hush_odometer_spent(od, &a, &b, 1e-6));
        CHECK_OK(hush_odometer_spent(re, &c, &d, 1e-6));
        CHECK(a == c && b == d);
    }
    hush_odometer_free(re);
    /* every truncation and every flipped bit of every byte is refused */
    int bad_trunc = 0, bad_flip = 0;
    for (size_t k = 0; k < n; k++) {
        hush_odometer *x = NULL;
        int rc = hush_odometer_load(&x, buf, k, NULL);
        bad_trunc += rc == HUSH_OK || x != NULL;
        hush_odometer_free(x);
    }
    for (size_t k = 0; k < n; k++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(again, buf, n);
            again[k] ^= (uint8_t)(1u << bit);
            hush_odometer *x = NULL;
            int rc = hush_odometer_load(&x, again, n, NULL);
            bad_flip += rc == HUSH_OK || x != NULL ||
                        !(rc == HUSH_ECHECKSUM || rc == HUSH_EFORMAT || rc == HUSH_EVERSION);
            hush_odometer_free(x);
        }
    CHECK(bad_trunc == 0 && bad_flip == 0);
    /* specific errors */
    hush_odometer *x = NULL;
    CHECK_RC(hush_odometer_load(&x, buf, 4, NULL), HUSH_ETRUNC);
    memcpy(again, buf, n);
    again[0] = 'X';
    CHECK_RC(hush_odometer_load(&x, again, n, NULL), HUSH_EFORMAT);
    memcpy(again, buf, n);
    again[8] = 2;
    CHECK_RC(hush_odometer_load(&x, again, n, NULL), HUSH_EVERSION);
    memcpy(again, buf, n);
    again[n - 1] ^= 1;
    CHECK_RC(hush_odometer_load(&x, again, n, NULL), HUSH_ECHECKSUM);
    CHECK_RC(hush_odometer_load(&x, buf, 40, NULL), HUSH_ETRUNC);
    CHECK_RC(hush_odometer_load(&x, buf, 80, NULL), HUSH_ECHECKSUM);
    CHECK_RC(hush_odometer_load(NULL, buf, n, NULL), HUSH_EARG);
    free(buf);
    free(again);
    hush_odometer_free(od);
}

static void test_alloc_failure(void) {
    hush_odometer *od = new_od(8.0, 1e-6, HUSH_ACCOUNTANT_PLD);
    int ch;
    hush_odometer_event e = sgm(0.02, 1.5, 50, "a");
    CHECK_OK(hush_odometer_charge(od, &ch, &e));
    size_t n = hush_odometer_save_size(od), w;
    uint8_t *buf = malloc(n);
    CHECK_OK(hush_odometer_save(od, buf, n, &w));
    hush_odometer_free(od);
    for (int which = 0; which < 2; which++)
        for (long fail = 1;; fail++) {
            check_alloc ca = {0, fail, 0, 0};
            hush_allocator al = CHECK_ALLOCATOR(ca);
            hush_odometer *x = NULL;
            hush_odometer_config c;
            CHECK_OK(hush_odometer_config_init(&c, 1.0, 1e-6));
            int rc = which ? hush_odometer_load(&x, buf, n, &al) : hush_odometer_create(&x, &c, &al);
            if (rc == HUSH_OK) {
                hush_odometer_free(x);
                CHECK(ca.live_blocks == 0 && ca.live_bytes == 0);
                break;
            }
            CHECK_RC(rc, HUSH_ENOMEM);
            CHECK(x == NULL && ca.live_blocks == 0);
            if (fail > 10) {
                CHECK(0);
                break;
            }
        }
    free(buf);
    hush_odometer_config c;
    CHECK_RC(hush_odometer_config_init(&c, 0, 1e-6), HUSH_EARG);
    CHECK(c.version == 0);
    hush_odometer *x = NULL;
    CHECK_RC(hush_odometer_create(&x, &c, NULL), HUSH_EARG);
}

int main(void) {
    if (hush_init() != HUSH_OK) return 1;
    test_compose_and_budget();
    test_ids();
    test_other_events();
    test_bytes();
    test_alloc_failure();
    CHECK_SUMMARY();
}
