#define _POSIX_C_SOURCE 200809L
/* The PLD accountant across its promised range (q in [1e-5, 1], noise multiplier in [0.3, 50],
 * steps in [1, 10^7], delta in [1e-12, 1e-2]) against the independent reference of
 * tests/c/pld_ref.h, one markdown row per case:
 *   lower, upper  hush_accountant_epsilon_bounds (a fresh accountant per (q, sigma, steps))
 *   reference     exact-1: one step in closed form; exact-gauss: q = 1, the Gaussian with noise
 *                 sigma / sqrt(steps) in closed form; inversion: Laplace inversion of the exact
 *                 moment generating function, trusted only when its two independent evaluations
 *                 agree to 1e-5; none: the inversion could not resolve the case (few steps of a
 *                 tiny q: nearly atomic losses) and the row is judged by the bracket alone
 *   rel err       (upper - reference) / reference
 *   width         (upper - lower) / upper: the bracket, a proof that upper is within that of the
 *                 true epsilon (lower <= true <= upper), independent of any reference
 *   cpu s         CPU time of one hush_accountant_epsilon_bounds on a fresh accountant (builds of
 *                 both bounds, both directions, and the refinement when it runs), this process only
 *   verdict       ok-ref: a trusted reference inside the bracket and upper within 2e-3 of it;
 *                 ok-bracket: no trusted reference, bracket width within 2e-3; FAIL otherwise
 *                 (a trusted reference outside the bracket, or upper more than 2e-3 above it, or
 *                 no reference and a wider bracket), and " SLOW" when cpu s >= 2.
 * Epsilon 0 (delta(0) below delta) counts as exact when both agree; tiny epsilons are compared
 * with an absolute floor of 1e-12.
 *   pld_table [all | quick | bracket | Q SIGMA STEPS DELTA...]
 * all: the whole grid (525 rows) against the reference, which takes hours for the rows of tiny q (the Laplace inversion,
 * not the accountant); quick: every third sigma and every other step count against it (135 rows);
 * bracket: the whole grid judged by its bracket alone, which proves the upper value within the
 * width of the true epsilon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hush.h"
#include "pld_ref.h"

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int n_ok_ref, n_ok_bracket, n_fail, n_slow, n_rows;
static int no_ref; /* `bracket`: every row judged by its bracket alone (the reference is the slow part) */
static double worst_rel, worst_width, worst_cpu;

/* all deltas of one (q, sigma, steps), each on a fresh accountant so that its time is that of a
 * first query (builds included) */
static int rows(double q, double s, unsigned long long T, const double *ds, int nd) {
    hush_dp_event e = {HUSH_DP_EVENT_SAMPLED_GAUSSIAN, s, q, NULL, NULL, 0};
    double lo[8], hi[8], cpu[8];
    for (int i = 0; i < nd; i++) {
        hush_accountant_config c;
        hush_accountant *a = NULL;
        if (hush_accountant_config_init(&c, HUSH_ACCOUNTANT_PLD) || hush_accountant_create(&a, &c, NULL)) return 1;
        double t0 = cpu_now();
        if (hush_accountant_compose(a, &e, T) || hush_accountant_epsilon_bounds(a, &lo[i], &hi[i], ds[i])) return 1;
        cpu[i] = cpu_now() - t0;
        hush_accountant_free(a);
    }
    for (int i = 0; i < nd; i++) {
        int trusted = 0;
        const char *kind = T == 1 ? "exact-1" : q == 1.0 ? "exact-gauss" : "inversion";
        double ref = no_ref ? NAN : pld_ref_epsilon_ok(q, s, T, ds[i], hi[i], &trusted);
        if (!trusted) kind = "none";
        double den = ref > 1e-12 ? ref : 1e-12, rel = trusted ? (hi[i] - ref) / den : NAN;
        double width = (hi[i] - lo[i]) / (hi[i] > 1e-12 ? hi[i] : 1e-12);
        const char *verdict;
        if (trusted) {
            int inside = hi[i] >= ref * (1 - 1e-9) - 1e-15 && lo[i] <= ref * (1 + 1e-9) + 1e-15;
            verdict = inside && rel <= 2e-3 ? "ok-ref" : "FAIL";
        } else {
            verdict = width <= 2e-3 ? "ok-bracket" : "FAIL";
        }
        if (!strcmp(verdict, "ok-ref")) n_ok_ref++;
        else if (!strcmp(verdict, "ok-bracket")) n_ok_bracket++;
        else n_fail++;
        if (cpu[i] >= 2.0) n_slow++;
        n_rows++;
        if (trusted && fabs(rel) > worst_rel) worst_rel = fabs(rel);
        if (width > worst_width) worst_width = width;
        if (cpu[i] > worst_cpu) worst_cpu = cpu[i];
        char rs[32] = "-", es[32] = "-";
        if (trusted) {
            snprintf(rs, sizeof rs, "%.9g", ref);
            snprintf(es, sizeof es, "%+.1e", rel);
        }
        printf("| %g | %g | %llu | %g | %.9g | %.9g | %s | %s | %s | %.1e | %.2f | %s%s |\n", q, s, T, ds[i], lo[i], hi[i],
               rs, kind, es, width, cpu[i], verdict, cpu[i] >= 2.0 ? " SLOW" : "");
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (hush_init()) return 1;
    printf("| q | sigma | steps | delta | eps lower | eps upper | reference | ref kind | upper rel err | width | cpu s | verdict |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    static const double ds[] = {1e-12, 1e-5, 1e-2};
    if (argc >= 5) {
        double d[8];
        int nd = 0;
        for (int i = 4; i < argc && nd < 8; i++) d[nd++] = atof(argv[i]);
        return rows(atof(argv[1]), atof(argv[2]), strtoull(argv[3], NULL, 10), d, nd);
    }
    int quick = argc > 1 && !strcmp(argv[1], "quick");
    no_ref = argc > 1 && !strcmp(argv[1], "bracket");
    static const double qs[] = {1e-5, 1e-3, 0.01, 0.1, 1.0}, ss[] = {0.3, 0.5, 0.7, 1.0, 2.0, 10.0, 50.0};
    static const unsigned long long ts[] = {1, 100, 10000, 1000000, 10000000};
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 7; j++)
            for (size_t k = 0; k < 5; k++) {
                if (quick && (j % 3 != 0 || k % 2 != 0)) continue;
                if (rows(qs[i], ss[j], ts[k], ds, 3)) return 1;
            }
    printf("\n%d rows: %d ok against a trusted reference, %d ok by the bracket alone (no trusted reference), "
           "%d FAIL; %d at or above 2 s of CPU. Worst |rel err| %.2e, widest bracket %.2e, slowest %.2f s.\n",
           n_rows, n_ok_ref, n_ok_bracket, n_fail, n_slow, worst_rel, worst_width, worst_cpu);
    return n_fail ? 2 : 0;
}
