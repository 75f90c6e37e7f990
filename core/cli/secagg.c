/* `hush secagg sim`: one secure-aggregation round with every party in this process
 * (hush_secagg_run, every message through the wire encoding). Parses the options, makes one call
 * and prints what the parties paid in bytes; writes the unmasked sum. Dropouts are simulated with
 * --drop ROUND:CLIENT; --authenticated gives every client an Ed25519 identity (the PKI).
 *
 * With --seed S everything is reproducible: the generated inputs come from hush_rng stream
 * "secagg.inputs" of S, the session from "secagg.session", the clients' keys (and identities)
 * from "secagg", the same streams hush.secagg.run uses in JS. Without it, session and keys come
 * from the OS (generated inputs still from seed 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hush/secagg.h"

static const char *const secagg_flags[] = {"json", "authenticated", NULL};

static int load_inputs(const char *path, uint32_t bits, uint32_t **x, size_t *n, size_t *dim) {
    size_t len;
    unsigned char *text = cli_read_file(path, &len);
    if (!text) return CLI_EXIT_FAIL;
    hush_parse_error err;
    int rc = hush_secagg_inputs_parse(NULL, 0, n, dim, bits, (const char *)text, len, &err);
    if (rc == HUSH_OK && !(*x = malloc(*n * *dim * sizeof **x))) rc = HUSH_ENOMEM;
    if (rc == HUSH_OK) rc = hush_secagg_inputs_parse(*x, *n * *dim, n, dim, bits, (const char *)text, len, &err);
    free(text);
    if (rc == HUSH_OK) return 0;
    if (err.msg[0]) cli_error("%s:%zu: %s", path, err.line, err.msg);
    else cli_error("%s: %s", path, hush_strerror(rc));
    return CLI_EXIT_FAIL;
}

static int parse_drops(const char *s, uint32_t n, uint8_t *drop) {
    memset(drop, HUSH_SECAGG_DONE, n);
    while (s && *s) {
        char *e;
        unsigned long r = strtoul(s, &e, 10);
        if (e == s || *e != ':' || r > 4) goto bad;
        s = e + 1;
        unsigned long c = strtoul(s, &e, 10);
        if (e == s || c >= n) goto bad;
        if (r < drop[c]) drop[c] = (uint8_t)r;
        s = e;
        if (*s == ',') s++;
        else if (*s) goto bad;
    }
    return 0;
bad:
    cli_error("--drop must be ROUND:CLIENT,... with ROUND 0..4 and CLIENT below %u", n);
    return CLI_EXIT_USAGE;
}

static const char *round_name(uint32_t r) {
    static const char *const names[] = {"AdvertiseKeys", "ShareKeys", "MaskedInputCollection", "ConsistencyCheck",
                                        "Unmasking"};
    return r <= 4 ? names[r] : "?";
}

int cmd_secagg(int argc, char **argv) {
    if (argc < 1 || strcmp(argv[0], "sim") != 0) {
        cli_error("usage: hush secagg sim --inputs FILE | --clients N --dim D --threshold T ... (try 'hush help')");
        return CLI_EXIT_USAGE;
    }
    cli_args a;
    int rc = cli_parse(&a, argc - 1, argv + 1, secagg_flags);
    if (rc) return rc;
    uint64_t t, c, kmin, bits, nb, clients, dim, seed;
    const char *inputs = cli_str(&a, "inputs", NULL), *drops = cli_str(&a, "drop", NULL),
               *out = cli_str(&a, "out", NULL);
    int json = cli_flag(&a, "json"), auth = cli_flag(&a, "authenticated");
    int have_seed = cli_str(&a, "seed", NULL) != NULL;
    if ((rc = cli_u64(&a, "threshold", 0, 0, HUSH_SECAGG_MAX_CLIENTS, &t)) ||
        (rc = cli_u64(&a, "max-corrupt", 0, 0, HUSH_SECAGG_MAX_CLIENTS, &c)) ||
        (rc = cli_u64(&a, "min-honest", 2, 1, HUSH_SECAGG_MAX_CLIENTS, &kmin)) ||
        (rc = cli_u64(&a, "bits", 32, 1, 32, &bits)) ||
        (rc = cli_u64(&a, "neighbours", 0, 0, HUSH_SECAGG_MAX_CLIENTS, &nb)) ||
        (rc = cli_u64(&a, "clients", 0, 0, HUSH_SECAGG_MAX_CLIENTS, &clients)) ||
        (rc = cli_u64(&a, "dim", 0, 0, HUSH_SECAGG_MAX_DIM, &dim)) ||
        (rc = cli_u64(&a, "seed", 1, 0, UINT64_MAX, &seed)) || (rc = cli_done(&a)))
        return rc;
    if (!inputs == !clients) {
        cli_error("secagg sim needs either --inputs FILE or --clients N --dim D");
        return CLI_EXIT_USAGE;
    }
    if (clients && (clients < 2 || dim < 1)) {
        cli_error("--clients must be at least 2 and --dim at least 1");
        return CLI_EXIT_USAGE;
    }
    if (!t) {
        cli_error("secagg sim needs --threshold T");
        return CLI_EXIT_USAGE;
    }
    uint32_t *x = NULL, *sum = NULL;
    uint8_t *drop = NULL;
    size_t n = (size_t)clients, d = (size_t)dim; /* at most the MAX_CLIENTS and MAX_DIM checked above */
    hush_rng master, g;
    if (hush_rng_init_u64(&master, seed) != HUSH_OK) return CLI_EXIT_FAIL;
    int exit_code = CLI_EXIT_FAIL;
    if (inputs) {
        if ((rc = load_inputs(inputs, (uint32_t)bits, &x, &n, &d))) {
            exit_code = rc;
            goto done;
        }
    } else {
        if (!(x = malloc(n * d * sizeof *x)) || hush_rng_derive(&g, &master, "secagg.inputs") != HUSH_OK) goto oom;
        uint32_t mask = bits >= 32 ? 0xffffffffu : (1u << bits) - 1;
        for (size_t i = 0; i < n * d; i++) x[i] = hush_rng_u32(&g) & mask;
        hush_rng_clear(&g);
    }
    if (!(drop = malloc(n)) || !(sum = calloc(d, sizeof *sum))) goto oom;
    if ((rc = parse_drops(drops, (uint32_t)n, drop))) {
        exit_code = rc;
        goto done;
    }
    hush_secagg_config cfg;
    if (hush_secagg_config_init(&cfg, (uint32_t)n, (uint32_t)t, (uint32_t)c, (uint32_t)d) != HUSH_OK) {
        cli_error("--threshold must be 1..%zu and --max-corrupt below %zu", n, n);
        exit_code = CLI_EXIT_USAGE;
        goto done;
    }
    cfg.min_honest = (uint32_t)kmin;
    cfg.bits = (uint32_t)bits;
    cfg.neighbours = (uint32_t)nb;
    cfg.authenticated = (uint32_t)auth;
    rc = have_seed ? hush_rng_derive(&g, &master, "secagg.session") : HUSH_OK;
    if (rc == HUSH_OK) rc = have_seed ? hush_rng_bytes(&g, cfg.session, sizeof cfg.session) : hush_secagg_session_random(cfg.session);
    if (have_seed) hush_rng_clear(&g);
    if (rc == HUSH_OK && have_seed) rc = hush_rng_derive(&g, &master, "secagg");
    if (rc) goto done;
    if (hush_secagg_config_check(&cfg) != HUSH_OK) {
        uint32_t m = nb && nb < n - 1 ? (uint32_t)(nb + (nb & 1)) + 1 : (uint32_t)n;
        if (m > n) m = (uint32_t)n;
        cli_error("--threshold %llu is not valid for neighbourhoods of %u with --max-corrupt %llu and --min-honest "
                  "%llu: need m + C < 2T, T <= m and T - C >= K (Bonawitz et al.)",
                  (unsigned long long)t, m, (unsigned long long)c, (unsigned long long)kmin);
        exit_code = CLI_EXIT_USAGE;
        goto done;
    }
    hush_secagg_stats st;
    double t0 = cli_now();
    rc = hush_secagg_run(&cfg, have_seed ? &g : NULL, &st, sum, d, NULL, 0, x, n * d, drop, n, NULL, NULL);
    double ms = (cli_now() - t0) * 1e3;
    if (have_seed) hush_rng_clear(&g);
    if (rc) {
        if (st.aborted_round <= 4)
            cli_error("secure aggregation aborted in round %u (%s): %u of %zu clients remain, threshold %u; no sum%s",
                      st.aborted_round, round_name(st.aborted_round), st.remaining, n, cfg.threshold,
                      rc == HUSH_ECRYPTO ? " (a client misbehaved)" : "");
        else
            cli_error("secure aggregation failed: %s", hush_strerror(rc));
        goto done;
    }
    if (out) {
        size_t cap = d * 11 + 2, len = 0;
        char *text = malloc(cap);
        if (!text) goto oom;
        for (size_t i = 0; i < d; i++) len += (size_t)snprintf(text + len, cap - len, i ? ",%u" : "%u", sum[i]);
        text[len++] = '\n';
        int wrc = cli_write_file(out, (const uint8_t *)text, len);
        free(text);
        if (wrc) goto done;
    }
    if (json) {
        printf("{\"clients\":%zu,\"survivors\":%u,\"dim\":%zu,\"threshold\":%u,\"max_corrupt\":%u,\"min_honest\":%u,"
               "\"bits\":%u,\"neighbours\":%u,\"authenticated\":%s,\"messages\":%llu,\"bytes_up_per_client\":%llu,"
               "\"bytes_down_per_client\":%llu,\"faulty\":%u,\"ms\":%.3f}\n",
               n, st.survivors, d, cfg.threshold, cfg.max_corrupt, cfg.min_honest, cfg.bits,
               hush_secagg_neighbourhood_size(&cfg) - 1, auth ? "true" : "false", (unsigned long long)st.messages,
               (unsigned long long)st.max_client_bytes_up, (unsigned long long)st.max_client_bytes_down, st.faulty,
               ms);
    } else {
        printf("secure aggregation: %zu clients, %u survivors, dim %zu; %.1f ms, %llu bytes up, %llu bytes down per "
               "client\n",
               n, st.survivors, d, ms, (unsigned long long)st.max_client_bytes_up,
               (unsigned long long)st.max_client_bytes_down);
    }
    exit_code = 0;
    goto done;
oom:
    cli_error("out of memory");
done:
    hush_rng_clear(&master);
    free(x);
    free(drop);
    free(sum);
    return exit_code;
}
