/* FL encodings (hush/fl.h): clipping, quantisation round trip within the stated bound, weighted
 * FedAvg through a real secure-aggregation round equals the plaintext weighted average within
 * the bound, distributed DP noise has the promised variance and the accountant's epsilon. */
#include <math.h>

#include "check.h"
#include "hush.h"
#include "hush/fl.h"
#include "hush/secagg.h"

static void test_clip(void) {
    float x[4] = {3, 4, 0, 0};
    double nrm;
    CHECK_OK(hush_fl_clip_l2(x, 4, &nrm, 1.0));
    CHECK_NEAR(nrm, 5.0, 1e-12);
    CHECK_NEAR(x[0], 0.6, 1e-6);
    CHECK_NEAR(x[1], 0.8, 1e-6);
    CHECK(sqrt((double)x[0] * x[0] + (double)x[1] * x[1]) <= 1.0);
    float y[3] = {-2, 0.5f, 9};
    size_t k;
    CHECK_OK(hush_fl_clip_range(y, 3, &k, -1, 1));
    CHECK(k == 2 && y[0] == -1 && y[1] == 0.5f && y[2] == 1);
    CHECK_RC(hush_fl_clip_l2(x, 4, NULL, 0), HUSH_EARG);
}

static void test_quant(void) {
    hush_fl_quant q;
    CHECK_OK(hush_fl_quant_init(&q, 16, 10, 1.0, 0));
    CHECK_NEAR(q.scale, (32767.0 - 10) / 10, 1e-9);
    CHECK_RC(hush_fl_quant_init(&q, 4, 10, 1.0, 0), HUSH_ERANGE);
    CHECK_OK(hush_fl_quant_init(&q, 16, 10, 1.0, 0));
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 5));
    enum { D = 1000 };
    float x[D], back[D];
    uint32_t v[D], sum[D] = {0};
    double plain[D] = {0};
    for (int c = 0; c < 10; c++) {
        for (int i = 0; i < D; i++) x[i] = (float)(c % 2 ? 1.0 : -1.0) * (float)((i * 37 + c * 11) % 1000) / 1000.0f;
        CHECK_OK(hush_fl_quantize(&q, &rng, v, x, D));
        for (int i = 0; i < D; i++) {
            sum[i] = (sum[i] + v[i]) & 0xffff;
            plain[i] += x[i];
        }
        if (c == 0) { /* single round trip: < 1 unit */
            CHECK_OK(hush_fl_dequantize(&q, back, v, D));
            double worst = 0;
            for (int i = 0; i < D; i++) worst = fmax(worst, fabs(back[i] - x[i]));
            CHECK_MSG(worst < 1.0 / q.scale + 1e-6, "round trip error %g > %g", worst, 1.0 / q.scale);
        }
    }
    /* worst case: all ten at +bound does not wrap */
    CHECK_OK(hush_fl_dequantize(&q, back, sum, D));
    double worst = 0, mean_err = 0;
    for (int i = 0; i < D; i++) {
        worst = fmax(worst, fabs(back[i] - plain[i]));
        mean_err += back[i] - plain[i];
    }
    CHECK_MSG(worst < 10.0 / q.scale + 1e-5, "sum error %g", worst);
    CHECK(fabs(mean_err / D) < 1.0 / q.scale); /* stochastic rounding is unbiased */
    float big[1] = {1.0f};
    uint32_t acc = 0, one;
    for (int c = 0; c < 10; c++) {
        CHECK_OK(hush_fl_quantize(&q, &rng, &one, big, 1));
        acc = (acc + one) & 0xffff;
    }
    CHECK_OK(hush_fl_dequantize(&q, back, &acc, 1));
    CHECK_NEAR(back[0], 10.0, 10.0 / q.scale);
    big[0] = 1.5f;
    CHECK_RC(hush_fl_quantize(&q, &rng, &one, big, 1), HUSH_ERANGE);
    big[0] = NAN;
    CHECK_RC(hush_fl_quantize(&q, &rng, &one, big, 1), HUSH_ENUMERIC);
    hush_rng_clear(&rng);
}

static void test_fedavg_secagg(void) {
    enum { N = 5, D = 64 };
    hush_secagg_config cfg;
    CHECK_OK(hush_secagg_config_init(&cfg, N, 4, 1, D + 1));
    hush_fl_quant q;
    CHECK_OK(hush_fl_quant_init(&q, 32, N, 10.0, 0));
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 9));
    static uint32_t x[N * (D + 1)];
    double num[D] = {0}, den = 0;
    const double w[N] = {1, 3, 0.5, 2, 7};
    for (int c = 0; c < N; c++) {
        float u[D];
        for (int i = 0; i < D; i++) u[i] = (float)sin(i * 0.3 + c);
        CHECK_OK(hush_fl_fedavg_encode(&q, &rng, x + c * (D + 1), u, D, w[c]));
        for (int i = 0; i < D; i++) num[i] += w[c] * u[i];
        den += w[c];
    }
    uint32_t sum[D + 1];
    hush_secagg_stats st;
    CHECK_OK(hush_secagg_run(&cfg, &rng, &st, sum, D + 1, NULL, 0, x, N * (D + 1), NULL, 0, NULL, NULL));
    CHECK(st.survivors == N);
    float avg[D];
    double tw;
    CHECK_OK(hush_fl_fedavg_decode(&q, avg, &tw, sum, D));
    CHECK_NEAR(tw, den, N / q.scale);
    /* |sum(wu)_q - sum(wu)| < N/s and |W_q - W| < N/s, so the error of the ratio is bounded: */
    double e = N / q.scale, worst = 0, bound = 0;
    for (int i = 0; i < D; i++) {
        worst = fmax(worst, fabs(avg[i] - num[i] / den));
        bound = fmax(bound, (e + fabs(num[i] / den) * e) / (den - e) + 1e-6 * fabs(num[i] / den) + 1e-7);
    }
    CHECK_MSG(worst <= bound, "fedavg error %g > bound %g", worst, bound);
    hush_rng_clear(&rng);
}

static void test_ddp(void) {
    hush_fl_ddp d;
    hush_fl_quant q;
    enum { N = 20, D = 2000 };
    CHECK_OK(hush_fl_ddp_init(&d, &q, 20, N, D, 1.0, 1.0));
    CHECK(d.sigma >= d.noise_multiplier * d.sensitivity);
    CHECK(d.sigma < d.noise_multiplier * d.sensitivity * 1.001 + 1e-3);
    /* no wrap even at 12 sigma: the budget is respected */
    CHECK(N * (q.bound * q.scale + 1) + 12 * sqrt((double)N) * d.sigma < ldexp(1.0, 19));
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 77));
    static float x[D];
    static uint32_t v[D];
    for (int i = 0; i < D; i++) x[i] = 0;
    CHECK_OK(hush_fl_ddp_encode(&d, &rng, &q, v, x, D));
    double s2 = 0, mean = 0;
    for (int i = 0; i < D; i++) {
        double e = v[i] >= (1u << 19) ? (double)v[i] - (1 << 20) : (double)v[i];
        s2 += e * e;
        mean += e;
    }
    double var = s2 / D;
    CHECK_MSG(fabs(var / (d.sigma * d.sigma) - 1) < 0.12, "empirical var %g vs sigma^2 %g", var, d.sigma * d.sigma);
    CHECK(fabs(mean / D) < 4 * d.sigma / sqrt((double)D));
    /* clipping happened: a long vector is scaled to norm 1 before quantisation */
    for (int i = 0; i < D; i++) x[i] = 1;
    CHECK_OK(hush_fl_ddp_encode(&d, &rng, &q, v, x, D));
    double nrm = 0;
    for (int i = 0; i < D; i++) nrm += (double)x[i] * x[i];
    CHECK(sqrt(nrm) <= 1.0);
    /* epsilon: Gaussian mechanism with z = sigma sqrt(s) / Delta; more survivors, less epsilon */
    double e10, e20, ref;
    CHECK_OK(hush_fl_ddp_epsilon(&d, &e10, 10, 1e-5));
    CHECK_OK(hush_fl_ddp_epsilon(&d, &e20, 20, 1e-5));
    CHECK(e20 < e10);
    {
        double orders[HUSH_RDP_DEFAULT_ORDERS_COUNT], rdp[HUSH_RDP_DEFAULT_ORDERS_COUNT] = {0};
        size_t k = hush_rdp_default_orders(orders, HUSH_RDP_DEFAULT_ORDERS_COUNT);
        CHECK_OK(hush_rdp_gaussian(rdp, orders, k, d.sigma * sqrt(20.0) / d.sensitivity, 1));
        CHECK_OK(hush_rdp_epsilon(&ref, NULL, orders, rdp, k, 1e-5, HUSH_DP_CONVERSION_IMPROVED));
    }
    CHECK_NEAR(e20, ref, 1e-12);
    CHECK(e20 > 0.5 && e20 < 2.0); /* z_eff = sqrt(20) ~ 4.5 gives epsilon about 1 at 1e-5 */
    CHECK_RC(hush_fl_ddp_epsilon(&d, &e10, 0, 1e-5), HUSH_EARG);
    CHECK_RC(hush_fl_ddp_init(&d, &q, 8, 1000, D, 1.0, 1.0), HUSH_ERANGE);
    hush_rng_clear(&rng);
}

int main(void) {
    if (hush_init() != HUSH_OK) return 1;
    test_clip();
    test_quant();
    test_fedavg_secagg();
    test_ddp();
    CHECK_SUMMARY();
}
