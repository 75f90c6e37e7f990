/* hush-server: the aggregator's command line. `serve` runs the event loop; the other commands read
 * or change the database directly (SQLite serialises them with a running server). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* realpath */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"
#include "federated.h"
#include "hush/secagg.h"
#include "hush/train.h"
#include "net.h"
#include "store.h"

static const char usage[] =
    "usage: hush-server <command> [options]\n"
    "\n"
    "  serve   --db FILE --port P [--host ADDR] [--static DIR [--static-allow /A/,/B/...]] [--tls-cert F --tls-key F]\n"
    "          [--max-message BYTES] [--max-connections N] [--idle-timeout S] [--log-level L]\n"
    "          [--max-queue BYTES] (a client behind by more than this is dropped; default --max-message)\n"
    "          ws(s)://HOST:P/ws (subprotocol hush.v1), GET /api/status, files under --static\n"
    "          [--dealer [--identity FILE]] the MPC dealer of p2p sessions (hush/p2p.h) with this\n"
    "          identity (created, mode 0600, if missing; without --identity a fresh one per run)\n"
    "  enroll  --db FILE --name NAME [--expires SECONDS] [--count N]   prints a one-time enrolment token\n"
    "          (--count: tokens for NAME-0 .. NAME-(N-1), a \"name token\" line each)\n"
    "  revoke  --db FILE --name NAME\n"
    "  task create --db FILE --name TASK --kind sum --dim D --clients N --threshold T [--bits K]\n"
    "          [--neighbours DEG] [--max-corrupt C] [--rounds R] [--deadline SECONDS] [--interval SECONDS]\n"
    "  task create --db FILE --name TASK --kind fedavg --model SPEC --input-size N --classes C --rounds R\n"
    "          --clients N --threshold T [--neighbours DEG] --local-epochs E --local-batch B --lr LR\n"
    "          [--optimizer sgd|momentum|adam] [--server-optimizer fedavg|fedadam] [--server-lr LR]\n"
    "          [--freeze-head] (train the body, the classifier stays at its initial values: label skew)\n"
    "          [--privacy none|record|user] [--clip C --noise-multiplier Z] [--metric-noise M]\n"
    "          [--delta D] [--bounds FILE] [--seed S] [--deadline SECONDS] [--interval SECONDS]\n"
    "          (--deadline: seconds per stage and to gather; --interval: least seconds between rounds)\n"
    "  model   --db FILE --task TASK [--round R] --out FILE   a global model version (default latest)\n"
    "  status  --db FILE [--json]\n"
    "  result  --db FILE --task TASK --round R --out FILE.csv\n"
    "  rounds  --db FILE --task TASK        every attempt at the task's rounds, as JSON\n"
    "  check   --db FILE                    SQLite's integrity check\n"
    "  audit   --db FILE [--since ID]       the audit log, one JSON object per line\n";

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The database of --db, opened only once every option is known (cli_done): a mistyped option
 * never creates a database file. */
static int open_store(srv_store **st, cli_args *a) {
    const char *db = cli_str(a, "db", NULL);
    int rc = cli_done(a);
    if (rc) return rc;
    if (!db) {
        cli_error("--db FILE is required");
        return CLI_EXIT_USAGE;
    }
    if (srv_store_open(st, db) != HUSH_OK) {
        cli_error("cannot open the database '%s'", db);
        return CLI_EXIT_FAIL;
    }
    return 0;
}

static int valid_name(const char *opt, const char *v) {
    size_t n = v ? strlen(v) : 0;
    int ok = n > 0 && n <= HUSH_NET_NAME_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
             v[i] == '.' || v[i] == '_' || v[i] == '-';
    if (!ok) cli_error("--%s must be 1-64 characters of [A-Za-z0-9._-]", opt);
    return ok;
}

static void on_ready(int port, void *ud) {
    (void)ud;
    printf("hush-server: listening on port %d\n", port);
    fflush(stdout);
}

/* The dealer's identity file: loaded, or created (mode 0600, never overwritten) when missing. */
static int dealer_identity(const char *path, uint8_t sk[HUSH_NET_SECRET_KEY_BYTES]) {
    uint8_t file[HUSH_NET_IDENTITY_FILE_BYTES];
    size_t len = 0;
    if (!path) return hush_net_identity_generate(sk) == HUSH_OK ? 0 : CLI_EXIT_FAIL;
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, file, sizeof file);
        char extra;
        int more = n == (ssize_t)sizeof file && read(fd, &extra, 1) > 0;
        close(fd);
        int rc = n < 0 || more ? HUSH_EFORMAT : hush_net_identity_load(sk, file, (size_t)n);
        sodium_memzero(file, sizeof file);
        if (rc) cli_error("%s: not a usable identity file: %s", path, hush_strerror(rc));
        return rc ? CLI_EXIT_FAIL : 0;
    }
    int rc = hush_net_identity_generate(sk);
    if (rc == HUSH_OK) rc = hush_net_identity_save(file, sizeof file, &len, sk);
    fd = rc == HUSH_OK ? open(path, O_WRONLY | O_CREAT | O_EXCL, 0600) : -1;
    int ok = fd >= 0 && write(fd, file, len) == (ssize_t)len && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0) ok = 0;
    sodium_memzero(file, sizeof file);
    if (!ok) cli_error("cannot write the identity file '%s'", path);
    return ok ? 0 : CLI_EXIT_FAIL;
}

static int cmd_serve(int argc, char **argv) {
    static const char *const serve_flags[] = {"dealer", NULL};
    cli_args a;
    int rc = cli_parse(&a, argc, argv, serve_flags);
    if (rc) return rc;
    int dealer = cli_flag(&a, "dealer");
    const char *identity = cli_str(&a, "identity", NULL);
    uint8_t dealer_sk[HUSH_NET_SECRET_KEY_BYTES];
    srv_net_config cfg;
    memset(&cfg, 0, sizeof cfg);
    srv_limits lim;
    srv_limits_default(&lim);
    uint64_t port, max_message, max_conn, idle, level, max_queue;
    cfg.host = cli_str(&a, "host", "127.0.0.1");
    cfg.static_root = cli_str(&a, "static", NULL);
    cfg.static_allow = cli_str(&a, "static-allow", NULL);
    if (cfg.static_allow && !cfg.static_root) {
        cli_error("--static-allow goes with --static DIR");
        return CLI_EXIT_USAGE;
    }
    cfg.tls_cert = cli_str(&a, "tls-cert", NULL);
    cfg.tls_key = cli_str(&a, "tls-key", NULL);
    if ((rc = cli_u64(&a, "port", 8080, 0, 65535, &port)) ||
        (rc = cli_u64(&a, "max-message", HUSH_NET_DEFAULT_MAX_MESSAGE, 1024, 1u << 30, &max_message)) ||
        (rc = cli_u64(&a, "max-connections", 4096, 1, 1000000, &max_conn)) ||
        (rc = cli_u64(&a, "idle-timeout", 60, 1, 65535, &idle)) || (rc = cli_u64(&a, "log-level", 1, 0, 3, &level)) ||
        (rc = cli_u64(&a, "max-queue", 0, 0, 1ull << 34, &max_queue)))
        return rc;
    if (identity && !dealer) {
        cli_error("--identity is the dealer's: it goes with --dealer");
        return CLI_EXIT_USAGE;
    }
    if (!!cfg.tls_cert != !!cfg.tls_key) {
        cli_error("--tls-cert and --tls-key go together");
        return CLI_EXIT_USAGE;
    }
    char root[4096];
    if (cfg.static_root) {
        if (!realpath(cfg.static_root, root)) {
            cli_error("--static '%s' does not exist", cfg.static_root);
            return CLI_EXIT_USAGE;
        }
        cfg.static_root = root;
    }
    cfg.port = (int)port;
    cfg.max_message = (size_t)max_message;
    cfg.max_connections = (uint32_t)max_conn;
    cfg.idle_timeout = (uint32_t)idle;
    cfg.log_level = (int)level;
    cfg.max_queue = max_queue ? (size_t)max_queue : cfg.max_message;
    lim.max_message = cfg.max_message;
    lim.max_queue = cfg.max_queue;
    lim.max_connections = cfg.max_connections;
    if (lim.max_unauthenticated > lim.max_connections) lim.max_unauthenticated = lim.max_connections;
    srv_store *st;
    if ((rc = open_store(&st, &a))) return rc;
    /* One server per database: a second one would abandon the first one's rounds. flock() is
     * independent of SQLite's own (fcntl) locks on the same file. */
    int lock = open(cli_str(&a, "db", NULL), O_RDWR);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
        cli_error("another hush-server is serving '%s'", cli_str(&a, "db", NULL));
        if (lock >= 0) close(lock);
        srv_store_close(st);
        return CLI_EXIT_FAIL;
    }
    if (srv_store_recover(st, wall_now()) != HUSH_OK) {
        cli_error("cannot recover the database: %s", srv_store_errmsg(st));
        close(lock);
        srv_store_close(st);
        return CLI_EXIT_FAIL;
    }
    /* One descriptor per connection: lift the soft limit to what was asked for. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < max_conn + 64) {
        rl.rlim_cur = rl.rlim_max < max_conn + 64 ? rl.rlim_max : max_conn + 64;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (dealer && (rc = dealer_identity(identity, dealer_sk))) {
        close(lock);
        srv_store_close(st);
        return rc;
    }
    if (dealer) {
        uint8_t pk[HUSH_NET_PUBLIC_KEY_BYTES];
        char hexpk[2 * sizeof pk + 1];
        if (hush_net_identity_public(pk, dealer_sk) == HUSH_OK) {
            sodium_bin2hex(hexpk, sizeof hexpk, pk, sizeof pk);
            srv_store_audit(st, wall_now(), "server", "dealer", hexpk);
        }
    }
    rc = srv_net_run(&cfg, st, &lim, dealer ? dealer_sk : NULL, on_ready, NULL);
    sodium_memzero(dealer_sk, sizeof dealer_sk);
    srv_store_close(st);
    close(lock);
    return rc ? CLI_EXIT_FAIL : 0;
}

static int cmd_enroll(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, NULL);
    if (rc) return rc;
    const char *name = cli_str(&a, "name", NULL);
    uint64_t expires, count;
    if ((rc = cli_u64(&a, "expires", 86400, 1, 10ull * 365 * 86400, &expires)) ||
        (rc = cli_u64(&a, "count", 0, 0, 1000000, &count)))
        return rc;
    if (!valid_name("name", name) || (count && strlen(name) > HUSH_NET_NAME_MAX - 8)) return CLI_EXIT_USAGE;
    srv_store *st;
    if ((rc = open_store(&st, &a))) return rc;
    uint8_t token[HUSH_NET_TOKEN_BYTES];
    double now = wall_now();
    /* --count N: tokens for NAME-0 .. NAME-(N-1), one "name token" line each (fleets, load tests). */
    for (uint64_t i = 0; rc == 0 && i < (count ? count : 1); i++) {
        char nm[HUSH_NET_NAME_MAX + 1];
        snprintf(nm, sizeof nm, count ? "%s-%llu" : "%s", name, (unsigned long long)i);
        rc = srv_store_enroll(st, nm, now, (double)expires, token);
        if (rc != HUSH_OK) {
            cli_error("cannot issue a token: %s", srv_store_errmsg(st));
            break;
        }
        if (count) printf("%s ", nm);
        for (size_t k = 0; k < sizeof token; k++) printf("%02x", token[k]);
        printf("\n");
        srv_store_audit(st, now, "cli", "token-issued", nm);
    }
    memset(token, 0, sizeof token);
    srv_store_close(st);
    return rc ? CLI_EXIT_FAIL : 0;
}

static int cmd_revoke(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, NULL);
    if (rc) return rc;
    const char *name = cli_str(&a, "name", NULL);
    if (!valid_name("name", name)) return CLI_EXIT_USAGE;
    srv_store *st;
    if ((rc = open_store(&st, &a))) return rc;
    double now = wall_now();
    rc = srv_store_revoke(st, name, now);
    if (rc == HUSH_OK) srv_store_audit(st, now, "cli", "revoked", name);
    else cli_error(rc == HUSH_EARG ? "no enrolled identity '%s'" : "cannot revoke '%s'", name);
    srv_store_close(st);
    return rc ? CLI_EXIT_FAIL : 0;
}

/* A federated task's terms from the options (hush/federated.h). */
static int fed_terms(cli_args *a, hush_federated_task *ft, uint32_t clients, uint32_t thr) {
    const char *privacy = cli_str(a, "privacy", "none"), *opt = cli_str(a, "optimizer", "sgd");
    const char *sopt = cli_str(a, "server-optimizer", "fedavg");
    uint32_t p = !strcmp(privacy, "none") ? HUSH_FEDERATED_PRIVACY_NONE
                 : !strcmp(privacy, "record") ? HUSH_FEDERATED_PRIVACY_RECORD
                 : !strcmp(privacy, "user") ? HUSH_FEDERATED_PRIVACY_USER : 0;
    uint32_t o = !strcmp(opt, "sgd") ? HUSH_OPTIM_SGD : !strcmp(opt, "momentum") ? HUSH_OPTIM_MOMENTUM
                 : !strcmp(opt, "adam") ? HUSH_OPTIM_ADAM : 99;
    uint32_t so = !strcmp(sopt, "fedavg") ? HUSH_FEDERATED_FEDAVG : !strcmp(sopt, "fedadam") ? HUSH_FEDERATED_FEDADAM : 0;
    if (!p || o == 99 || !so) {
        cli_error("--privacy none|record|user, --optimizer sgd|momentum|adam, --server-optimizer fedavg|fedadam");
        return CLI_EXIT_USAGE;
    }
    double lr;
    int rc = cli_f64(a, "lr", 0.1, 0, 1e6, &lr);
    if (rc) return rc;
    if (hush_federated_task_init(ft, p, clients, thr, lr) != HUSH_OK) {
        cli_error("invalid federated terms for %u clients, threshold %u", clients, thr);
        return CLI_EXIT_USAGE;
    }
    uint64_t epochs, batch, bits, max_rows;
    ft->optimizer = o;
    ft->server_optimizer = so;
    if ((rc = cli_u64(a, "local-epochs", 1, 1, 1000, &epochs)) || (rc = cli_u64(a, "local-batch", 32, 1, HUSH_MODEL_MAX_BATCH, &batch)) ||
        (rc = cli_f64(a, "server-lr", so == HUSH_FEDERATED_FEDADAM ? 0.01 : 1.0, 1e-9, 1e6, &ft->server_lr)) ||
        (rc = cli_f64(a, "clip", ft->clip, 1e-9, 1e6, &ft->clip)) ||
        (rc = cli_f64(a, "noise-multiplier", ft->noise_multiplier, 0, 1e4, &ft->noise_multiplier)) ||
        (rc = cli_f64(a, "metric-noise", ft->metric_noise, 0, 1e4, &ft->metric_noise)) ||
        (rc = cli_f64(a, "delta", ft->delta, 1e-300, 0.5, &ft->delta)) ||
        (rc = cli_f64(a, "validation-fraction", ft->validation_fraction, 0, 0.9, &ft->validation_fraction)) ||
        (rc = cli_u64(a, "bits", ft->bits, 8, 32, &bits)) ||
        (rc = cli_u64(a, "max-rows", ft->max_rows, 1, 1u << 24, &max_rows)))
        return rc;
    ft->local_epochs = (uint32_t)epochs;
    ft->local_batch = (uint32_t)batch;
    ft->bits = (uint32_t)bits;
    ft->max_rows = (uint32_t)max_rows;
    ft->freeze_head = (uint32_t)cli_flag(a, "freeze-head");
    if ((rc = hush_federated_task_check(ft)) != HUSH_OK) {
        cli_error("invalid federated terms: %s (privacy record|user needs --noise-multiplier > 0)", hush_strerror(rc));
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int cmd_task(int argc, char **argv) {
    if (argc < 1 || strcmp(argv[0], "create")) {
        cli_error("usage: hush-server task create --db FILE --name TASK --kind sum|fedavg ...");
        return CLI_EXIT_USAGE;
    }
    static const char *const flags[] = {"freeze-head", NULL};
    cli_args a;
    int rc = cli_parse(&a, argc - 1, argv + 1, flags);
    if (rc) return rc;
    srv_task t;
    memset(&t, 0, sizeof t);
    const char *name = cli_str(&a, "name", NULL), *kind = cli_str(&a, "kind", NULL);
    uint64_t dim = 0, clients, thr, bits = 32, nb, mc, rounds, in = 0, classes = 0, seed = 0;
    double deadline, interval;
    if (!valid_name("name", name)) return CLI_EXIT_USAGE;
    int fed = kind && !strcmp(kind, "fedavg");
    if (!kind || (strcmp(kind, "sum") && !fed)) {
        cli_error("--kind must be sum or fedavg");
        return CLI_EXIT_USAGE;
    }
    if ((rc = cli_u64(&a, "clients", 0, 2, HUSH_SECAGG_MAX_CLIENTS, &clients)) ||
        (rc = cli_u64(&a, "threshold", 0, 1, HUSH_SECAGG_MAX_CLIENTS, &thr)) ||
        (rc = cli_u64(&a, "neighbours", 0, 0, HUSH_SECAGG_MAX_CLIENTS, &nb)) ||
        (rc = cli_u64(&a, "max-corrupt", 0, 0, HUSH_SECAGG_MAX_CLIENTS, &mc)) ||
        (rc = cli_u64(&a, "rounds", 0, 0, UINT32_MAX, &rounds)) ||
        (rc = cli_f64(&a, "deadline", 30.0, 0.05, 86400.0, &deadline)) ||
        (rc = cli_f64(&a, "interval", 0.0, 0.0, 86400.0, &interval)))
        return rc;
    if (!clients || !thr) {
        cli_error("--clients and --threshold are required");
        return CLI_EXIT_USAGE;
    }
    hush_federated_task ft;
    uint8_t *model = NULL;
    size_t model_len = 0;
    if (fed) {
        /* the model's description, the terms, and the initial global model (version 0) */
        const char *spec = cli_str(&a, "model", NULL), *bpath = cli_str(&a, "bounds", NULL);
        int has_seed = cli_str(&a, "seed", NULL) != NULL;
        if ((rc = cli_u64(&a, "input-size", 0, 1, HUSH_DATA_MAX_COLS, &in)) ||
            (rc = cli_u64(&a, "classes", 0, 2, HUSH_DATA_MAX_CLASSES, &classes)) ||
            (rc = cli_u64(&a, "seed", 0, 0, UINT64_MAX, &seed)) || (rc = fed_terms(&a, &ft, (uint32_t)clients, (uint32_t)thr)))
            return rc;
        if (!spec || !in || !classes || strlen(spec) >= sizeof t.spec) {
            cli_error("--kind fedavg needs --model SPEC, --input-size N and --classes C");
            return CLI_EXIT_USAGE;
        }
        double *bounds = NULL;
        size_t nb_lines = 0;
        if (bpath) {
            size_t blen;
            unsigned char *text = cli_read_file(bpath, &blen);
            hush_parse_error err;
            bounds = text ? malloc(2 * (size_t)in * sizeof(double)) : NULL;
            rc = bounds ? hush_train_bounds_parse(bounds, in, &nb_lines, (const char *)text, blen, &err) : HUSH_EIO;
            free(text);
            if (rc) {
                cli_error("%s: %s", bpath, rc == HUSH_EFORMAT ? err.msg : "needs one 'lo hi' line per input feature");
                free(bounds);
                return CLI_EXIT_FAIL;
            }
        }
        size_t np = 0;
        rc = srv_fed_initial_model(spec, (uint32_t)in, (uint32_t)classes, has_seed ? &seed : NULL, bounds, nb_lines,
                                   &model, &model_len, &np);
        free(bounds);
        if (rc) {
            cli_error("cannot create the initial model (%s over %llu inputs, %llu classes%s): %s", spec,
                      (unsigned long long)in, (unsigned long long)classes, bpath ? ", one bounds line per input" : "",
                      hush_strerror(rc));
            return CLI_EXIT_USAGE;
        }
        dim = hush_federated_dim(np);
        bits = ft.bits;
        size_t w;
        if ((rc = hush_federated_task_encode(t.fl, sizeof t.fl, &w, &ft))) {
            free(model);
            return CLI_EXIT_FAIL;
        }
        snprintf(t.spec, sizeof t.spec, "%s", spec);
        t.input_size = (uint32_t)in;
        t.classes = (uint32_t)classes;
    } else if ((rc = cli_u64(&a, "dim", 0, 1, HUSH_SECAGG_MAX_DIM, &dim)) || (rc = cli_u64(&a, "bits", 32, 1, 32, &bits))) {
        return rc;
    } else if (!dim) {
        cli_error("--kind sum needs --dim");
        return CLI_EXIT_USAGE;
    }
    /* The largest round must be a valid secure-aggregation configuration. */
    hush_secagg_config cfg;
    rc = hush_secagg_config_init(&cfg, (uint32_t)clients, (uint32_t)thr, (uint32_t)mc, (uint32_t)dim);
    if (rc == HUSH_OK) {
        cfg.bits = (uint32_t)bits;
        cfg.neighbours = (uint32_t)nb;
        cfg.authenticated = 1;
        cfg.session[0] = 1; /* any non-zero session: the server draws a fresh one per round */
        rc = hush_secagg_config_check(&cfg);
    }
    if (rc != HUSH_OK || mc >= thr) {
        cli_error("invalid secure-aggregation configuration (clients %llu, threshold %llu, neighbours %llu, "
                  "max-corrupt %llu): %s",
                  (unsigned long long)clients, (unsigned long long)thr, (unsigned long long)nb,
                  (unsigned long long)mc,
                  rc ? "it needs 2 threshold > neighbourhood + max-corrupt and threshold - max-corrupt >= 2"
                     : "max-corrupt must be below the threshold");
        free(model);
        return CLI_EXIT_USAGE;
    }
    snprintf(t.name, sizeof t.name, "%s", name);
    snprintf(t.kind, sizeof t.kind, "%s", kind);
    t.dim = (uint32_t)dim;
    t.clients = (uint32_t)clients;
    t.threshold = (uint32_t)thr;
    t.bits = (uint32_t)bits;
    t.neighbours = (uint32_t)nb;
    t.max_corrupt = (uint32_t)mc;
    t.rounds = (uint32_t)rounds;
    t.deadline = deadline;
    t.interval = interval;
    srv_store *st;
    if ((rc = open_store(&st, &a))) {
        free(model);
        return rc;
    }
    double now = wall_now();
    rc = srv_store_task_create(st, &t, model, model_len, now);
    free(model);
    if (rc == HUSH_OK) srv_store_audit(st, now, "cli", "task-created", t.name);
    else cli_error(rc == HUSH_EARG ? "a task named '%s' exists" : "cannot create task '%s'", t.name);
    srv_store_close(st);
    return rc ? CLI_EXIT_FAIL : 0;
}

/* `hush-server model`: a committed global model version, as a model file. */
static int cmd_model(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, NULL);
    if (rc) return rc;
    const char *task = cli_str(&a, "task", NULL), *out = cli_str(&a, "out", NULL);
    int has_round = cli_str(&a, "round", NULL) != NULL;
    uint64_t round;
    if ((rc = cli_u64(&a, "round", 0, 0, UINT32_MAX, &round))) return rc;
    if (!valid_name("task", task)) return CLI_EXIT_USAGE;
    if (!out) {
        cli_error("--out FILE is required");
        return CLI_EXIT_USAGE;
    }
    srv_store *st;
    if ((rc = open_store(&st, &a))) return rc;
    uint8_t *model = NULL;
    size_t len = 0;
    uint32_t got = 0;
    rc = srv_store_model_get(st, task, has_round ? (int64_t)round : -1, &model, &len, NULL, NULL, &got);
    srv_store_close(st);
    if (rc) {
        cli_error(has_round ? "task '%s' has no model of round %llu" : "task '%s' has no model", task,
                  (unsigned long long)round);
        return CLI_EXIT_FAIL;
    }
    rc = cli_write_file(out, model, len);
    free(model);
    return rc;
}

static int cmd_status(int argc, char **argv) {
    static const char *const flags[] = {"json", NULL};
    cli_args a;
    int rc = cli_parse(&a, argc, argv, flags);
    if (rc) return rc;
    (void)cli_flag(&a, "json"); /* the status is JSON either way */
    srv_store *st;
    if ((rc = open_store(&st, &a))) return rc;
    char *json = NULL;
    size_t len = 0;
    rc = srv_store_status_json(st, 0, &json, &len);
    if (rc == HUSH_OK) printf("%s\n", json);
    free(json);
    srv_store_close(st);
    return rc ? CLI_EXIT_FAIL : 0;
}

/* `rounds`: every attempt of a task's rounds; `check`: SQLite's integrity check. */
static int cmd_rounds(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, NULL);
    if (rc) return rc;
    const char *task = cli_str(&a, "task", NULL);
    if (!valid_name("task", task)) return CLI_EXIT_USAGE;
    srv_store *st;
    if ((rc = open_store(&st, &a))) return rc;
    char *json = NULL;
    size_t len;
    rc = srv_store_rounds_json(st, task, &json, &len);
    if (rc == HUSH_OK) printf("%s\n", json);
    free(json);
    srv_store_close(st);
    return rc ? CLI_EXIT_FAIL : 0;
}

static void print_line(void *ud, const char *line) {
    (void)ud;
    printf("%s\n", line);
}

static int cmd_audit(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, NULL);
    if (rc) return rc;
    uint64_t since;
    if ((rc = cli_u64(&a, "since", 0, 0, INT64_MAX, &since))) return rc;
    srv_store *st;
    if ((rc = open_store(&st, &a))) return rc;
    rc = srv_store_audit_each(st, (int64_t)since, print_line, NULL);
    srv_store_close(st);
    return rc ? CLI_EXIT_FAIL : 0;
}

static int cmd_check(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, NULL);
    if (rc) return rc;
    srv_store *st;
    if ((rc = open_store(&st, &a))) return rc;
    char res[256];
    rc = srv_store_integrity(st, res, sizeof res);
    srv_store_close(st);
    printf("{\"integrity\":\"%s\"}\n", strcmp(res, "ok") ? "damaged" : "ok");
    if (strcmp(res, "ok")) cli_error("integrity check: %s", res);
    return rc || strcmp(res, "ok") ? CLI_EXIT_FAIL : 0;
}

static int cmd_result(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, argc, argv, NULL);
    if (rc) return rc;
    const char *task = cli_str(&a, "task", NULL), *out = cli_str(&a, "out", NULL);
    uint64_t round;
    if ((rc = cli_u64(&a, "round", 0, 1, UINT32_MAX, &round))) return rc;
    if (!valid_name("task", task)) return CLI_EXIT_USAGE;
    if (!out || !round) {
        cli_error("--round R and --out FILE.csv are required");
        return CLI_EXIT_USAGE;
    }
    srv_store *st;
    if ((rc = open_store(&st, &a))) return rc;
    srv_task t;
    uint32_t dim = 0, *sum = NULL;
    rc = srv_store_task_get(st, task, &t);
    if (rc == HUSH_OK && !(sum = malloc((size_t)t.dim * 4 + 4))) rc = HUSH_ENOMEM;
    if (rc == HUSH_OK) rc = srv_store_result(st, task, (uint32_t)round, sum, t.dim, &dim);
    srv_store_close(st);
    if (rc != HUSH_OK) {
        free(sum);
        cli_error(rc == HUSH_EARG ? "no committed round %llu of task '%s'" : "cannot read round %llu of '%s'",
                  (unsigned long long)round, task);
        return CLI_EXIT_FAIL;
    }
    size_t cap = (size_t)dim * 11 + 2, len = 0;
    char *text = malloc(cap);
    if (!text) {
        free(sum);
        return CLI_EXIT_FAIL;
    }
    for (uint32_t i = 0; i < dim; i++) len += (size_t)snprintf(text + len, cap - len, i ? ",%u" : "%u", sum[i]);
    text[len++] = '\n';
    rc = cli_write_file(out, (const uint8_t *)text, len);
    free(text);
    free(sum);
    return rc;
}

int main(int argc, char **argv) {
    cli_prog = "hush-server";
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        }
    if (hush_init() != HUSH_OK) {
        cli_error("cannot initialise libsodium");
        return CLI_EXIT_FAIL;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "serve")) return cmd_serve(argc - 2, argv + 2);
    if (!strcmp(cmd, "enroll")) return cmd_enroll(argc - 2, argv + 2);
    if (!strcmp(cmd, "revoke")) return cmd_revoke(argc - 2, argv + 2);
    if (!strcmp(cmd, "task")) return cmd_task(argc - 2, argv + 2);
    if (!strcmp(cmd, "status")) return cmd_status(argc - 2, argv + 2);
    if (!strcmp(cmd, "result")) return cmd_result(argc - 2, argv + 2);
    if (!strcmp(cmd, "model")) return cmd_model(argc - 2, argv + 2);
    if (!strcmp(cmd, "rounds")) return cmd_rounds(argc - 2, argv + 2);
    if (!strcmp(cmd, "check")) return cmd_check(argc - 2, argv + 2);
    if (!strcmp(cmd, "audit")) return cmd_audit(argc - 2, argv + 2);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("hush-server %s\n", hush_version());
        return 0;
    }
    cli_error("unknown command '%s' (try 'hush-server help')", cmd);
    return CLI_EXIT_USAGE;
}
