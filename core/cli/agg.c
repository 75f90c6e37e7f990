/* `hush agg join`: one native participant of a hush-server secure-sum task.
 *
 * The identity key file is created on first use (mode 0600) and never leaves the machine; the
 * one-time enrolment token is needed only until the server has bound the name to it. Each round
 * the participant contributes the same input vector; it stops after --rounds committed rounds or
 * when the task ends, reconnecting with backoff whenever the connection drops.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "netclient.h"

typedef struct agg_state {
    uint32_t *x;
    size_t dim;
    uint64_t rounds; /* committed rounds wanted; 0 = until the task ends */
    uint32_t committed, aborted, last_round, last_dim;
    int json, bad_input;
    const char *task;
} agg_state;

/* One line of comma-separated unsigned integers. */
static int read_input(const char *path, uint32_t **out, size_t *dim) {
    size_t len;
    unsigned char *text = cli_read_file(path, &len);
    if (!text) return CLI_EXIT_FAIL;
    size_t cap = 1024, n = 0;
    uint32_t *x = malloc(cap * sizeof *x);
    const char *p = (const char *)text, *end = p + len;
    int rc = x ? 0 : CLI_EXIT_FAIL;
    while (!rc && p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ',')) p++;
        if (p >= end) break;
        if (*p < '0' || *p > '9') {
            cli_error("%s: expected unsigned integers separated by commas", path);
            rc = CLI_EXIT_FAIL;
            break;
        }
        unsigned long long v = 0;
        while (p < end && *p >= '0' && *p <= '9' && v <= UINT32_MAX) v = v * 10 + (unsigned)(*p++ - '0');
        if (v > UINT32_MAX) {
            cli_error("%s: value %zu does not fit in 32 bits", path, n + 1);
            rc = CLI_EXIT_FAIL;
            break;
        }
        if (n == cap) {
            uint32_t *nx = realloc(x, 2 * cap * sizeof *x);
            if (!nx) {
                rc = CLI_EXIT_FAIL;
                break;
            }
            x = nx;
            cap *= 2;
        }
        x[n++] = (uint32_t)v;
    }
    free(text);
    if (!rc && n == 0) {
        cli_error("%s: no values", path);
        rc = CLI_EXIT_FAIL;
    }
    if (rc) {
        free(x);
        return rc;
    }
    *out = x;
    *dim = n;
    return 0;
}

static int on_event(cli_peer *p, const hush_net_event *ev, void *ud) {
    agg_state *s = ud;
    switch (ev->kind) {
    case HUSH_NET_EV_ROUND: {
        uint64_t lim = (uint64_t)1 << ev->bits;
        int ok = ev->dim == s->dim;
        for (size_t i = 0; ok && i < s->dim; i++) ok = s->x[i] < lim;
        if (!ok) {
            cli_error("the input does not fit task %s: it needs %u values below 2^%u, the file has %zu", s->task,
                      ev->dim, ev->bits, s->dim);
            s->bad_input = 1;
            return HUSH_ESHAPE;
        }
        int rc = hush_net_client_set_input(p->client, s->x, s->dim);
        if (rc) return rc;
        if (!s->json) printf("round %u: %u participants, contributing as id %u\n", ev->round, ev->n, ev->id);
        return 0;
    }
    case HUSH_NET_EV_RESULT:
        s->last_round = ev->round;
        if (ev->status == HUSH_NET_ROUND_COMMITTED) {
            s->committed++;
            s->last_dim = ev->dim;
        } else {
            s->aborted++;
        }
        if (!s->json)
            printf("round %u %s\n", ev->round, ev->status == HUSH_NET_ROUND_COMMITTED ? "committed" : "aborted");
        fflush(stdout);
        return (s->rounds && s->committed >= s->rounds) || (ev->flags & 1) ? 1 : 0;
    case HUSH_NET_EV_ERROR:
        if (!s->json || ev->code >= 4000) cli_error("server: %s (%d)", ev->text, ev->code);
        return 0;
    default:
        return 0;
    }
}

/* `hush agg id --identity KEYFILE`: the public key, for the operator's enrolment records and for
 * other participants' pin files (creates the key file on first use, like join). */
static int agg_id(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, NULL);
    if (rc) return rc;
    const char *idp = cli_str(&a, "identity", NULL), *name = cli_str(&a, "name", NULL);
    if ((rc = cli_done(&a))) return rc;
    if (!idp) {
        cli_error("agg id needs --identity KEYFILE");
        return CLI_EXIT_USAGE;
    }
    uint8_t sk[HUSH_NET_SECRET_KEY_BYTES], pk[HUSH_NET_PUBLIC_KEY_BYTES];
    if ((rc = cli_identity(idp, sk))) return rc;
    rc = hush_net_identity_public(pk, sk);
    sodium_memzero(sk, sizeof sk);
    if (rc) return CLI_EXIT_FAIL;
    if (name) printf("%s ", name);
    for (size_t i = 0; i < sizeof pk; i++) printf("%02x", pk[i]);
    printf("\n");
    return 0;
}

int cmd_agg(int argc, char **argv) {
    static const char *const flags[] = {"json", NULL};
    if (argc >= 1 && !strcmp(argv[0], "id")) return agg_id(argc - 1, argv + 1);
    if (argc < 1 || strcmp(argv[0], "join")) {
        cli_error("usage: hush agg join --url URL --name NAME --identity KEYFILE [--token TOKEN] --task TASK "
                  "--input FILE.csv [--rounds R] [--pins FILE] [--json]\n"
                  "       hush agg id --identity KEYFILE [--name NAME]");
        return CLI_EXIT_USAGE;
    }
    cli_args a;
    int rc = cli_parse(&a, argc - 1, argv + 1, flags);
    if (rc) return rc;
    agg_state s;
    memset(&s, 0, sizeof s);
    const char *url = cli_str(&a, "url", NULL), *name = cli_str(&a, "name", NULL);
    const char *idp = cli_str(&a, "identity", NULL), *tok = cli_str(&a, "token", NULL);
    const char *input = cli_str(&a, "input", NULL), *ca = cli_str(&a, "ca", NULL);
    const char *pins = cli_str(&a, "pins", NULL);
    s.task = cli_str(&a, "task", NULL);
    s.json = cli_flag(&a, "json");
    double timeout;
    if ((rc = cli_u64(&a, "rounds", 1, 0, UINT32_MAX, &s.rounds)) ||
        (rc = cli_f64(&a, "timeout", 0, 0, 1e9, &timeout)) || (rc = cli_done(&a)))
        return rc;
    if (!url || !name || !idp || !s.task || !input) {
        cli_error("agg join needs --url, --name, --identity, --task and --input");
        return CLI_EXIT_USAGE;
    }
    if ((rc = read_input(input, &s.x, &s.dim))) return rc;
    hush_net_client *c = NULL;
    if ((rc = cli_participant(&c, name, idp, tok, s.task, pins))) {
        free(s.x);
        return rc;
    }
    cli_peer peer;
    memset(&peer, 0, sizeof peer);
    peer.drop_at = -1;
    peer.client = c;
    peer.on_event = on_event;
    peer.ud = &s;
    cli_net_opts o = {url, ca, timeout, 0};
    int exit_code = cli_net_exit(cli_net_run(&peer, 1, &o), &peer, &o, s.bad_input);
    if (s.json)
        printf("{\"name\":\"%s\",\"task\":\"%s\",\"rounds\":%u,\"aborted\":%u,\"last_round\":%u,\"dim\":%zu,"
               "\"connects\":%u,\"status\":%d}\n",
               name, s.task, s.committed, s.aborted, s.last_round, s.dim, peer.connects, peer.status);
    hush_net_client_free(c);
    sodium_memzero(s.x, s.dim * sizeof *s.x);
    free(s.x);
    return exit_code;
}
