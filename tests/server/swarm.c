/* hush-swarm: many native participants of one hush-server task in a single process (one
 * libwebsockets loop), for the load test and `make bench-server`.
 *
 *   hush-swarm --url URL --task TASK --tokens FILE [--rounds R] [--timeout S] [--json]
 *              [--drop-every K --drop-stage S]    participants 0, K, 2K, ... leave at stage S
 *              [--idle SECONDS]                   authenticate, join no task, hold the connection
 *
 * FILE holds "name token" lines (hush-server enroll --count N). Participant i (its line number)
 * contributes x_j = (7 i + 13 j + 1) mod 2^bits, so a test can recompute any round's plaintext
 * sum from the survivor names the server records. Identities are generated in memory.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include "cli.h"
#include "netclient.h"

typedef struct part {
    uint32_t index, committed, aborted;
    int idle;
    uint32_t *x;
    uint64_t rounds;
} part;

static int on_event(cli_peer *p, const hush_net_event *ev, void *ud) {
    part *s = ud;
    if (ev->kind == HUSH_NET_EV_WELCOME && s->idle) {
        printf("ready\n"); /* one line per idle participant, for the benchmark */
        fflush(stdout);
        return 0;
    }
    if (ev->kind == HUSH_NET_EV_ROUND) {
        free(s->x);
        s->x = malloc((size_t)ev->dim * 4 + 4);
        if (!s->x) return HUSH_ENOMEM;
        uint32_t mask = ev->bits == 32 ? 0xffffffffu : (1u << ev->bits) - 1;
        for (uint32_t j = 0; j < ev->dim; j++) s->x[j] = (7u * s->index + 13u * j + 1u) & mask;
        return hush_net_client_set_input(p->client, s->x, ev->dim);
    }
    if (ev->kind == HUSH_NET_EV_RESULT) {
        if (ev->status == HUSH_NET_ROUND_COMMITTED) s->committed++;
        else s->aborted++;
        return (s->rounds && s->committed >= s->rounds) || (ev->flags & 1) ? 1 : 0;
    }
    return 0;
}

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    static const char *const flags[] = {"json", NULL};
    cli_prog = "hush-swarm";
    cli_args a;
    if (cli_parse(&a, argc - 1, argv + 1, flags)) return CLI_EXIT_USAGE;
    const char *url = cli_str(&a, "url", NULL), *task = cli_str(&a, "task", NULL);
    const char *tokens = cli_str(&a, "tokens", NULL);
    int json = cli_flag(&a, "json");
    uint64_t rounds, drop_every, drop_stage;
    double timeout, idle;
    if (cli_u64(&a, "rounds", 1, 0, 1u << 30, &rounds) || cli_f64(&a, "timeout", 120, 0, 1e6, &timeout) ||
        cli_u64(&a, "drop-every", 0, 0, 1u << 30, &drop_every) || cli_u64(&a, "drop-stage", 2, 0, 4, &drop_stage) ||
        cli_f64(&a, "idle", 0, 0, 1e6, &idle) || cli_done(&a))
        return CLI_EXIT_USAGE;
    if (idle > 0) timeout = idle;
    if (!url || !tokens || (!task && idle <= 0)) {
        cli_error("needs --url, --tokens and --task (or --idle)");
        return CLI_EXIT_USAGE;
    }
    if (hush_init() != HUSH_OK) return CLI_EXIT_FAIL;
    size_t len;
    char *text = (char *)cli_read_file(tokens, &len);
    if (!text) return CLI_EXIT_FAIL;
    size_t n = 0, cap = 0;
    cli_peer *peers = NULL;
    part *parts = NULL;
    int rc = 0;
    for (char *line = strtok(text, "\n"); line && !rc; line = strtok(NULL, "\n")) {
        char name[128], hex[128];
        if (sscanf(line, "%127s %127s", name, hex) != 2) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            cli_peer *np = realloc(peers, cap * sizeof *np);
            part *nq = np ? realloc(parts, cap * sizeof *nq) : NULL;
            if (np) peers = np;
            if (!nq) {
                rc = CLI_EXIT_FAIL;
                break;
            }
            parts = nq;
        }
        uint8_t sk[HUSH_NET_SECRET_KEY_BYTES], token[HUSH_NET_TOKEN_BYTES];
        memset(&peers[n], 0, sizeof peers[n]);
        memset(&parts[n], 0, sizeof parts[n]);
        if (cli_token(hex, token) || hush_net_identity_generate(sk) ||
            hush_net_client_create(&peers[n].client, sk, name, token, NULL) ||
            (idle <= 0 && hush_net_client_join(peers[n].client, task))) {
            cli_error("bad line %zu of %s", n + 1, tokens);
            rc = CLI_EXIT_FAIL;
            break;
        }
        parts[n].index = (uint32_t)n;
        parts[n].rounds = rounds;
        parts[n].idle = idle > 0;
        peers[n].drop_at = drop_every && n % drop_every == 0 ? (int)drop_stage : -1;
        peers[n].on_event = on_event;
        n++;
    }
    for (size_t i = 0; i < n; i++) peers[i].ud = &parts[i]; /* parts has stopped moving */
    free(text);
    struct rlimit rl; /* a descriptor per participant */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n + 64) {
        rl.rlim_cur = rl.rlim_max < n + 64 ? rl.rlim_max : n + 64;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    double t0 = mono();
    cli_net_opts o = {url, NULL, timeout, 0};
    int st = rc ? HUSH_EARG : n ? cli_net_run(peers, n, &o) : HUSH_EARG;
    if (idle > 0 && st == HUSH_ESTATE) st = HUSH_OK; /* idle participants end by the clock */
    double secs = mono() - t0;
    uint32_t ok = 0, cmin = UINT32_MAX, cmax = 0;
    uint64_t in = 0, out = 0, in_max = 0, out_max = 0;
    for (size_t i = 0; i < n; i++) {
        ok += peers[i].status == 0 && (peers[i].done || idle > 0);
        if (parts[i].committed < cmin) cmin = parts[i].committed;
        if (parts[i].committed > cmax) cmax = parts[i].committed;
        in += peers[i].bytes_in;
        out += peers[i].bytes_out;
        if (peers[i].bytes_in > in_max) in_max = peers[i].bytes_in;
        if (peers[i].bytes_out > out_max) out_max = peers[i].bytes_out;
        hush_net_client_free(peers[i].client);
        free(parts[i].x);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec * 1e-6;
    if (json)
        printf("{\"participants\":%zu,\"finished\":%u,\"cpu_seconds\":%.3f,\"committed_min\":%u,\"committed_max\":%u,\"seconds\":%.3f,"
               "\"bytes_in_per_client\":%.0f,\"bytes_out_per_client\":%.0f,\"bytes_in_max\":%llu,"
               "\"bytes_out_max\":%llu,\"status\":%d}\n",
               n, ok, cpu, n ? cmin : 0, cmax, secs, n ? (double)in / (double)n : 0, n ? (double)out / (double)n : 0,
               (unsigned long long)in_max, (unsigned long long)out_max, st);
    else
        printf("%u of %zu participants finished in %.2f s (committed rounds %u-%u)\n", ok, n, secs, cmin, cmax);
    free(peers);
    free(parts);
    return st == HUSH_OK && ok == n ? 0 : 1;
}
