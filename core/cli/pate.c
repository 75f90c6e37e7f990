/* `hush pate`: PATE aggregation of teacher votes and its privacy analysis.
 *
 *   hush pate analyze --votes FILE [--indices FILE] --noise-eps E --delta D [--moments 8] [--json]
 *   hush pate analyze --votes FILE [--indices FILE] --smooth-sensitivity --sigma S
 *                     [--threshold T --sigma1 S1] --sigma-ss SS [--beta B] [--order L]
 *                     [--delta D] [--classes K] [--reproducible-noise [--seed S]]
 *                     [--conversion classic|improved] [--json]
 *   hush pate aggregate --votes FILE --mechanism lnmax|gnmax|confident
 *                       (--noise-eps E | --sigma S [--threshold T --sigma1 S1])
 *                       [--reproducible-noise [--seed S]] [--delta D] [--classes K]
 *                       [--conversion classic|improved] [--json]
 *
 * The votes file is CSV: one row per teacher, one column per example, integer labels 0..K-1. The
 * indices file lists answered example indices (commas or whitespace). Both are parsed in
 * core/src/io/votes.c with a line number on every error (exit 1). What is computed and printed
 * is the core's hush_pate_*_report (core/src/dp/pate_report.c; hush.pate in JS returns the same
 * fields). Noise (aggregate, and the smooth-sensitivity release) comes from the OS CSPRNG; with
 * --reproducible-noise it comes from the sub-stream "pate" ("pate-ss") of --seed (default 1),
 * which anyone who knows the seed can subtract: a warning goes to stderr and the JSON says
 * "private": false. --conversion picks the RDP -> (eps, delta) conversion of the 2018 analysis:
 * classic by default, as the paper's code; improved is the tighter bound. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const pate_flags[] = {"json", "smooth-sensitivity", "reproducible-noise", NULL};

/* --conversion classic|improved (default classic) into *out; CLI_EXIT_USAGE on anything else. */
static int parse_conversion(cli_args *a, enum hush_dp_conversion *out, const char **name) {
    *name = cli_str(a, "conversion", "classic");
    if (!strcmp(*name, "classic")) *out = HUSH_DP_CONVERSION_CLASSIC;
    else if (!strcmp(*name, "improved")) *out = HUSH_DP_CONVERSION_IMPROVED;
    else {
        cli_error("unknown --conversion '%s' (classic or improved)", *name);
        return CLI_EXIT_USAGE;
    }
    return 0;
}


/* The noise source: the OS, or (--reproducible-noise) the named sub-stream of --seed. */
typedef struct noise_src {
    int reproducible;
    uint64_t seed;
} noise_src;

static int parse_noise(cli_args *a, noise_src *n) {
    n->reproducible = cli_flag(a, "reproducible-noise");
    int has_seed = cli_str(a, "seed", NULL) != NULL;
    int rc = cli_u64(a, "seed", 1, 0, UINT64_MAX, &n->seed);
    if (rc) return rc;
    if (has_seed && !n->reproducible) {
        cli_error("--seed makes the noise public: it needs --reproducible-noise (the default noise comes from the OS)");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int noise_rng(hush_rng *rng, const noise_src *n, const char *stream) {
    if (!n->reproducible) return hush_rng_init_random(rng);
    fprintf(stderr, "hush: warning: --reproducible-noise: the noise is derived from seed %llu and anyone who knows it "
                    "can remove it; the result is not private\n",
            (unsigned long long)n->seed);
    hush_rng master;
    int st = hush_rng_init_u64(&master, n->seed);
    if (st == HUSH_OK) st = hush_rng_derive(rng, &master, stream);
    hush_rng_clear(&master);
    return st;
}

static void json_noise(const noise_src *n) {
    printf(",\"private\":%s,\"noise\":\"%s\"", n->reproducible ? "false" : "true", n->reproducible ? "seed" : "os");
    if (n->reproducible) printf(",\"seed\":%llu", (unsigned long long)n->seed);
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

/* Votes file -> row-major teachers x examples (parsed by hush_pate_votes_parse, core/src/io/votes.c). */
static int load_votes(const char *path, uint32_t **votes, size_t *teachers, size_t *examples, uint32_t *max_label) {
    size_t len = 0;
    char *buf = (char *)cli_read_file(path, &len);
    if (!buf) return CLI_EXIT_FAIL;
    hush_parse_error err;
    int st = hush_pate_votes_parse(NULL, 0, teachers, examples, max_label, buf, len, &err);
    uint32_t *v = NULL;
    if (st == HUSH_OK) {
        v = malloc(*teachers * *examples * sizeof *v);
        st = v ? hush_pate_votes_parse(v, *teachers * *examples, teachers, examples, max_label, buf, len, &err)
               : HUSH_ENOMEM;
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
    int st = hush_pate_indices_parse(NULL, 0, n_out, examples, buf, len, &err);
    uint32_t *v = NULL;
    if (st == HUSH_OK) {
        v = malloc((*n_out ? *n_out : 1) * sizeof *v);
        st = v ? hush_pate_indices_parse(v, *n_out, n_out, examples, buf, len, &err) : HUSH_ENOMEM;
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
    uint64_t classes;
    int rc;
    enum hush_dp_conversion conv;
    const char *conv_name;
    noise_src ns;
    if ((rc = parse_conversion(a, &conv, &conv_name)) || (rc = cli_f64(a, "sigma", 0.0, 0.0, 1e7, &sigma)) ||
        (rc = cli_f64(a, "threshold", 0.0, -1e12, 1e12, &thr)) ||
        (rc = cli_f64(a, "sigma1", 0.0, 0.0, 1e7, &s1)) || (rc = cli_f64(a, "delta", 1e-5, 1e-300, 0.999999, &delta)) ||
        (rc = cli_f64(a, "beta", 0.0, 0.0, 1e3, &beta)) || (rc = cli_f64(a, "sigma-ss", 0.0, 0.0, 1e6, &sigma_ss)) ||
        (rc = cli_f64(a, "order", 0.0, 0.0, 1e6, &order)) || (rc = parse_noise(a, &ns)) ||
        (rc = cli_u64(a, "classes", 0, 0, HUSH_PATE_VOTES_MAX_LABEL, &classes)) || (rc = cli_done(a)))
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
    hush_pate_config cfg;
    int st = hush_pate_config_init(&cfg, has_s1 ? HUSH_PATE_CONFIDENT : HUSH_PATE_GNMAX);
    cfg.sigma = sigma;
    cfg.threshold = thr;
    cfg.sigma1 = has_s1 ? s1 : 0.0;
    cfg.delta = delta;
    cfg.conversion = conv;
    cfg.n_classes = (uint32_t)classes;
    cfg.order = order;
    cfg.beta = beta;
    cfg.sigma_ss = sigma_ss;
    hush_rng rng;
    memset(&rng, 0, sizeof rng);
    hush_pate_report r;
    if (st == HUSH_OK) st = noise_rng(&rng, &ns, "pate-ss");
    if (st == HUSH_OK) st = hush_pate_release_report(&rng, &r, votes, T, E, ipath ? idx : NULL, n_idx, &cfg, NULL);
    hush_rng_clear(&rng);
    free(votes);
    free(idx);
    if (st == HUSH_EUNSUPPORTED) {
        cli_error("smooth sensitivity: the paper's conditions C5-C6 fail for sigma %g at this order; "
                  "use a larger --sigma or another --order", sigma);
        return CLI_EXIT_FAIL;
    }
    if (st == HUSH_ERANGE && beta > 0) {
        cli_error("smooth sensitivity: the order must be below 1 / (2 beta) = %g (or a label is not below --classes)",
                  0.5 / beta);
        return CLI_EXIT_FAIL;
    }
    if (st == HUSH_ERANGE && classes) {
        cli_error("%s: label %u is not below --classes %llu", vpath, mx, (unsigned long long)classes);
        return CLI_EXIT_FAIL;
    }
    if (st) return fail_status("pate analyze --smooth-sensitivity", st);
    if (json) {
        printf("{\"command\":\"pate-analyze\",\"teachers\":%zu,\"examples\":%zu,\"queries\":%zu,\"classes\":%zu",
               r.teachers, r.examples, r.queries, r.classes);
        json_noise(&ns);
        json_num("sigma", sigma);
        if (has_s1) {
            json_num("threshold", thr);
            json_num("sigma1", s1);
        }
        json_num("delta", r.delta);
        printf(",\"conversion\":\"%s\"", conv_name);
        json_num("data_dependent_eps", r.data_dependent_eps);
        json_num("data_independent_eps", r.data_independent_eps);
        json_num("order", r.order);
        json_num("beta", r.beta);
        json_num("sigma_ss", r.sigma_ss);
        json_num("smooth_sensitivity", r.smooth_sensitivity);
        json_num("release_rdp", r.release_rdp);
        json_num("released_data_dependent_eps", r.released_data_dependent_eps);
        printf("}\n");
    } else {
        printf("data-dependent epsilon %.6f (not publishable), data-independent epsilon %.6f (delta %g, %s "
               "conversion)\n",
               r.data_dependent_eps, r.data_independent_eps, delta, conv_name);
        printf("order %g, beta %g: smooth sensitivity %.6g, release cost %.6f RDP; released data-dependent epsilon "
               "%.6f\n",
               r.order, r.beta, r.smooth_sensitivity, r.release_rdp, r.released_data_dependent_eps);
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
    hush_pate_config cfg;
    hush_pate_report r;
    int st = hush_pate_config_init(&cfg, HUSH_PATE_LNMAX);
    cfg.noise_eps = eps;
    cfg.delta = delta;
    cfg.moments = (uint32_t)moments;
    if (st == HUSH_OK) st = hush_pate_analyze_report(&r, votes, T, E, ipath ? idx : NULL, n_idx, &cfg, NULL);
    free(votes);
    free(idx);
    if (st == HUSH_EFORMAT) {
        cli_error("%s: labels must be 0..K-1 with every label used (PySyft counts the distinct labels)", vpath);
        return CLI_EXIT_FAIL;
    }
    if (st) return fail_status("pate analyze", st);
    if (json) {
        printf("{\"command\":\"pate-analyze\",\"teachers\":%zu,\"examples\":%zu,\"queries\":%zu,\"moments\":%llu",
               r.teachers, r.examples, r.queries, (unsigned long long)moments);
        json_num("noise_eps", eps);
        json_num("delta", r.delta);
        json_num("data_dependent_eps", r.data_dependent_eps);
        json_num("data_independent_eps", r.data_independent_eps);
        printf("}\n");
    } else {
        printf("data-dependent epsilon %.6f, data-independent epsilon %.6f (delta %g)\n", r.data_dependent_eps,
               r.data_independent_eps, delta);
    }
    return 0;
}

static int aggregate(cli_args *a, int json) {
    const char *vpath = cli_str(a, "votes", NULL), *mech = cli_str(a, "mechanism", NULL);
    int has_eps = cli_str(a, "noise-eps", NULL) != NULL, has_sigma = cli_str(a, "sigma", NULL) != NULL;
    int has_thr = cli_str(a, "threshold", NULL) != NULL, has_s1 = cli_str(a, "sigma1", NULL) != NULL;
    double eps, sigma, thr, s1, delta;
    uint64_t classes;
    int rc;
    enum hush_dp_conversion conv;
    const char *conv_name;
    noise_src ns;
    int has_conv = cli_str(a, "conversion", NULL) != NULL;
    if ((rc = parse_conversion(a, &conv, &conv_name)) || (rc = cli_f64(a, "noise-eps", 0.0, 0.0, 1e6, &eps)) ||
        (rc = cli_f64(a, "sigma", 0.0, 0.0, 1e7, &sigma)) ||
        (rc = cli_f64(a, "threshold", 0.0, -1e12, 1e12, &thr)) || (rc = cli_f64(a, "sigma1", 0.0, 0.0, 1e7, &s1)) ||
        (rc = cli_f64(a, "delta", 1e-5, 1e-300, 0.999999, &delta)) || (rc = parse_noise(a, &ns)) ||
        (rc = cli_u64(a, "classes", 0, 0, HUSH_PATE_VOTES_MAX_LABEL, &classes)) || (rc = cli_done(a)))
        return rc;
    if (!vpath || !mech) {
        cli_error("pate aggregate needs --votes FILE and --mechanism lnmax|gnmax|confident");
        return CLI_EXIT_USAGE;
    }
    enum hush_pate_mechanism m;
    if (!strcmp(mech, "lnmax")) {
        m = HUSH_PATE_LNMAX;
        if (!has_eps || has_sigma || has_thr || has_s1 || has_conv || !(eps > 0)) {
            cli_error("--mechanism lnmax takes --noise-eps E > 0 (only; its analysis is PySyft's moments bound)");
            return CLI_EXIT_USAGE;
        }
    } else if (!strcmp(mech, "gnmax") || !strcmp(mech, "confident")) {
        int conf = !strcmp(mech, "confident");
        m = conf ? HUSH_PATE_CONFIDENT : HUSH_PATE_GNMAX;
        if (has_eps || !(sigma > 0) || (conf && (!has_thr || !(s1 > 0))) || (!conf && (has_thr || has_s1))) {
            cli_error(conf ? "--mechanism confident takes --sigma S --threshold T --sigma1 S1"
                           : "--mechanism gnmax takes --sigma S (only)");
            return CLI_EXIT_USAGE;
        }
    } else {
        cli_error("unknown --mechanism '%s' (lnmax, gnmax or confident)", mech);
        return CLI_EXIT_USAGE;
    }
    hush_pate_config cfg;
    if (hush_pate_config_init(&cfg, m) != HUSH_OK) return CLI_EXIT_FAIL;
    cfg.noise_eps = eps;
    cfg.sigma = sigma;
    cfg.threshold = thr;
    cfg.sigma1 = s1;
    cfg.delta = delta;
    cfg.conversion = conv;
    cfg.n_classes = (uint32_t)classes;
    uint32_t *votes = NULL, mx;
    size_t T, E;
    if ((rc = load_votes(vpath, &votes, &T, &E, &mx))) return rc;
    int32_t *labels = malloc(E * sizeof *labels);
    hush_rng rng;
    memset(&rng, 0, sizeof rng);
    hush_pate_report r;
    int st = labels ? noise_rng(&rng, &ns, "pate") : HUSH_ENOMEM;
    if (st == HUSH_OK) st = hush_pate_aggregate_report(&rng, &r, labels, votes, T, E, &cfg, NULL);
    hush_rng_clear(&rng);
    free(votes);
    if (st == HUSH_ERANGE && classes && mx >= classes) {
        free(labels);
        cli_error("%s: label %u is not below --classes %llu", vpath, mx, (unsigned long long)classes);
        return CLI_EXIT_FAIL;
    }
    if (st) {
        free(labels);
        return fail_status("pate aggregate", st);
    }
    if (json) {
        printf("{\"command\":\"pate-aggregate\",\"mechanism\":\"%s\",\"teachers\":%zu,\"examples\":%zu,\"classes\":%zu,"
               "\"answered\":%zu",
               mech, r.teachers, r.examples, r.classes, r.answered);
        json_noise(&ns);
        json_num("epsilon", r.epsilon);
        json_num("data_dependent_eps", r.data_dependent_eps);
        json_num("delta", r.delta);
        if (m != HUSH_PATE_LNMAX) printf(",\"conversion\":\"%s\"", conv_name);
        printf(",\"labels\":[");
        for (size_t e = 0; e < E; e++) printf("%s%d", e ? "," : "", (int)labels[e]);
        printf("]}\n");
    } else {
        for (size_t e = 0; e < E; e++) printf("%s%d", e ? "," : "", (int)labels[e]);
        printf("\n%zu of %zu answered; epsilon %.6f (data-independent), %.6f (data-dependent) at delta %g\n",
               r.answered, E, r.epsilon, r.data_dependent_eps, delta);
    }
    free(labels);
    return 0;
}

int cmd_pate(int argc, char **argv) {
    enum { ANALYZE, AGGREGATE } sub;
    if (argc >= 1 && !strcmp(argv[0], "analyze"))
        sub = ANALYZE;
    else if (argc >= 1 && !strcmp(argv[0], "aggregate"))
        sub = AGGREGATE;
    else {
        cli_error("pate needs a subcommand: analyze or aggregate");
        return CLI_EXIT_USAGE;
    }
    cli_args a;
    int rc = cli_parse(&a, argc - 1, argv + 1, pate_flags);
    if (rc) return rc;
    int json = cli_flag(&a, "json");
    if (sub == AGGREGATE) return aggregate(&a, json);
    return cli_flag(&a, "smooth-sensitivity") ? analyze_ss(&a, json) : analyze(&a, json);
}
