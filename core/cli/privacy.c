/* `hush privacy`: privacy accounting for DP-SGD-style training (like TF Privacy's
 * compute_dp_sgd_privacy) and noise calibration for the Gaussian and Laplace mechanisms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const privacy_flags[] = {"json", NULL};

#define MAX_ORDERS 1024

/* JSON has no infinity: an unbounded epsilon is reported as null. */
static void json_num(const char *key, double v, int last) {
    if (!isfinite(v)) {
        printf("\"%s\":null%s", key, last ? "" : ",");
        return;
    }
    /* the shortest of %.15g..%.17g that reads back to the same double */
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    printf("\"%s\":%s%s", key, buf, last ? "" : ",");
}

static int parse_orders(const char *s, double *out, size_t *n) {
    *n = 0;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || !(v > 1.0) || *n == MAX_ORDERS) {
            cli_error("--orders must be a comma-separated list of RDP orders > 1 (at most %d)", MAX_ORDERS);
            return CLI_EXIT_USAGE;
        }
        out[(*n)++] = v;
        s = end;
        if (*s == ',') s++;
        else if (*s) {
            cli_error("--orders must be a comma-separated list of numbers, got '%s'", s);
            return CLI_EXIT_USAGE;
        }
    }
    if (*n == 0) {
        cli_error("--orders is empty");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int mechanism(cli_args *a, const char *mech, int json) {
    double eps, delta, sens;
    int rc;
    if ((rc = cli_f64(a, "epsilon", NAN, 1e-12, 1e6, &eps)) || (rc = cli_f64(a, "sensitivity", 1.0, 1e-300, 1e300, &sens)))
        return rc;
    if (!strcmp(mech, "laplace")) {
        if ((rc = cli_done(a))) return rc;
        if (isnan(eps)) {
            cli_error("privacy --mechanism laplace needs --epsilon E");
            return CLI_EXIT_USAGE;
        }
        double scale;
        if (hush_dp_laplace_scale(&scale, sens, eps) != HUSH_OK) {
            cli_error("cannot calibrate the Laplace mechanism");
            return CLI_EXIT_FAIL;
        }
        if (json) {
            printf("{\"mechanism\":\"laplace\",");
            json_num("epsilon", eps, 0);
            json_num("sensitivity", sens, 0);
            json_num("scale", scale, 1);
            printf("}\n");
        } else {
            printf("Laplace mechanism: scale %.6g for epsilon %g, sensitivity %g\n", scale, eps, sens);
        }
        return 0;
    }
    if (strcmp(mech, "gaussian") != 0) {
        cli_error("unknown --mechanism '%s' (gaussian or laplace)", mech);
        return CLI_EXIT_USAGE;
    }
    if ((rc = cli_f64(a, "delta", NAN, 1e-300, 0.999999, &delta)) || (rc = cli_done(a))) return rc;
    if (isnan(eps) || isnan(delta)) {
        cli_error("privacy --mechanism gaussian needs --epsilon E and --delta D");
        return CLI_EXIT_USAGE;
    }
    double sigma, classic;
    if (hush_dp_gaussian_sigma(&sigma, eps, delta, sens) != HUSH_OK ||
        hush_dp_gaussian_sigma_classic(&classic, eps, delta, sens) != HUSH_OK) {
        cli_error("cannot calibrate the Gaussian mechanism for epsilon %g, delta %g", eps, delta);
        return CLI_EXIT_FAIL;
    }
    if (json) {
        printf("{\"mechanism\":\"gaussian\",");
        json_num("epsilon", eps, 0);
        json_num("delta", delta, 0);
        json_num("sensitivity", sens, 0);
        json_num("sigma", sigma, 0);
        json_num("sigma_classic", classic, 1);
        printf("}\n");
    } else {
        printf("Gaussian mechanism: sigma %.6g (analytic, Balle & Wang 2018); classic bound %.6g%s\n", sigma, classic,
               eps >= 1.0 ? " (the classic bound is only proven for epsilon < 1)" : "");
    }
    return 0;
}

int cmd_privacy(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, privacy_flags);
    if (rc) return rc;
    int json = cli_flag(&a, "json");
    const char *mech = cli_str(&a, "mechanism", NULL);
    if (mech) return mechanism(&a, mech, json);

    double q, sigma, delta;
    uint64_t steps;
    const char *kind = cli_str(&a, "accountant", "rdp");
    const char *conv = cli_str(&a, "conversion", "improved");
    const char *orders_s = cli_str(&a, "orders", NULL);
    if ((rc = cli_f64(&a, "sampling-rate", NAN, 0.0, 1.0, &q)) ||
        (rc = cli_f64(&a, "noise-multiplier", NAN, 0.0, 1e6, &sigma)) ||
        (rc = cli_u64(&a, "steps", 0, 1, (uint64_t)1 << 53, &steps)) ||
        (rc = cli_f64(&a, "delta", NAN, 1e-300, 1.0, &delta)) || (rc = cli_done(&a)))
        return rc;
    if (isnan(q) || isnan(sigma) || steps == 0 || isnan(delta)) {
        cli_error("privacy needs --sampling-rate Q --noise-multiplier S --steps T --delta D "
                  "(or --mechanism gaussian|laplace)");
        return CLI_EXIT_USAGE;
    }
    int is_pld = !strcmp(kind, "pld");
    if (!is_pld && strcmp(kind, "rdp") != 0) {
        cli_error("unknown --accountant '%s' (rdp or pld)", kind);
        return CLI_EXIT_USAGE;
    }
    int conversion;
    if (!strcmp(conv, "improved"))
        conversion = HUSH_DP_CONVERSION_IMPROVED;
    else if (!strcmp(conv, "classic"))
        conversion = HUSH_DP_CONVERSION_CLASSIC;
    else {
        cli_error("unknown --conversion '%s' (improved or classic)", conv);
        return CLI_EXIT_USAGE;
    }
    static double orders[MAX_ORDERS];
    size_t n_orders = 0;
    if (orders_s && (rc = parse_orders(orders_s, orders, &n_orders))) return rc;

    hush_accountant_config opt;
    hush_accountant *acc = NULL;
    rc = hush_accountant_config_init(&opt, is_pld ? HUSH_ACCOUNTANT_PLD : HUSH_ACCOUNTANT_RDP);
    opt.orders = n_orders ? orders : NULL;
    opt.n_orders = n_orders;
    opt.conversion = (enum hush_dp_conversion)conversion;
    if (rc == HUSH_OK) rc = hush_accountant_create(&acc, &opt, NULL);
    if (rc != HUSH_OK) {
        cli_error("cannot create the accountant: %s", hush_strerror(rc));
        return rc == HUSH_EARG ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    }
    hush_dp_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = HUSH_DP_EVENT_SAMPLED_GAUSSIAN;
    ev.noise_multiplier = sigma;
    ev.sampling_rate = q;
    double eps = 0, order = 0, lower = 0;
    rc = hush_accountant_compose(acc, &ev, steps);
    if (rc == HUSH_OK && is_pld) rc = hush_accountant_epsilon_bounds(acc, &lower, &eps, delta);
    if (rc == HUSH_OK && !is_pld) rc = hush_accountant_epsilon(acc, &eps, &order, delta);
    hush_accountant_free(acc);
    if (rc != HUSH_OK) {
        cli_error("accounting failed: %s", hush_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    if (json) {
        printf("{\"accountant\":\"%s\",", is_pld ? "pld" : "rdp");
        json_num("epsilon", eps, 0);
        json_num("delta", delta, 0);
        if (is_pld)
            json_num("epsilon_lower", lower, 0);
        else {
            json_num("order", isfinite(eps) ? order : NAN, 0);
            printf("\"conversion\":\"%s\",", conv);
        }
        printf("\"steps\":%llu,", (unsigned long long)steps);
        json_num("sampling_rate", q, 0);
        json_num("noise_multiplier", sigma, 1);
        printf("}\n");
    } else if (is_pld) {
        printf("DP-SGD with sampling rate %g, noise multiplier %g and %llu steps satisfies (%.6g, %g)-DP "
               "(PLD accountant; the true epsilon is at least %.6g).\n",
               q, sigma, (unsigned long long)steps, eps, delta, lower);
    } else {
        printf("DP-SGD with sampling rate %g, noise multiplier %g and %llu steps satisfies (%.6g, %g)-DP "
               "(RDP accountant, %s conversion, optimal order %g).\n",
               q, sigma, (unsigned long long)steps, eps, delta, conv, order);
    }
    return 0;
}
