/* `hush pate`: PATE aggregation of teacher votes and its privacy analysis.
 *
 *   hush pate analyze --votes FILE [--indices FILE] --noise-eps E --delta D [--moments 8] [--json]
 *   hush pate analyze --votes FILE [--indices FILE] --smooth-sensitivity --sigma S
 *                     [--threshold T --sigma1 S1] --sigma-ss SS [--beta B] [--order L]
 *                     [--delta D] [--classes K] [--seed S] [--conversion classic|improved] [--json]
 *   hush pate aggregate --votes FILE --mechanism lnmax|gnmax|confident
 *                       (--noise-eps E | --sigma S [--threshold T --sigma1 S1]) --seed S
 *                       [--delta D] [--classes K] [--conversion classic|improved] [--json]
 *
 * The votes file is CSV: one row per teacher, one column per example, integer labels 0..K-1. The
 * indices file lists answered example indices (commas or whitespace). Both are parsed here with a
 * line number on every error (exit 1). analyze follows PySyft 0.2's perform_analysis; aggregate
 * draws its noise from the sub-stream "pate" of the seed and reports the data-independent epsilon
 * (safe to publish) and the data-dependent one (which itself depends on the votes: publishing it
 * needs smooth sensitivity). analyze --smooth-sensitivity does that: the 2018 GNMax /
 * Confident-GNMax analysis (--indices = the answered examples, default all; the threshold check
 * is paid by every example) released with hush_pate_release_gnmax, its noise from the sub-stream
 * "pate-ss" of the seed; it adds smooth_sensitivity and released_data_dependent_eps.
 * --conversion picks the RDP -> (eps, delta) conversion of the 2018 analysis (GNMax and
 * Confident-GNMax): classic by default, as the paper's code; improved is the tighter bound. The
 * smooth-sensitivity release keeps the paper's classic conversion at its fixed order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const pate_flags[] = {"json", "smooth-sensitivity", NULL};

/* --conversion classic|improved (default classic) into *out; CLI_EXIT_USAGE on anything else. */
static int parse_conversion(cli_args *a, int *out, const char **name) {
    *name = cli_str(a, "conversion", "classic");
    if (!strcmp(*name, "classic")) *out = HUSH_DP_CONVERSION_CLASSIC;
    else if (!strcmp(*name, "improved")) *out = HUSH_DP_CONVERSION_IMPROVED;
    else {
        cli_error("unknown --conversion '%s' (classic or improved)", *name);
        return CLI_EXIT_USAGE;
    }
    return 0;
}


static void json_num(const char *key, double v) {
    if (!isfinite(v)) {
        printf(",\"%s\":null", key);
        return;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    printf(",\"%s\":%s", key, buf);
}

static int parse_failed(const char *path, int st, const hush_parse_error *err) {
    if (err->line)
        cli_error("%s:%zu: %s (%s)", path, err->line, err->msg[0] ? err->msg : hush_strerror(st), hush_status_name(st));
    else
        cli_error("%s: %s (%s)", path, err->msg[0] ? err->msg : hush_strerror(st), hush_status_name(st));
    return CLI_EXIT_FAIL;
}

/* Votes file -> row-major teachers x examples (parsed by hush_votes_parse, core/src/io/votes.c). */
static int load_votes(const char *path, uint32_t **votes, size_t *teachers, size_t *examples, uint32_t *max_label) {
    size_t len = 0;
    char *buf = (char *)cli_read_file(path, &len);
    if (!buf) return CLI_EXIT_FAIL;
    hush_parse_error err;
    int st = hush_votes_parse(NULL, 0, teachers, examples, max_label, buf, len, &err);
    uint32_t *v = NULL;
    if (st == HUSH_OK) {
        v = malloc(*teachers * *examples * sizeof *v);
        st = v ? hush_votes_parse(v, *teachers * *examples, teachers, examples, max_label, buf, len, &err) : HUSH_ENOMEM;
    }
    free(buf);
    if (st != HUSH_OK) {
        free(v);
        return parse_failed(path, st, &err);
    }
    *votes = v;
    return 0;
}

static int load_indices(const char *path, uint32_t **out, size_t *n_out, size_t examples) {
    size_t len = 0;
    char *buf = (char *)cli_read_file(path, &len);
    if (!buf) return CLI_EXIT_FAIL;
    hush_parse_error err;
    int st = hush_indices_parse(NULL, 0, n_out, examples, buf, len, &err);
    uint32_t *v = NULL;
    if (st == HUSH_OK) {
        v = malloc((*n_out ? *n_out : 1) * sizeof *v);
        st = v ? hush_indices_parse(v, *n_out, n_out, examples, buf, len, &err) : HUSH_ENOMEM;
    }
    free(buf);
    if (st != HUSH_OK) {
        free(v);
        return parse_failed(path, st, &err);
    }
    *out = v;
    return 0;
}

/* The votes and, when a path is given, the answered indices that the analyses read. */
static int load_analysis_inputs(const char *vpath, const char *ipath, uint32_t **votes, size_t *T, size_t *E,
                                uint32_t *mx, uint32_t **idx, size_t *n_idx) {
    int rc = load_votes(vpath, votes, T, E, mx);
    if (rc || !ipath) return rc;
    if ((rc = load_indices(ipath, idx, n_idx, *E))) {
        free(*votes);
        *votes = NULL;
    }
    return rc;
}

static int fail_status(const char *what, int st) {
    cli_error("%s: %s (%s)", what, hush_strerror(st), hush_status_name(st));
    return CLI_EXIT_FAIL;
}

/* analyze --smooth-sensitivity: the 2018 analysis with its data-dependent epsilon released. */
static int analyze_ss(cli_args *a, int json) {
    const char *vpath = cli_str(a, "votes", NULL), *ipath = cli_str(a, "indices", NULL);
    int has_thr = cli_str(a, "threshold", NULL) != NULL, has_s1 = cli_str(a, "sigma1", NULL) != NULL;
    double sigma, thr, s1, delta, beta, sigma_ss, order;
    uint64_t seed, classes;
    int rc, conv;
    const char *conv_name;
    if ((rc = parse_conversion(a, &conv, &conv_name)) || (rc = cli_f64(a, "sigma", 0.0, 0.0, 1e7, &sigma)) ||
        (rc = cli_f64(a, "threshold", 0.0, -1e12, 1e12, &thr)) ||
        (rc = cli_f64(a, "sigma1", 0.0, 0.0, 1e7, &s1)) || (rc = cli_f64(a, "delta", 1e-5, 1e-300, 0.999999, &delta)) ||
        (rc = cli_f64(a, "beta", 0.0, 0.0, 1e3, &beta)) || (rc = cli_f64(a, "sigma-ss", 0.0, 0.0, 1e6, &sigma_ss)) ||
        (rc = cli_f64(a, "order", 0.0, 0.0, 1e6, &order)) || (rc = cli_u64(a, "seed", 1, 0, UINT64_MAX, &seed)) ||
        (rc = cli_u64(a, "classes", 0, 0, HUSH_VOTES_MAX_LABEL, &classes)) || (rc = cli_done(a)))
        return rc;
    if (!vpath || !(sigma > 0) || !(sigma_ss >= 0.01) || has_thr != has_s1 || (has_s1 && !(s1 > 0)) ||
        (order != 0.0 && !(order > 1.0))) {
        cli_error("pate analyze --smooth-sensitivity needs --votes FILE, --sigma S > 0, --sigma-ss SS >= 0.01, "
                  "--threshold and --sigma1 > 0 together, and --order > 1 if given");
        return CLI_EXIT_USAGE;
    }
    uint32_t *votes = NULL, *idx = NULL, mx;
    size_t T, E, n_idx = 0;
    if ((rc = load_analysis_inputs(vpath, ipath, &votes, &T, &E, &mx, &idx, &n_idx))) return rc;
    uint32_t K = classes ? (uint32_t)classes : mx + 1;
    if (K < 2) K = 2;
    int32_t *labels = ipath ? malloc(E * sizeof *labels) : NULL;
    if (mx >= K || (ipath && !labels)) {
        free(votes);
        free(idx);
        free(labels);
        if (mx >= K) cli_error("%s: label %u is not below --classes %u", vpath, mx, K);
        else cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    size_t answered = E;
    if (ipath) { /* the answered examples; repeats mark the same example */
        for (size_t e = 0; e < E; e++) labels[e] = -1;
        for (size_t i = 0; i < n_idx; i++) labels[idx[i]] = 0;
        answered = 0;
        for (size_t e = 0; e < E; e++) answered += labels[e] >= 0;
    }
    hush_rng master, rng;
    memset(&rng, 0, sizeof rng);
    hush_pate_ss_release o;
    double dd = NAN, di = NAN;
    s1 = has_s1 ? s1 : 0.0;
    int st = hush_rng_init_u64(&master, seed);
    if (st == HUSH_OK) st = hush_rng_derive(&rng, &master, "pate-ss");
    if (st == HUSH_OK)
        st = hush_pate_release_gnmax(&rng, &o, votes, T, E, K, labels, thr, s1, sigma, delta, order, beta, sigma_ss,
                                     NULL);
    if (st == HUSH_OK)
        st = hush_pate_analyze_gnmax(&dd, &di, votes, T, E, K, labels, thr, s1, sigma, delta, conv, NULL);
    hush_rng_clear(&master);
    hush_rng_clear(&rng);
    free(votes);
    free(idx);
    free(labels);
    if (st == HUSH_EUNSUPPORTED) {
        cli_error("smooth sensitivity: the paper's conditions C5-C6 fail for sigma %g, %u classes at this order; "
                  "use a larger --sigma or another --order", sigma, K);
        return CLI_EXIT_FAIL;
    }
    if (st == HUSH_ERANGE && beta > 0) {
        cli_error("smooth sensitivity: the order must be below 1 / (2 beta) = %g", 0.5 / beta);
        return CLI_EXIT_FAIL;
    }
    if (st) return fail_status("pate analyze --smooth-sensitivity", st);
    if (json) {
        printf("{\"command\":\"pate-analyze\",\"teachers\":%zu,\"examples\":%zu,\"queries\":%zu,\"classes\":%u,"
               "\"seed\":%llu",
               T, E, answered, K, (unsigned long long)seed);
        json_num("sigma", sigma);
        if (has_s1) {
            json_num("threshold", thr);
            json_num("sigma1", s1);
        }
        json_num("delta", delta);
        printf(",\"conversion\":\"%s\"", conv_name);
        json_num("data_dependent_eps", dd);
        json_num("data_independent_eps", di);
        json_num("order", o.order);
        json_num("beta", o.beta);
        json_num("sigma_ss", sigma_ss);
        json_num("smooth_sensitivity", o.smooth_sensitivity);
        json_num("release_rdp", o.release_rdp);
        json_num("released_data_dependent_eps", o.released_data_dependent_eps);
        printf("}\n");
    } else {
        printf("data-dependent epsilon %.6f (not publishable), data-independent epsilon %.6f (delta %g, %s "
               "conversion)\n",
               dd, di, delta, conv_name);
        printf("order %g, beta %g: smooth sensitivity %.6g, release cost %.6f RDP; released data-dependent epsilon "
               "%.6f\n",
               o.order, o.beta, o.smooth_sensitivity, o.release_rdp, o.released_data_dependent_eps);
    }
    return 0;
}

static int analyze(cli_args *a, int json) {
    const char *vpath = cli_str(a, "votes", NULL), *ipath = cli_str(a, "indices", NULL);
    double eps, delta;
    uint64_t moments;
    int rc;
    if ((rc = cli_f64(a, "noise-eps", 0.0, 0.0, 1e6, &eps)) || (rc = cli_f64(a, "delta", 1e-5, 1e-300, 0.999999, &delta)) ||
        (rc = cli_u64(a, "moments", 8, 1, 1024, &moments)) || (rc = cli_done(a)))
        return rc;
    if (!vpath || !(eps > 0)) {
        cli_error("pate analyze needs --votes FILE and --noise-eps E > 0");
        return CLI_EXIT_USAGE;
    }
    uint32_t *votes = NULL, *idx = NULL, mx;
    size_t T, E, n_idx = 0;
    if ((rc = load_analysis_inputs(vpath, ipath, &votes, &T, &E, &mx, &idx, &n_idx))) return rc;
    double dd, di;
    int st = hush_pate_analyze(&dd, &di, votes, T, E, idx, n_idx, eps, delta, (uint32_t)moments, NULL);
    free(votes);
    free(idx);
    if (st == HUSH_EFORMAT) {
        cli_error("%s: labels must be 0..K-1 with every label used (PySyft counts the distinct labels)", vpath);
        return CLI_EXIT_FAIL;
    }
    if (st) return fail_status("pate analyze", st);
    if (json) {
        printf("{\"command\":\"pate-analyze\",\"teachers\":%zu,\"examples\":%zu,\"queries\":%zu,\"moments\":%llu", T, E,
               ipath ? n_idx : E, (unsigned long long)moments);
        json_num("noise_eps", eps);
        json_num("delta", delta);
        json_num("data_dependent_eps", dd);
        json_num("data_independent_eps", di);
        printf("}\n");
    } else {
        printf("data-dependent epsilon %.6f, data-independent epsilon %.6f (delta %g)\n", dd, di, delta);
    }
    return 0;
}

static int aggregate(cli_args *a, int json) {
    const char *vpath = cli_str(a, "votes", NULL), *mech = cli_str(a, "mechanism", NULL);
    int has_eps = cli_str(a, "noise-eps", NULL) != NULL, has_sigma = cli_str(a, "sigma", NULL) != NULL;
    int has_thr = cli_str(a, "threshold", NULL) != NULL, has_s1 = cli_str(a, "sigma1", NULL) != NULL;
    double eps, sigma, thr, s1, delta;
    uint64_t seed, classes;
    int rc, conv;
    const char *conv_name;
    int has_conv = cli_str(a, "conversion", NULL) != NULL;
    if ((rc = parse_conversion(a, &conv, &conv_name)) || (rc = cli_f64(a, "noise-eps", 0.0, 0.0, 1e6, &eps)) ||
        (rc = cli_f64(a, "sigma", 0.0, 0.0, 1e7, &sigma)) ||
        (rc = cli_f64(a, "threshold", 0.0, -1e12, 1e12, &thr)) || (rc = cli_f64(a, "sigma1", 0.0, 0.0, 1e7, &s1)) ||
        (rc = cli_f64(a, "delta", 1e-5, 1e-300, 0.999999, &delta)) || (rc = cli_u64(a, "seed", 1, 0, UINT64_MAX, &seed)) ||
        (rc = cli_u64(a, "classes", 0, 0, HUSH_VOTES_MAX_LABEL, &classes)) || (rc = cli_done(a)))
        return rc;
    hush_pate_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (!vpath || !mech) {
        cli_error("pate aggregate needs --votes FILE and --mechanism lnmax|gnmax|confident");
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(mech, "lnmax")) {
        cfg.mechanism = HUSH_PATE_LNMAX;
        if (!has_eps || has_sigma || has_thr || has_s1 || has_conv || !(eps > 0)) {
            cli_error("--mechanism lnmax takes --noise-eps E > 0 (only; its analysis is PySyft's moments bound)");
            return CLI_EXIT_USAGE;
        }
    } else if (!strcmp(mech, "gnmax") || !strcmp(mech, "confident")) {
        int conf = mech[0] == 'c';
        cfg.mechanism = conf ? HUSH_PATE_CONFIDENT : HUSH_PATE_GNMAX;
        if (has_eps || !(sigma > 0) || (conf && (!has_thr || !(s1 > 0))) || (!conf && (has_thr || has_s1))) {
            cli_error(conf ? "--mechanism confident takes --sigma S --threshold T --sigma1 S1"
                           : "--mechanism gnmax takes --sigma S (only)");
            return CLI_EXIT_USAGE;
        }
    } else {
        cli_error("unknown --mechanism '%s' (lnmax, gnmax or confident)", mech);
        return CLI_EXIT_USAGE;
    }
    cfg.noise_eps = eps;
    cfg.sigma = sigma;
    cfg.threshold = thr;
    cfg.sigma1 = s1;
    uint32_t *votes = NULL, mx;
    size_t T, E;
    if ((rc = load_votes(vpath, &votes, &T, &E, &mx))) return rc;
    uint32_t K = classes ? (uint32_t)classes : mx + 1;
    if (K < 2) K = 2;
    if (mx >= K) {
        free(votes);
        cli_error("%s: label %u is not below --classes %u", vpath, mx, K);
        return CLI_EXIT_FAIL;
    }
    int32_t *labels = malloc(E * sizeof *labels);
    hush_rng master, rng;
    memset(&rng, 0, sizeof rng);
    size_t answered = 0;
    double di = NAN, dd = NAN;
    int st = labels ? hush_rng_init_u64(&master, seed) : HUSH_ENOMEM;
    if (st == HUSH_OK) st = hush_rng_derive(&rng, &master, "pate");
    if (st == HUSH_OK) st = hush_pate_aggregate(&rng, labels, &answered, votes, T, E, K, &cfg, NULL);
    if (st == HUSH_OK) {
        if (cfg.mechanism == HUSH_PATE_LNMAX) {
            st = hush_pate_lnmax_epsilon(&di, E, eps, delta, 8);
            double unused;
            /* data-dependent only where PySyft's label convention holds */
            if (st == HUSH_OK && hush_pate_analyze(&dd, &unused, votes, T, E, NULL, 0, eps, delta, 8, NULL) != HUSH_OK)
                dd = NAN;
        } else {
            st = hush_pate_analyze_gnmax(&dd, &di, votes, T, E, K, labels, thr,
                                         cfg.mechanism == HUSH_PATE_CONFIDENT ? s1 : 0.0, sigma, delta, conv, NULL);
        }
    }
    hush_rng_clear(&master);
    hush_rng_clear(&rng);
    free(votes);
    if (st) {
        free(labels);
        return fail_status("pate aggregate", st);
    }
    if (json) {
        printf("{\"command\":\"pate-aggregate\",\"mechanism\":\"%s\",\"teachers\":%zu,\"examples\":%zu,\"classes\":%u,"
               "\"answered\":%zu,\"seed\":%llu",
               mech, T, E, K, answered, (unsigned long long)seed);
        json_num("epsilon", di);
        json_num("data_dependent_eps", dd);
        json_num("delta", delta);
        if (cfg.mechanism != HUSH_PATE_LNMAX) printf(",\"conversion\":\"%s\"", conv_name);
        printf(",\"labels\":[");
        for (size_t e = 0; e < E; e++) printf("%s%d", e ? "," : "", (int)labels[e]);
        printf("]}\n");
    } else {
        for (size_t e = 0; e < E; e++) printf("%s%d", e ? "," : "", (int)labels[e]);
        printf("\n%zu of %zu answered; epsilon %.6f (data-independent), %.6f (data-dependent) at delta %g\n", answered,
               E, di, dd, delta);
    }
    free(labels);
    return 0;
}

int cmd_pate(int argc, char **argv) {
    if (argc < 1 || (strcmp(argv[0], "analyze") && strcmp(argv[0], "aggregate"))) {
        cli_error("pate needs a subcommand: analyze or aggregate");
        return CLI_EXIT_USAGE;
    }
    cli_args a;
    int rc = cli_parse(&a, argc - 1, argv + 1, pate_flags);
    if (rc) return rc;
    int json = cli_flag(&a, "json");
    if (argv[0][1] == 'n' && cli_flag(&a, "smooth-sensitivity")) return analyze_ss(&a, json);
    return argv[0][1] == 'n' ? analyze(&a, json) : aggregate(&a, json);
}
