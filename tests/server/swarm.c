/* hush-swarm: many native participants of one hush-server task in a single process (one
 * libwebsockets loop), for the load test, `make bench-server` and `make bench-fl`.
 *
 *   hush-swarm --url URL --task TASK --tokens FILE [--rounds R] [--timeout S] [--json]
 *              [--drop-every K --drop-stage S]    participants 0, K, 2K, ... leave at stage S
 *              [--idle SECONDS]                   authenticate, join no task, hold the connection
 *   federated tasks (--kind fedavg), each participant as `hush fl join` without a ledger:
 *              --fedavg --data FILE [--format F]  participant i holds shard (i mod K) of FILE
 *              [--shards K] [--labels-per-part L] [--shard-seed S]   (hush_dataset_shard; K
 *                                                 defaults to the participant count, L to 0: IID)
 *              [--uneven]                         participant i keeps (i + 1) / n of its shard, so
 *                                                 the FedAvg weights differ
 *              [--seed S]                         participant i's noise and shuffling from seed
 *                                                 S + i (not private: tests and benchmarks)
 *              [--verify]                         (with --seed, privacy none, FedAvg, nobody
 *                                                 dropping) check every committed model against
 *                                                 plaintext weighted FedAvg of the participants'
 *                                                 own local trainings, coordinate by coordinate
 *              [--out MODEL]                      the final global model
 *
 * FILE holds "name token" lines (hush-server enroll --count N). Participant i (its line number)
 * contributes x_j = (7 i + 13 j + 1) mod 2^bits, so a test can recompute any round's plaintext
 * sum from the survivor names the server records. Identities are generated in memory.
 *
 * --verify recomputes each participant's local training independently of
 * hush_federated_contribute (the training driver from the global model with the same seeded
 * streams), clips the update in double precision, and averages with the training-row weights;
 * the server's model must be the round's global model plus server_lr times that average within
 * the quantisation error: participants / scale / total weight per coordinate (scale from
 * hush_fl_quant_init with the task's ring, participants and max_rows * clip), plus 1e-6 for the
 * float32 parameters. The JSON line gets verify_rounds, verify_max_error, verify_bound and
 * verify_max_update (so a reader can see the check is not vacuous), and verify_frozen, the head
 * coordinates of a --freeze-head task found bit for bit unchanged; a failure exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include <math.h>

#include "cli.h"
#include "hush/federated.h"
#include "hush/fl.h"
#include "hush/train.h"
#include "netclient.h"

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
}

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* --verify: the plaintext weighted FedAvg of one round, accumulated over the participants. */
typedef struct fed_verify {
    int on;
    uint32_t round;  /* the round being accumulated (0: none) */
    size_t np, contributions;
    float *global;   /* the parameters the round starts from */
    double *want;    /* sum of w_i clip(delta_i) */
    double wsum;
    hush_federated_task terms;
    uint32_t checked;
    double max_err, bound, max_update;
    size_t frozen;   /* head coordinates found bit for bit unchanged (freeze_head) */
    int failed;
} fed_verify;

/* What every federated participant shares. */
typedef struct fed_common {
    int on;
    hush_dataset *data;
    uint32_t shards, labels_per_part;
    uint64_t shard_seed, seed;
    int seeded, uneven;
    size_t n;
    double train_seconds, train_max;
    uint64_t contributions;
    fed_verify v;
} fed_common;

typedef struct part {
    uint32_t index, committed, aborted;
    int idle;
    uint32_t *x;
    uint64_t rounds;
    fed_common *fed;
    hush_dataset *shard, *train, *validation;
} part;

static void seeded_rng(hush_rng *out, uint64_t seed, uint32_t round) {
    hush_rng base;
    char label[32];
    snprintf(label, sizeof label, "round %u", round);
    if (hush_rng_init_u64(&base, seed) || hush_rng_derive(out, &base, label)) abort();
    hush_rng_clear(&base);
}

/* The participant's local training from the global model, written out apart from
 * hush_federated_contribute (the same driver and streams): the reference of --verify. */
static int reference_params(float *out, size_t np, const hush_federated_task *t, const uint8_t *file, size_t len,
                            const hush_dataset *train, const hush_dataset *val, uint64_t seed, uint32_t round) {
    hush_rng rng, master;
    seeded_rng(&rng, seed, round);
    int rc = hush_rng_derive(&master, &rng, "federated");
    hush_rng_clear(&rng);
    hush_model *g = NULL;
    hush_train *tr = NULL;
    uint32_t mb = t->local_batch > 64 ? t->local_batch : 64;
    hush_train_config cfg;
    if (rc == HUSH_OK) rc = hush_model_load(&g, file, len, mb, NULL);
    if (rc == HUSH_OK && hush_model_param_count(g) != np) rc = HUSH_ESHAPE;
    if (rc == HUSH_OK) rc = hush_train_config_init(&cfg, t->optimizer, t->lr);
    if (rc == HUSH_OK) {
        cfg.epochs = t->local_epochs;
        cfg.batch = t->local_batch;
        cfg.max_batch = mb;
        cfg.scaling = HUSH_TRAIN_SCALING_NONE;
        cfg.test_fraction = 0;
        cfg.noise_source = HUSH_TRAIN_NOISE_SEED;
        rc = hush_train_create(&tr, &master, &cfg, hush_model_layers(g), hush_model_layer_count(g), train,
                               val && hush_dataset_rows(val) ? val : train, NULL);
    }
    if (rc == HUSH_OK) {
        hush_model *m = hush_train_model(tr);
        size_t in = hush_model_input_size(g);
        float *norm = malloc(2 * in * sizeof(float));
        if (!norm) rc = HUSH_ENOMEM;
        else if ((rc = hush_model_input_norm(g, norm, norm + in, in)) == HUSH_OK)
            rc = hush_model_set_input_norm(m, norm, norm + in, in);
        else if (rc == HUSH_ESTATE)
            rc = hush_model_set_input_norm(m, NULL, NULL, in);
        free(norm);
        if (rc == HUSH_OK) {
            memcpy(hush_model_params(m), hush_model_params(g), np * sizeof(float));
            if (t->freeze_head) rc = hush_model_freeze_head(m, 1);
            while (rc == HUSH_OK && (rc = hush_train_epoch(tr, NULL)) == HUSH_OK) {
            }
            rc = rc == HUSH_ESTATE ? HUSH_OK : rc;
            memcpy(out, hush_model_params(m), np * sizeof(float));
        }
    }
    hush_train_free(tr);
    hush_model_free(g);
    hush_rng_clear(&master);
    return rc;
}

/* The model a client holds (malloc'ed), and optionally its parameters. */
static uint8_t *client_model(hush_net_client *c, size_t *len, hush_federated_task *terms) {
    if (hush_net_client_model(c, NULL, 0, len, terms) != HUSH_ERANGE) return NULL;
    uint8_t *m = malloc(*len);
    if (m && hush_net_client_model(c, m, *len, len, terms) != HUSH_OK) {
        free(m);
        return NULL;
    }
    return m;
}

static int verify_add(fed_verify *v, cli_peer *p, part *s, uint32_t round) {
    size_t len;
    hush_federated_task t;
    uint8_t *file = client_model(p->client, &len, &t);
    hush_model *g = NULL;
    int rc = file ? hush_model_load(&g, file, len, 1, NULL) : HUSH_ESTATE;
    if (rc == HUSH_OK && (t.privacy != HUSH_FEDERATED_PRIVACY_NONE || t.server_optimizer != HUSH_FEDERATED_FEDAVG)) {
        cli_error("--verify needs a task with privacy none and FedAvg");
        rc = HUSH_EARG;
    }
    size_t np = g ? hush_model_param_count(g) : 0;
    if (rc == HUSH_OK && v->round != round) { /* the round's first contribution */
        free(v->global);
        free(v->want);
        v->global = malloc(np * sizeof(float));
        v->want = calloc(np, sizeof(double));
        if (!v->global || !v->want) rc = HUSH_ENOMEM;
        else memcpy(v->global, hush_model_params(g), np * sizeof(float));
        v->round = round;
        v->np = np;
        v->contributions = 0;
        v->wsum = 0;
        v->terms = t;
    }
    float *local = rc == HUSH_OK ? malloc(np * sizeof(float)) : NULL;
    if (rc == HUSH_OK && !local) rc = HUSH_ENOMEM;
    if (rc == HUSH_OK)
        rc = reference_params(local, np, &t, file, len, s->train, s->validation, s->fed->seed + s->index, round);
    if (rc == HUSH_OK) {
        const float *gp = hush_model_params(g);
        double norm = 0;
        for (size_t j = 0; j < np; j++) norm += ((double)local[j] - gp[j]) * ((double)local[j] - gp[j]);
        norm = sqrt(norm);
        double k = norm > t.clip ? t.clip / norm : 1.0;
        size_t rows = hush_dataset_rows(s->train);
        double w = (double)(rows < t.max_rows ? rows : t.max_rows);
        for (size_t j = 0; j < np; j++) v->want[j] += w * k * ((double)local[j] - gp[j]);
        v->wsum += w;
        v->contributions++;
    }
    free(local);
    hush_model_free(g);
    free(file);
    return rc;
}

/* At a committed RESULT: the new model against the round's plaintext weighted FedAvg. */
static int verify_check(fed_verify *v, cli_peer *p, uint32_t round) {
    if (v->round != round || !v->contributions) return HUSH_OK; /* checked already, or nothing to check */
    size_t len;
    uint8_t *file = client_model(p->client, &len, NULL);
    hush_model *m = NULL;
    int rc = file ? hush_model_load(&m, file, len, 1, NULL) : HUSH_ESTATE;
    if (rc == HUSH_OK && hush_model_param_count(m) != v->np) rc = HUSH_ESHAPE;
    hush_fl_quant q;
    if (rc == HUSH_OK)
        rc = hush_fl_quant_init(&q, v->terms.bits, v->terms.max_participants, (double)v->terms.max_rows * v->terms.clip, 0);
    if (rc == HUSH_OK) {
        double bound = (double)v->contributions / q.scale / v->wsum * v->terms.server_lr + 1e-6, err = 0, upd = 0;
        const float *np_ = hush_model_params(m);
        for (size_t j = 0; j < v->np; j++) {
            double want = (double)v->global[j] + v->terms.server_lr * v->want[j] / v->wsum;
            double e = fabs((double)np_[j] - want);
            if (e > err) err = e;
            double u = fabs(v->terms.server_lr * v->want[j] / v->wsum);
            if (u > upd) upd = u;
        }
        if (err > v->max_err) v->max_err = err;
        if (v->bound == 0 || bound > v->bound) v->bound = bound;
        if (upd > v->max_update) v->max_update = upd;
        if (err > bound) {
            cli_error("round %u: the global model differs from plaintext weighted FedAvg by %.3g (bound %.3g)", round,
                      err, bound);
            v->failed = 1;
        }
        /* a frozen head must come back bit for bit, not merely within the bound */
        size_t body = v->terms.freeze_head && hush_model_freeze_head(m, 1) == HUSH_OK ? hush_model_trainable_count(m) : v->np;
        for (size_t j = body; j < v->np; j++) {
            if (memcmp(&np_[j], &v->global[j], sizeof(float))) {
                cli_error("round %u: frozen head coordinate %zu moved", round, j);
                v->failed = 1;
                break;
            }
            v->frozen++;
        }
        v->checked++;
        v->round = 0; /* done with this round */
    }
    hush_model_free(m);
    free(file);
    return rc;
}

/* A federated round: shard and split once, no budget kept, train and set the input. */
static int fed_round(cli_peer *p, const hush_net_event *ev, part *s) {
    fed_common *f = s->fed;
    if (ev->task_kind != HUSH_NET_TASK_FEDAVG) {
        cli_error("--fedavg: the task is not a federated task");
        return HUSH_ESTATE;
    }
    int rc = HUSH_OK;
    if (!s->shard) {
        hush_rng base, r;
        if ((rc = hush_rng_init_u64(&base, f->shard_seed)) == HUSH_OK) rc = hush_rng_derive(&r, &base, "shard");
        hush_rng_clear(&base);
        if (rc == HUSH_OK) rc = hush_dataset_shard(&s->shard, &r, f->data, f->shards, s->index % f->shards, f->labels_per_part, NULL);
        if (rc == HUSH_OK && f->uneven && s->index + 1 < f->n) { /* keep (i + 1) / n of it */
            hush_dataset *kept = NULL, *rest = NULL;
            rc = hush_dataset_split(&kept, &rest, &r, s->shard, 1.0 - (double)(s->index + 1) / (double)f->n, NULL);
            hush_dataset_free(rest);
            if (rc == HUSH_OK) {
                hush_dataset_free(s->shard);
                s->shard = kept;
            }
        }
        hush_rng_clear(&r);
        if (rc == HUSH_OK) rc = hush_net_client_fl_split(p->client, &s->train, &s->validation, s->shard, NULL);
        if (rc) {
            cli_error("participant %u: cannot shard or split the data: %s", s->index, hush_strerror(rc));
            return rc;
        }
    }
    int declined = 0;
    if ((rc = hush_net_client_fl_charge(p->client, NULL, &declined, hush_dataset_rows(s->train)))) return rc;
    hush_rng rng;
    if (f->seeded) seeded_rng(&rng, f->seed + s->index, ev->round);
    hush_federated_report rep;
    double t0 = mono();
    rc = hush_net_client_fl_contribute(p->client, f->seeded ? &rng : NULL, &rep, s->train, s->validation, NULL);
    double dt = mono() - t0;
    if (f->seeded) hush_rng_clear(&rng);
    if (rc) {
        cli_error("participant %u, round %u: local training failed: %s", s->index, ev->round, hush_strerror(rc));
        return rc;
    }
    f->train_seconds += dt;
    if (dt > f->train_max) f->train_max = dt;
    f->contributions++;
    if (f->v.on && (rc = verify_add(&f->v, p, s, ev->round))) return rc;
    return 0;
}

static int on_event(cli_peer *p, const hush_net_event *ev, void *ud) {
    part *s = ud;
    if (s->fed && ev->kind == HUSH_NET_EV_ROUND) return fed_round(p, ev, s);
    if (s->fed && ev->kind == HUSH_NET_EV_RESULT && ev->status == HUSH_NET_ROUND_COMMITTED && s->fed->v.on) {
        int rc = verify_check(&s->fed->v, p, ev->round);
        if (rc) return rc;
    }
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

int main(int argc, char **argv) {
    static const char *const flags[] = {"json", "fedavg", "verify", "uneven", NULL};
    cli_prog = "hush-swarm";
    cli_args a;
    if (cli_parse(&a, argc - 1, argv + 1, flags)) return CLI_EXIT_USAGE;
    const char *url = cli_str(&a, "url", NULL), *task = cli_str(&a, "task", NULL);
    const char *tokens = cli_str(&a, "tokens", NULL);
    int json = cli_flag(&a, "json");
    uint64_t rounds, drop_every, drop_stage, shards, lpp;
    double timeout, idle;
    fed_common fed;
    memset(&fed, 0, sizeof fed);
    fed.on = cli_flag(&a, "fedavg");
    fed.v.on = cli_flag(&a, "verify");
    fed.uneven = cli_flag(&a, "uneven");
    fed.seeded = cli_str(&a, "seed", NULL) != NULL;
    const char *data = cli_str(&a, "data", NULL), *format = cli_str(&a, "format", NULL), *model_out = cli_str(&a, "out", NULL);
    if (cli_u64(&a, "rounds", 1, 0, 1u << 30, &rounds) || cli_f64(&a, "timeout", 120, 0, 1e6, &timeout) ||
        cli_u64(&a, "drop-every", 0, 0, 1u << 30, &drop_every) || cli_u64(&a, "drop-stage", 2, 0, 4, &drop_stage) ||
        cli_f64(&a, "idle", 0, 0, 1e6, &idle) || cli_u64(&a, "shards", 0, 0, 1u << 24, &shards) ||
        cli_u64(&a, "labels-per-part", 0, 0, 1024, &lpp) || cli_u64(&a, "shard-seed", 1, 0, UINT64_MAX, &fed.shard_seed) ||
        cli_u64(&a, "seed", 0, 0, UINT64_MAX, &fed.seed) || cli_done(&a))
        return CLI_EXIT_USAGE;
    if (fed.on != (data != NULL) || (fed.v.on && (!fed.on || !fed.seeded)) || (model_out && !fed.on)) {
        cli_error("--fedavg goes with --data FILE; --verify needs --fedavg and --seed; --out needs --fedavg");
        return CLI_EXIT_USAGE;
    }
    if (idle > 0) timeout = idle;
    if (!url || !tokens || (!task && idle <= 0)) {
        cli_error("needs --url, --tokens and --task (or --idle)");
        return CLI_EXIT_USAGE;
    }
    if (hush_init() != HUSH_OK) return CLI_EXIT_FAIL;
    if (fed.on && cli_load_dataset(&fed.data, data, format)) return CLI_EXIT_FAIL;
    double cpu_load = cpu_seconds(); /* reading the data, apart from the rounds */
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
        parts[n].fed = fed.on ? &fed : NULL;
        peers[n].drop_at = drop_every && n % drop_every == 0 ? (int)drop_stage : -1;
        peers[n].on_event = on_event;
        n++;
    }
    for (size_t i = 0; i < n; i++) peers[i].ud = &parts[i]; /* parts has stopped moving */
    free(text);
    fed.shards = shards ? (uint32_t)shards : (uint32_t)n;
    fed.labels_per_part = (uint32_t)lpp;
    fed.n = n;
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
    if (fed.on && model_out && n && st == HUSH_OK) { /* participant 0's final global model */
        size_t ml;
        uint8_t *m = client_model(peers[0].client, &ml, NULL);
        if (!m || cli_write_file(model_out, m, ml)) st = HUSH_EIO;
        free(m);
    }
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
        hush_dataset_free(parts[i].shard);
        hush_dataset_free(parts[i].train);
        hush_dataset_free(parts[i].validation);
    }
    double cpu = cpu_seconds();
    if (json && fed.on) {
        printf("{\"train_seconds\":%.3f,\"train_max\":%.4f,\"contributions\":%llu,\"cpu_load_seconds\":%.3f",
               fed.train_seconds, fed.train_max, (unsigned long long)fed.contributions, cpu_load);
        if (fed.v.on)
            printf(",\"verify_rounds\":%u,\"verify_max_error\":%.3g,\"verify_bound\":%.3g,\"verify_max_update\":%.3g,"
                   "\"verify_frozen\":%zu,\"verify_ok\":%s",
                   fed.v.checked, fed.v.max_err, fed.v.bound, fed.v.max_update, fed.v.frozen,
                   !fed.v.failed && fed.v.checked ? "true" : "false");
        printf(",");
    } else if (json) {
        printf("{");
    }
    if (json)
        printf("\"participants\":%zu,\"finished\":%u,\"cpu_seconds\":%.3f,\"committed_min\":%u,\"committed_max\":%u,\"seconds\":%.3f,"
               "\"bytes_in_per_client\":%.0f,\"bytes_out_per_client\":%.0f,\"bytes_in_max\":%llu,"
               "\"bytes_out_max\":%llu,\"status\":%d}\n",
               n, ok, cpu, n ? cmin : 0, cmax, secs, n ? (double)in / (double)n : 0, n ? (double)out / (double)n : 0,
               (unsigned long long)in_max, (unsigned long long)out_max, st);
    else
        printf("%u of %zu participants finished in %.2f s (committed rounds %u-%u)\n", ok, n, secs, cmin, cmax);
    free(peers);
    free(parts);
    hush_dataset_free(fed.data);
    free(fed.v.global);
    free(fed.v.want);
    int verified = !fed.v.on || (!fed.v.failed && fed.v.checked);
    return st == HUSH_OK && ok == n && verified ? 0 : 1;
}
