/* `hush fl join`: one native participant of a hush-server federated task (hush/federated.h).
 *
 * Every round the participant receives the global model and the task's terms, splits its own rows
 * once into training and validation rows (keyed by its identity: the same split every round and
 * after a restart), charges the round's privacy cost to its ledger and writes the ledger back to
 * disk BEFORE anything of the round is sent, trains locally with the training driver and sends
 * the update through secure aggregation. A round that would exceed the budget is declined (the
 * server is told; it is not a drop-out) and the participant leaves, since every later round costs
 * the same. It stops when the task ends or after --rounds committed rounds; --out saves the final
 * global model. Noise, sampling and shuffling come from the OS unless --seed is given (tests
 * only: the output then says it is not private).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "hush/federated.h"
#include "ledger.h"
#include "netclient.h"

typedef struct fl_state {
    const char *task, *out;
    hush_dataset *data, *train, *validation;
    cli_ledger ledger;     /* ledger.od NULL: no budget kept */
    int keep_ledger;       /* a ledger file (not only an in-memory budget) */
    int json, seeded, failed;
    uint64_t seed, rounds; /* rounds: committed rounds wanted, 0 = until the task ends */
    uint32_t committed, aborted, declined, contributed, last_round;
    hush_federated_report report; /* of the last contribution */
    hush_federated_task terms;
    int have_terms;
} fl_state;

static void spent(const fl_state *s, double *eps) {
    double lo = 0;
    *eps = 0;
    if (s->ledger.od && hush_odometer_spent(s->ledger.od, &lo, eps, hush_odometer_budget_delta(s->ledger.od)) != HUSH_OK)
        *eps = NAN;
}

/* One round: split (first time), charge and persist, then train and set the input. */
static int fl_round(cli_peer *p, const hush_net_event *ev, fl_state *s) {
    if (ev->task_kind != HUSH_NET_TASK_FEDAVG) {
        cli_error("task %s is not a federated task (use hush agg join)", s->task);
        return HUSH_ESTATE;
    }
    size_t ml = 0;
    int rc = hush_net_client_model(p->client, NULL, 0, &ml, &s->terms);
    if (rc != HUSH_ERANGE) return rc ? rc : HUSH_ESTATE;
    s->have_terms = 1;
    if (!s->train && (rc = hush_net_client_fl_split(p->client, &s->train, &s->validation, s->data, NULL))) {
        cli_error("cannot split the data for task %s: %s", s->task, hush_strerror(rc));
        return rc;
    }
    int declined = 0;
    size_t before = s->ledger.od ? hush_odometer_count(s->ledger.od) : 0;
    rc = hush_net_client_fl_charge(p->client, s->ledger.od, &declined, hush_dataset_rows(s->train));
    if (rc) {
        cli_error("round %u: cannot charge the privacy cost: %s", ev->round, hush_strerror(rc));
        return rc;
    }
    if (declined) {
        s->declined++;
        double eps;
        spent(s, &eps);
        if (!s->json)
            printf("round %u declined: it would exceed the privacy budget (epsilon %.4g spent of %g)\n", ev->round,
                   eps, hush_odometer_budget_epsilon(s->ledger.od));
        return 1; /* leave: the DECLINE goes out first */
    }
    /* the cost is on disk before anything of the round leaves */
    if (s->keep_ledger && hush_odometer_count(s->ledger.od) != before && cli_ledger_commit(&s->ledger)) {
        s->failed = 1; /* nothing is sent without the cost on disk */
        rc = hush_net_client_decline(p->client, HUSH_NET_DECLINE_ERROR);
        return rc ? rc : 1;
    }
    hush_rng rng, base;
    if (s->seeded) {
        char label[32];
        snprintf(label, sizeof label, "round %u", ev->round);
        if ((rc = hush_rng_init_u64(&base, s->seed)) == HUSH_OK) rc = hush_rng_derive(&rng, &base, label);
        hush_rng_clear(&base);
        if (rc) return rc;
    }
    rc = hush_net_client_fl_contribute(p->client, s->seeded ? &rng : NULL, &s->report, s->train, s->validation, NULL);
    if (s->seeded) hush_rng_clear(&rng);
    if (rc) {
        cli_error("round %u: local training failed: %s", ev->round, hush_strerror(rc));
        return rc;
    }
    s->contributed++;
    if (!s->json) {
        double eps;
        spent(s, &eps);
        printf("round %u: %u participants; the global model scored %.4f on %zu validation rows; trained on %zu "
               "rows",
               ev->round, ev->n, s->report.validation_accuracy, s->report.validation_rows, s->report.train_rows);
        if (s->ledger.od) printf("; epsilon %.4g spent of %g", eps, hush_odometer_budget_epsilon(s->ledger.od));
        printf("\n");
        fflush(stdout);
    }
    return 0;
}

static int save_model(cli_peer *p, fl_state *s) {
    size_t ml = 0;
    int rc = hush_net_client_model(p->client, NULL, 0, &ml, NULL);
    uint8_t *m = rc == HUSH_ERANGE ? malloc(ml) : NULL;
    rc = m ? hush_net_client_model(p->client, m, ml, &ml, NULL) : HUSH_ESTATE;
    if (rc == HUSH_OK) rc = cli_write_file(s->out, m, ml) ? HUSH_EIO : HUSH_OK;
    free(m);
    if (rc) cli_error("cannot save the global model to '%s': %s", s->out, hush_strerror(rc));
    return rc;
}

static int on_event(cli_peer *p, const hush_net_event *ev, void *ud) {
    fl_state *s = ud;
    switch (ev->kind) {
    case HUSH_NET_EV_ROUND: {
        int rc = fl_round(p, ev, s);
        if (rc < 0) s->failed = 1;
        return rc;
    }
    case HUSH_NET_EV_RESULT: {
        s->last_round = ev->round;
        int committed = ev->status == HUSH_NET_ROUND_COMMITTED;
        committed ? s->committed++ : s->aborted++;
        if (!s->json) printf("round %u %s\n", ev->round, committed ? "committed" : "aborted");
        fflush(stdout);
        int done = (s->rounds && s->committed >= s->rounds) || (ev->flags & 1);
        if (done && s->out && s->committed && save_model(p, s)) return HUSH_EIO;
        return done;
    }
    case HUSH_NET_EV_ERROR:
        if (!s->json || ev->code >= 4000) cli_error("server: %s (%d)", ev->text, ev->code);
        return 0;
    default:
        return 0;
    }
}

static void json_num(const char *key, double v) {
    if (isfinite(v))
        printf(",\"%s\":%.17g", key, v);
    else
        printf(",\"%s\":null", key);
}

int cmd_fl(int argc, char **argv) {
    static const char *const flags[] = {"json", NULL};
    if (argc < 1 || strcmp(argv[0], "join")) {
        cli_error("usage: hush fl join --url URL --name NAME --identity KEYFILE [--token T] --task TASK --data FILE\n"
                  "       [--format F] [--budget-epsilon E --delta D --ledger FILE] [--rounds R] [--out MODEL]\n"
                  "       [--pins FILE] [--ca CERT] [--timeout S] [--seed S] [--json]");
        return CLI_EXIT_USAGE;
    }
    cli_args a;
    int rc = cli_parse(&a, argc - 1, argv + 1, flags);
    if (rc) return rc;
    fl_state s;
    memset(&s, 0, sizeof s);
    const char *url = cli_str(&a, "url", NULL), *name = cli_str(&a, "name", NULL);
    const char *idp = cli_str(&a, "identity", NULL), *tok = cli_str(&a, "token", NULL);
    const char *data = cli_str(&a, "data", NULL), *format = cli_str(&a, "format", NULL);
    const char *ledger = cli_str(&a, "ledger", NULL), *ca = cli_str(&a, "ca", NULL), *pins = cli_str(&a, "pins", NULL);
    s.task = cli_str(&a, "task", NULL);
    s.out = cli_str(&a, "out", NULL);
    s.json = cli_flag(&a, "json");
    s.seeded = cli_str(&a, "seed", NULL) != NULL;
    double timeout, budget, delta;
    if ((rc = cli_u64(&a, "rounds", 0, 0, UINT32_MAX, &s.rounds)) || (rc = cli_u64(&a, "seed", 0, 0, UINT64_MAX, &s.seed)) ||
        (rc = cli_f64(&a, "timeout", 0, 0, 1e9, &timeout)) || (rc = cli_f64(&a, "budget-epsilon", NAN, 1e-9, 1e9, &budget)) ||
        (rc = cli_f64(&a, "delta", NAN, 1e-300, 0.5, &delta)) || (rc = cli_done(&a)))
        return rc;
    if (!url || !name || !idp || !s.task || !data) {
        cli_error("fl join needs --url, --name, --identity, --task and --data");
        return CLI_EXIT_USAGE;
    }
    if (ledger) {
        if ((rc = cli_ledger_open(&s.ledger, ledger, budget, delta))) return rc;
        s.keep_ledger = 1;
    } else if (!isnan(budget)) {
        /* a budget for this run only: it does not survive a restart */
        hush_odometer_config oc;
        int st = hush_odometer_config_init(&oc, budget, isnan(delta) ? 1e-5 : delta);
        if (st == HUSH_OK) st = hush_odometer_create(&s.ledger.od, &oc, NULL);
        if (st) {
            cli_error("invalid budget (%g, %g)", budget, delta);
            return CLI_EXIT_USAGE;
        }
        fprintf(stderr, "hush: note: without --ledger FILE the budget is kept for this run only\n");
    } else if (!isnan(delta)) {
        cli_error("--delta goes with --budget-epsilon or --ledger");
        return CLI_EXIT_USAGE;
    }
    if (s.seeded) fprintf(stderr, "hush: note: --seed makes the noise reproducible: the update is NOT private\n");
    hush_net_client *c = NULL;
    if ((rc = cli_load_dataset(&s.data, data, format)) || (rc = cli_participant(&c, name, idp, tok, s.task, pins))) {
        hush_dataset_free(s.data);
        cli_ledger_close(&s.ledger);
        return rc;
    }
    cli_peer peer;
    memset(&peer, 0, sizeof peer);
    peer.drop_at = -1;
    peer.client = c;
    peer.on_event = on_event;
    peer.ud = &s;
    cli_net_opts o = {url, ca, timeout, 0};
    int exit_code = cli_net_exit(cli_net_run(&peer, 1, &o), &peer, &o, s.failed);
    if (s.failed && !exit_code) exit_code = CLI_EXIT_FAIL;
    if (s.json) {
        double eps;
        spent(&s, &eps);
        printf("{\"name\":\"%s\",\"task\":\"%s\",\"rounds\":%u,\"aborted\":%u,\"declined\":%u,\"contributed\":%u,"
               "\"last_round\":%u,\"connects\":%u,\"status\":%d,\"train_rows\":%zu,\"validation_rows\":%zu",
               name, s.task, s.committed, s.aborted, s.declined, s.contributed, s.last_round, peer.connects,
               peer.status, s.train ? hush_dataset_rows(s.train) : 0,
               s.validation ? hush_dataset_rows(s.validation) : 0);
        json_num("validation_accuracy", s.contributed ? s.report.validation_accuracy : NAN);
        if (s.ledger.od) {
            json_num("epsilon", eps);
            json_num("delta", hush_odometer_budget_delta(s.ledger.od));
            json_num("budget_epsilon", hush_odometer_budget_epsilon(s.ledger.od));
        }
        printf(",\"privacy\":\"%s\",\"private\":%s,\"noise\":\"%s\"}\n",
               !s.have_terms ? "unknown"
               : s.terms.privacy == HUSH_FEDERATED_PRIVACY_RECORD ? "record"
               : s.terms.privacy == HUSH_FEDERATED_PRIVACY_USER   ? "user"
                                                                  : "none",
               s.seeded || !s.have_terms || s.terms.privacy == HUSH_FEDERATED_PRIVACY_NONE ? "false" : "true",
               s.seeded ? "reproducible" : "os");
    }
    hush_net_client_free(c);
    hush_dataset_free(s.data);
    hush_dataset_free(s.train);
    hush_dataset_free(s.validation);
    cli_ledger_close(&s.ledger);
    return exit_code;
}
