/* `hush secagg sim`: one secure-aggregation round with every party in this process, every message
 * through the real wire encoding (client -> server -> client). Prints what each party paid in
 * time and bytes; writes the unmasked sum. Dropouts are simulated with --drop ROUND:CLIENT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hush/secagg.h"

static const char *const secagg_flags[] = {"json", NULL};

typedef struct sim_in {
    uint32_t n, dim;
    uint32_t *x;
} sim_in;

static int parse_inputs(const char *path, uint32_t bits, sim_in *in) {
    size_t len;
    unsigned char *text = cli_read_file(path, &len);
    if (!text) return CLI_EXIT_FAIL;
    uint64_t lim = (uint64_t)1 << bits;
    size_t cap = 0, count = 0;
    uint32_t rows = 0, dim = 0, col = 0;
    uint32_t *x = NULL;
    int rc = 0;
    const char *p = (const char *)text, *end = p + len;
    size_t line = 1;
    while (p < end && !rc) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
        if (p < end && *p == '\n') {
            if (col) {
                if (rows == 0) dim = col;
                else if (col != dim) {
                    cli_error("%s:%zu: %u values, expected %u", path, line, col, dim);
                    rc = CLI_EXIT_FAIL;
                }
                rows++;
                col = 0;
            }
            line++;
            p++;
            continue;
        }
        if (p >= end) break;
        char *e;
        if (*p < '0' || *p > '9') {
            cli_error("%s:%zu: expected an unsigned integer", path, line);
            rc = CLI_EXIT_FAIL;
            break;
        }
        unsigned long long v = strtoull(p, &e, 10);
        if (v >= lim) {
            cli_error("%s:%zu: value %llu is not below 2^%u", path, line, v, bits);
            rc = CLI_EXIT_FAIL;
            break;
        }
        if (count == cap) {
            cap = cap ? 2 * cap : 1024;
            uint32_t *nx = realloc(x, cap * sizeof *x);
            if (!nx) {
                cli_error("out of memory");
                rc = CLI_EXIT_FAIL;
                break;
            }
            x = nx;
        }
        x[count++] = (uint32_t)v;
        col++;
        p = e;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
        if (p < end && *p == ',') p++;
    }
    if (!rc && col) {
        if (rows && col != dim) {
            cli_error("%s:%zu: %u values, expected %u", path, line, col, dim);
            rc = CLI_EXIT_FAIL;
        } else {
            if (!rows) dim = col;
            rows++;
        }
    }
    free(text);
    if (!rc && rows < 2) {
        cli_error("%s: need at least two clients (lines)", path);
        rc = CLI_EXIT_FAIL;
    }
    if (rc) {
        free(x);
        return rc;
    }
    in->n = rows;
    in->dim = dim;
    in->x = x;
    return 0;
}

static int parse_drops(const char *s, uint32_t n, int *drop) {
    for (uint32_t u = 0; u < n; u++) drop[u] = 5;
    while (s && *s) {
        char *e;
        unsigned long r = strtoul(s, &e, 10);
        if (e == s || *e != ':' || r > 4) goto bad;
        s = e + 1;
        unsigned long c = strtoul(s, &e, 10);
        if (e == s || c >= n) goto bad;
        if ((int)r < drop[c]) drop[c] = (int)r;
        s = e;
        if (*s == ',') s++;
        else if (*s) goto bad;
    }
    return 0;
bad:
    cli_error("--drop must be ROUND:CLIENT,... with ROUND 0..4 and CLIENT below %u", n);
    return CLI_EXIT_USAGE;
}

static const char *round_name(int r) {
    static const char *const names[] = {"AdvertiseKeys", "ShareKeys", "MaskedInputCollection", "ConsistencyCheck",
                                        "Unmasking"};
    return r >= 0 && r <= 4 ? names[r] : "?";
}

static int run(const hush_secagg_config *cfg, const uint32_t *x, const int *drop, const uint8_t *seeds,
               uint32_t *sum, double *client_s, double *server_s, uint64_t *up, uint64_t *down, int *fail_round, uint32_t *remain) {
    uint32_t n = cfg->n;
    hush_secagg_server *srv = NULL;
    hush_secagg_client **cl = calloc(n, sizeof *cl);
    uint8_t *buf = NULL;
    int rc = cl ? hush_secagg_server_create(&srv, cfg, NULL) : HUSH_ENOMEM;
    size_t cap = rc ? 0 : hush_secagg_server_max_message(srv);
    if (!rc && !(buf = malloc(cap))) rc = HUSH_ENOMEM;
    for (uint32_t u = 0; u < n && !rc; u++) {
        double t0 = cli_now();
        rc = hush_secagg_client_create(&cl[u], cfg, u, seeds ? seeds + 32 * (size_t)u : NULL, seeds ? 32 : 0, NULL);
        if (!rc) rc = hush_secagg_client_set_input(cl[u], x + (size_t)u * cfg->dim, cfg->dim);
        client_s[u] += cli_now() - t0;
    }
    *fail_round = -1;
    for (int r = 0; r <= 4 && !rc; r++) {
        for (uint32_t u = 0; u < n && !rc; u++) {
            if (drop[u] <= r || hush_secagg_client_round(cl[u]) != r) continue;
            size_t len;
            double t0 = cli_now();
            rc = hush_secagg_client_next_message(cl[u], buf, cap, &len);
            client_s[u] += cli_now() - t0;
            if (rc || !len) continue;
            up[u] += len;
            t0 = cli_now();
            rc = hush_secagg_server_receive(srv, buf, len);
            *server_s += cli_now() - t0;
        }
        if (rc) break;
        double t0 = cli_now();
        rc = hush_secagg_server_end_round(srv);
        *server_s += cli_now() - t0;
        if (rc) {
            *fail_round = r;
            *remain = hush_secagg_server_count(srv, (uint32_t)r);
            break;
        }
        for (;;) {
            uint32_t to;
            size_t len;
            t0 = cli_now();
            rc = hush_secagg_server_next_message(srv, &to, buf, cap, &len);
            *server_s += cli_now() - t0;
            if (rc || !len) break;
            down[to] += len;
            t0 = cli_now();
            int crc = hush_secagg_client_receive(cl[to], buf, len);
            client_s[to] += cli_now() - t0;
            if (crc && hush_secagg_client_round(cl[to]) != HUSH_SECAGG_ABORTED) rc = crc;
        }
    }
    if (!rc) rc = hush_secagg_server_result(srv, sum, cfg->dim, NULL, 0);
    for (uint32_t u = 0; u < n && cl; u++) hush_secagg_client_free(cl[u]);
    hush_secagg_server_free(srv);
    free(cl);
    free(buf);
    return rc;
}

int cmd_secagg(int argc, char **argv) {
    if (argc < 1 || strcmp(argv[0], "sim") != 0) {
        cli_error("usage: hush secagg sim --inputs FILE | --clients N --dim D --seed S ... (try 'hush help')");
        return CLI_EXIT_USAGE;
    }
    cli_args a;
    int rc = cli_parse(&a, argc - 1, argv + 1, secagg_flags);
    if (rc) return rc;
    uint64_t t, bits, nb, clients, dim, seed, auth;
    const char *inputs = cli_str(&a, "inputs", NULL), *drops = cli_str(&a, "drop", NULL),
               *out = cli_str(&a, "out", NULL);
    int json = cli_flag(&a, "json");
    int have_seed = cli_str(&a, "seed", NULL) != NULL;
    if ((rc = cli_u64(&a, "threshold", 0, 0, HUSH_SECAGG_MAX_CLIENTS, &t)) ||
        (rc = cli_u64(&a, "bits", 32, 1, 32, &bits)) ||
        (rc = cli_u64(&a, "neighbours", 0, 0, HUSH_SECAGG_MAX_CLIENTS, &nb)) ||
        (rc = cli_u64(&a, "clients", 0, 0, HUSH_SECAGG_MAX_CLIENTS, &clients)) ||
        (rc = cli_u64(&a, "dim", 0, 0, HUSH_SECAGG_MAX_DIM, &dim)) ||
        (rc = cli_u64(&a, "seed", 1, 0, UINT64_MAX, &seed)) ||
        (rc = cli_u64(&a, "authenticated", 0, 0, 1, &auth)) || (rc = cli_done(&a)))
        return rc;
    if (!inputs == !clients) {
        cli_error("secagg sim needs either --inputs FILE or --clients N --dim D --seed S");
        return CLI_EXIT_USAGE;
    }
    if (clients && (clients < 2 || dim < 1)) {
        cli_error("--clients must be at least 2 and --dim at least 1");
        return CLI_EXIT_USAGE;
    }
    sim_in in = {0, 0, NULL};
    hush_rng master;
    if (hush_rng_init_u64(&master, seed) != HUSH_OK) return CLI_EXIT_FAIL;
    if (inputs) {
        if ((rc = parse_inputs(inputs, (uint32_t)bits, &in))) return rc;
    } else {
        in.n = (uint32_t)clients;
        in.dim = (uint32_t)dim;
        in.x = malloc((size_t)in.n * in.dim * sizeof *in.x);
        hush_rng g;
        if (!in.x || hush_rng_derive(&g, &master, "secagg.inputs") != HUSH_OK) {
            free(in.x);
            cli_error("out of memory");
            return CLI_EXIT_FAIL;
        }
        uint32_t mask = bits >= 32 ? 0xffffffffu : (1u << bits) - 1;
        for (size_t i = 0; i < (size_t)in.n * in.dim; i++) in.x[i] = hush_rng_u32(&g) & mask;
        hush_rng_clear(&g);
    }
    int exit_code = CLI_EXIT_FAIL;
    int *drop = calloc(in.n, sizeof *drop);
    double *cms = calloc(in.n, sizeof *cms);
    uint64_t *up = calloc(in.n, 8), *down = calloc(in.n, 8);
    uint32_t *sum = calloc(in.dim, 4);
    uint8_t *seeds = have_seed ? malloc((size_t)in.n * 32) : NULL;
    if (!drop || !cms || !up || !down || !sum || (have_seed && !seeds)) {
        cli_error("out of memory");
        goto done;
    }
    if ((rc = parse_drops(drops, in.n, drop))) {
        exit_code = rc;
        goto done;
    }
    hush_secagg_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n = in.n;
    cfg.threshold = t ? (uint32_t)t : 0;
    cfg.bits = (uint32_t)bits;
    cfg.dim = in.dim;
    cfg.neighbours = (uint32_t)nb;
    cfg.authenticated = 0;
    if (auth) {
        cli_error("--authenticated needs a PKI; the simulation runs the semi-honest variant");
        exit_code = CLI_EXIT_USAGE;
        goto done;
    }
    {
        hush_rng g;
        int grc = hush_rng_derive(&g, &master, "secagg.session");
        if (!grc && !have_seed) {
            hush_rng_clear(&g);
            grc = hush_rng_init_random(&g);
        }
        if (!grc) grc = hush_rng_bytes(&g, cfg.session, sizeof cfg.session);
        if (!grc && have_seed) {
            hush_rng_clear(&g);
            grc = hush_rng_derive(&g, &master, "secagg.clients");
            if (!grc) grc = hush_rng_bytes(&g, seeds, (size_t)in.n * 32);
        }
        hush_rng_clear(&g);
        if (grc) goto done;
    }
    if (!t) {
        cli_error("secagg sim needs --threshold T");
        exit_code = CLI_EXIT_USAGE;
        goto done;
    }
    if (hush_secagg_config_check(&cfg) != HUSH_OK) {
        cli_error("--threshold %llu is not valid for %u clients with neighbourhoods of %u: need m/2 < T <= m",
                  (unsigned long long)t, in.n, nb && nb < in.n - 1 ? (uint32_t)(nb + (nb & 1)) + 1 : in.n);
        exit_code = CLI_EXIT_USAGE;
        goto done;
    }
    double sms = 0;
    int fail_round;
    uint32_t remain = 0;
    rc = run(&cfg, in.x, drop, seeds, sum, cms, &sms, up, down, &fail_round, &remain);
    if (rc) {
        if (fail_round >= 0 && rc == HUSH_ESTATE)
            cli_error("secure aggregation aborted in round %d (%s): %u of %u clients remain, threshold %u; no sum",
                      fail_round, round_name(fail_round),
                      remain, in.n, cfg.threshold);
        else
            cli_error("secure aggregation failed: %s", hush_strerror(rc));
        goto done;
    }
    uint32_t survivors = 0;
    double cmax = 0;
    uint64_t upmax = 0, downmax = 0;
    for (uint32_t u = 0; u < in.n; u++) {
        survivors += drop[u] > 2;
        if (cms[u] > cmax) cmax = cms[u];
        if (up[u] > upmax) upmax = up[u];
        if (down[u] > downmax) downmax = down[u];
    }
    if (out) {
        size_t cap = (size_t)in.dim * 11 + 2, len = 0;
        char *text = malloc(cap);
        if (!text) goto done;
        for (uint32_t i = 0; i < in.dim; i++) len += (size_t)snprintf(text + len, cap - len, i ? ",%u" : "%u", sum[i]);
        text[len++] = '\n';
        int wrc = cli_write_file(out, (const uint8_t *)text, len);
        free(text);
        if (wrc) goto done;
    }
    if (json) {
        printf("{\"clients\":%u,\"survivors\":%u,\"dim\":%u,\"threshold\":%u,\"bits\":%u,\"neighbours\":%u,"
               "\"client_ms\":%.3f,\"server_ms\":%.3f,\"bytes_up_per_client\":%llu,\"bytes_down_per_client\":%llu}\n",
               in.n, survivors, in.dim, cfg.threshold, cfg.bits, hush_secagg_neighbourhood_size(&cfg) - 1,
               cmax * 1e3, sms * 1e3, (unsigned long long)upmax, (unsigned long long)downmax);
    } else {
        printf("secure aggregation: %u clients, %u survivors, dim %u; client %.1f ms (max), server %.1f ms, "
               "%llu bytes up, %llu bytes down per client\n",
               in.n, survivors, in.dim, cmax * 1e3, sms * 1e3, (unsigned long long)upmax, (unsigned long long)downmax);
    }
    exit_code = 0;
done:
    hush_rng_clear(&master);
    free(in.x);
    free(drop);
    free(cms);
    free(up);
    free(down);
    free(sum);
    free(seeds);
    return exit_code;
}
