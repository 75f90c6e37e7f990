#define _POSIX_C_SOURCE 200809L
/* The PLD accountant across its promised range against the independent reference of
 * tests/c/pld_ref.h (Laplace inversion of the exact moment generating function; one step in
 * closed form): lower and upper epsilon, their relative error, and the time of one
 * hush_accountant_epsilon_bounds (both directions, both modes).
 *   pld_table [all | Q SIGMA STEPS DELTA]   (prints one row per case) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hush.h"
#include "pld_ref.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int row(double q, double s, unsigned long long T, double d) {
    hush_accountant_config c;
    hush_accountant *a = NULL, *r = NULL;
    if (hush_accountant_config_init(&c, HUSH_ACCOUNTANT_PLD) || hush_accountant_create(&a, &c, NULL)) return 1;
    if (hush_accountant_config_init(&c, HUSH_ACCOUNTANT_RDP) || hush_accountant_create(&r, &c, NULL)) return 1;
    hush_dp_event e = {HUSH_DP_EVENT_SAMPLED_GAUSSIAN, s, q, NULL, NULL, 0};
    double lo = 0, hi = 0, rdp = 0, t0 = now();
    if (hush_accountant_compose(a, &e, T) || hush_accountant_epsilon_bounds(a, &lo, &hi, d)) return 1;
    double t1 = now();
    if (hush_accountant_compose(r, &e, T) || hush_accountant_epsilon(r, &rdp, NULL, d)) return 1;
    double ref = pld_ref_epsilon(q, s, T, d, hi);
    double rel = ref > 0 ? (hi - ref) / ref : hi;
    printf("| %g | %g | %llu | %g | %.6g | %.6g | %.6g | %+.2e | %.6g | %.2f |%s\n", q, s, T, d, lo, hi, ref, rel, rdp,
           t1 - t0, (rel > 2e-3 || hi < ref * (1 - 1e-9) - 1e-12 || lo > ref * (1 + 1e-9) + 1e-12) ? " FAIL" : "");
    fflush(stdout);
    hush_accountant_free(a);
    hush_accountant_free(r);
    return 0;
}

int main(int argc, char **argv) {
    if (hush_init()) return 1;
    printf("| q | sigma | steps | delta | eps lower | eps upper | reference | upper rel. err | RDP | seconds |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|\n");
    if (argc == 5) return row(atof(argv[1]), atof(argv[2]), strtoull(argv[3], NULL, 10), atof(argv[4]));
    static const double qs[] = {1e-5, 1e-3, 0.01, 0.1, 1.0}, ss[] = {0.3, 0.7, 1.0, 2.0, 10.0, 50.0},
                        ds[] = {1e-12, 1e-5, 1e-2};
    static const unsigned long long ts[] = {1, 100, 10000, 1000000, 10000000};
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 6; j++)
            for (size_t k = 0; k < 5; k++)
                for (size_t l = 0; l < 3; l++)
                    if (row(qs[i], ss[j], ts[k], ds[l])) return 1;
    return 0;
}
