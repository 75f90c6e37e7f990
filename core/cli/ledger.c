/* `hush ledger` and the ledger file helpers (see ledger.h).
 *
 *   hush ledger create FILE --budget-epsilon E [--budget-delta D] [--accountant pld|rdp] [--json]
 *   hush ledger show FILE [--delta D] [--json]
 *   hush ledger charge FILE EVENT [--id ID] [--budget-epsilon E --budget-delta D] [--json]
 *   hush ledger spend FILE EVENT [--json]          (what would it cost: changes nothing)
 *   hush ledger budget FILE --budget-epsilon E [--budget-delta D] [--json]
 *
 * EVENT: --sampling-rate Q --noise-multiplier S --steps T (DP-SGD), or --mechanism gaussian|laplace
 * --noise-multiplier S [--steps T], or --epsilon E --event-delta D (an (epsilon, delta) result),
 * or --mechanism ddp --sigma S --sensitivity D --parties N --dimension K [--steps T]. */
#define _POSIX_C_SOURCE 200809L
#include "ledger.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load_file(const char *path, hush_odometer **od) {
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? -1 : (cli_error("cannot open '%s': %s", path, strerror(errno)), CLI_EXIT_FAIL);
    fclose(f);
    size_t len = 0;
    unsigned char *buf = cli_read_file(path, &len);
    if (!buf) return CLI_EXIT_FAIL;
    int st = hush_odometer_load(od, buf, len, NULL);
    free(buf);
    if (st != HUSH_OK) {
        cli_error("%s: not a usable privacy ledger: %s (%s)", path, hush_strerror(st), hush_status_name(st));
        return CLI_EXIT_FAIL;
    }
    return 0;
}

int cli_ledger_open(cli_ledger *l, const char *path, double budget_eps, double budget_delta) {
    l->path = path;
    l->od = NULL;
    int rc = load_file(path, &l->od);
    if (rc > 0) return rc;
    if (rc < 0) { /* a new ledger */
        if (isnan(budget_eps)) {
            cli_error("%s does not exist: give --budget-epsilon E (and --budget-delta D) to start a ledger", path);
            return CLI_EXIT_USAGE;
        }
        hush_odometer_config c;
        int st = hush_odometer_config_init(&c, budget_eps, isnan(budget_delta) ? 1e-5 : budget_delta);
        if (st == HUSH_OK) st = hush_odometer_create(&l->od, &c, NULL);
        if (st != HUSH_OK) {
            cli_error("cannot start a ledger with budget (%g, %g): %s", budget_eps, budget_delta, hush_strerror(st));
            return st == HUSH_EARG ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        }
        return 0;
    }
    double e = hush_odometer_budget_epsilon(l->od), d = hush_odometer_budget_delta(l->od);
    if (!isnan(budget_eps) && budget_eps < e) e = budget_eps;
    if (!isnan(budget_delta) && budget_delta < d) d = budget_delta;
    if (hush_odometer_set_budget(l->od, e, d) != HUSH_OK) {
        cli_error("invalid budget (%g, %g)", e, d);
        cli_ledger_close(l);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_ledger_charge(cli_ledger *l, const hush_odometer_event *ev, size_t n) {
    size_t charged = 0;
    int st = hush_odometer_charge_all(l->od, &charged, ev, n);
    if (st == HUSH_EBUDGET) {
        double lo = 0, hi = NAN;
        if (n != 1 || hush_odometer_would_spend(l->od, &lo, &hi, ev) != HUSH_OK) hi = NAN;
        if (isnan(hi))
            cli_error("privacy budget exceeded: %s cannot pay for this (budget epsilon %g, delta %g); nothing was "
                      "charged",
                      l->path, hush_odometer_budget_epsilon(l->od), hush_odometer_budget_delta(l->od));
        else
            cli_error("privacy budget exceeded: %s would spend epsilon %.4g of the budget %g (delta %g); nothing was "
                      "charged",
                      l->path, hi, hush_odometer_budget_epsilon(l->od), hush_odometer_budget_delta(l->od));
        return CLI_EXIT_FAIL;
    }
    if (st != HUSH_OK) {
        cli_error("%s: cannot charge the event: %s (%s)", l->path, hush_strerror(st), hush_status_name(st));
        return st == HUSH_EARG ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    }
    if (charged < n) fprintf(stderr, "hush: %s: this id was already charged; not charged again\n", l->path);
    return 0;
}

int cli_ledger_commit(cli_ledger *l) {
    size_t n = hush_odometer_save_size(l->od), w = 0;
    uint8_t *buf = malloc(n);
    size_t plen = strlen(l->path);
    char *tmp = malloc(plen + 8);
    int rc = CLI_EXIT_FAIL;
    if (buf && tmp && hush_odometer_save(l->od, buf, n, &w) == HUSH_OK) {
        memcpy(tmp, l->path, plen);
        memcpy(tmp + plen, ".tmp", 5);
        rc = cli_write_file(tmp, buf, w);
        if (rc == 0 && rename(tmp, l->path) != 0) {
            cli_error("cannot replace '%s': %s", l->path, strerror(errno));
            remove(tmp);
            rc = CLI_EXIT_FAIL;
        }
    } else {
        cli_error("cannot encode the ledger");
    }
    free(buf);
    free(tmp);
    return rc;
}

void cli_ledger_close(cli_ledger *l) {
    hush_odometer_free(l->od);
    l->od = NULL;
}

void cli_ledger_sampled_gaussian(hush_odometer_event *ev, double q, double noise_multiplier, uint64_t steps,
                                 const char *id) {
    if (hush_odometer_event_init(ev, HUSH_DP_EVENT_SAMPLED_GAUSSIAN, steps ? steps : 1) != HUSH_OK)
        memset(ev, 0, sizeof *ev);
    ev->sampling_rate = q;
    ev->noise_multiplier = noise_multiplier;
    if (id) {
        size_t n = strlen(id);
        ev->id_len = (uint32_t)(n > HUSH_ODOMETER_ID_MAX ? HUSH_ODOMETER_ID_MAX : n);
        memcpy(ev->id, id, ev->id_len);
    }
}

/* ---- hush ledger ---- */

static const char *const ledger_flags[] = {"json", NULL};

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

static const char *kind_name(enum hush_dp_event_kind k) {
    switch (k) {
    case HUSH_DP_EVENT_GAUSSIAN: return "gaussian";
    case HUSH_DP_EVENT_SAMPLED_GAUSSIAN: return "sampled_gaussian";
    case HUSH_DP_EVENT_LAPLACE: return "laplace";
    case HUSH_DP_EVENT_RDP_CURVE: return "rdp_curve";
    case HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM: return "discrete_gaussian_sum";
    case HUSH_DP_EVENT_EPSILON_DELTA: return "epsilon_delta";
    }
    return "?";
}

/* The event flags (see the file comment). */
static int parse_event(cli_args *a, hush_odometer_event *ev) {
    double q, s, eps, del, sig, sens;
    uint64_t steps, parties, dim;
    const char *mech = cli_str(a, "mechanism", NULL), *id = cli_str(a, "id", NULL);
    int rc;
    if ((rc = cli_f64(a, "sampling-rate", NAN, 0.0, 1.0, &q)) || (rc = cli_f64(a, "noise-multiplier", NAN, 0.0, 1e9, &s)) ||
        (rc = cli_u64(a, "steps", 1, 1, (uint64_t)1 << 53, &steps)) || (rc = cli_f64(a, "epsilon", NAN, 0.0, 1e9, &eps)) ||
        (rc = cli_f64(a, "event-delta", NAN, 0.0, 0.999999, &del)) || (rc = cli_f64(a, "sigma", NAN, 0.5, 1e12, &sig)) ||
        (rc = cli_f64(a, "sensitivity", NAN, 1e-300, 1e300, &sens)) ||
        (rc = cli_u64(a, "parties", 1, 1, UINT32_MAX, &parties)) || (rc = cli_u64(a, "dimension", 1, 1, UINT32_MAX, &dim)))
        return rc;
    enum hush_dp_event_kind k;
    if (!isnan(eps)) k = HUSH_DP_EVENT_EPSILON_DELTA;
    else if (mech && !strcmp(mech, "ddp")) k = HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM;
    else if (mech && !strcmp(mech, "gaussian")) k = HUSH_DP_EVENT_GAUSSIAN;
    else if (mech && !strcmp(mech, "laplace")) k = HUSH_DP_EVENT_LAPLACE;
    else if (!mech && !isnan(q)) k = HUSH_DP_EVENT_SAMPLED_GAUSSIAN;
    else {
        cli_error("an event is --sampling-rate Q --noise-multiplier S --steps T, --mechanism gaussian|laplace "
                  "--noise-multiplier S, --mechanism ddp --sigma S --sensitivity D --parties N --dimension K, or "
                  "--epsilon E --event-delta D");
        return CLI_EXIT_USAGE;
    }
    if (hush_odometer_event_init(ev, k, steps) != HUSH_OK) return CLI_EXIT_USAGE;
    ev->sampling_rate = isnan(q) ? 0.0 : q;
    ev->noise_multiplier = isnan(s) ? 0.0 : s;
    ev->epsilon = isnan(eps) ? 0.0 : eps;
    ev->delta = isnan(del) ? 0.0 : del;
    ev->sigma = isnan(sig) ? 0.0 : sig;
    ev->sensitivity = isnan(sens) ? 0.0 : sens;
    ev->parties = (uint32_t)parties;
    ev->dimension = (uint32_t)dim;
    if ((k == HUSH_DP_EVENT_SAMPLED_GAUSSIAN || k == HUSH_DP_EVENT_GAUSSIAN || k == HUSH_DP_EVENT_LAPLACE) && isnan(s)) {
        cli_error("the event needs --noise-multiplier S");
        return CLI_EXIT_USAGE;
    }
    if (k == HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM && (isnan(sig) || isnan(sens))) {
        cli_error("--mechanism ddp needs --sigma S and --sensitivity D (grid units)");
        return CLI_EXIT_USAGE;
    }
    if (id) {
        size_t n = strlen(id);
        if (n > HUSH_ODOMETER_ID_MAX) {
            cli_error("--id is at most %d bytes", HUSH_ODOMETER_ID_MAX);
            return CLI_EXIT_USAGE;
        }
        ev->id_len = (uint32_t)n;
        memcpy(ev->id, id, n);
    }
    return 0;
}

static void print_state(cli_ledger *l, int json, const char *what, int charged, double delta) {
    double lo = 0, hi = 0;
    int st = hush_odometer_spent(l->od, &lo, &hi, delta);
    if (st != HUSH_OK) lo = hi = NAN;
    if (json) {
        printf("{\"command\":\"ledger-%s\",\"file\":\"%s\"", what, l->path);
        if (charged >= 0) printf(",\"charged\":%s", charged ? "true" : "false");
        printf(",\"events\":%zu", hush_odometer_count(l->od));
        json_num("budget_epsilon", hush_odometer_budget_epsilon(l->od));
        json_num("budget_delta", hush_odometer_budget_delta(l->od));
        json_num("delta", delta);
        json_num("epsilon_lower", lo);
        json_num("epsilon", hi);
        if (!strcmp(what, "show")) {
            printf(",\"entries\":[");
            for (size_t i = 0; i < hush_odometer_count(l->od); i++) {
                hush_odometer_event e;
                if (hush_odometer_entry(l->od, &e, i) != HUSH_OK) break;
                printf("%s{\"kind\":\"%s\",\"count\":%llu", i ? "," : "", kind_name(e.kind), (unsigned long long)e.count);
                if (e.kind == HUSH_DP_EVENT_SAMPLED_GAUSSIAN) json_num("sampling_rate", e.sampling_rate);
                if (e.kind <= HUSH_DP_EVENT_LAPLACE) json_num("noise_multiplier", e.noise_multiplier);
                if (e.kind == HUSH_DP_EVENT_EPSILON_DELTA) {
                    json_num("epsilon", e.epsilon);
                    json_num("delta", e.delta);
                }
                if (e.id_len) {
                    printf(",\"id\":\"");
                    for (uint32_t k = 0; k < e.id_len; k++)
                        printf(e.id[k] >= 0x20 && e.id[k] < 0x7f && e.id[k] != '"' && e.id[k] != '\\' ? "%c" : "\\u%04x",
                               e.id[k]);
                    printf("\"");
                }
                printf("}");
            }
            printf("]");
        }
        printf("}\n");
    } else {
        printf("%s: %zu events; spent epsilon %.6g (at least %.6g) at delta %g of the budget (%g, %g)\n", l->path,
               hush_odometer_count(l->od), hi, lo, delta, hush_odometer_budget_epsilon(l->od),
               hush_odometer_budget_delta(l->od));
    }
}

int cmd_ledger(int argc, char **argv) {
    static const char *const subs[] = {"create", "show", "charge", "spend", "budget", NULL};
    int sub = -1;
    for (int i = 0; argc >= 1 && subs[i]; i++)
        if (!strcmp(argv[0], subs[i])) sub = i;
    if (sub < 0 || argc < 2 || argv[1][0] == '-') {
        cli_error("ledger needs a subcommand and a file: ledger create|show|charge|spend|budget FILE ...");
        return CLI_EXIT_USAGE;
    }
    const char *path = argv[1];
    cli_args a;
    int rc = cli_parse(&a, argc - 2, argv + 2, ledger_flags);
    if (rc) return rc;
    int json = cli_flag(&a, "json");
    double be, bd, delta;
    if ((rc = cli_f64(&a, "budget-epsilon", NAN, 1e-12, 1e9, &be)) ||
        (rc = cli_f64(&a, "budget-delta", NAN, 1e-300, 0.999999, &bd)))
        return rc;
    cli_ledger l;
    if (sub == 0) { /* create */
        const char *acc = cli_str(&a, "accountant", "pld");
        if ((rc = cli_done(&a))) return rc;
        if (isnan(be)) {
            cli_error("ledger create needs --budget-epsilon E");
            return CLI_EXIT_USAGE;
        }
        FILE *f = fopen(path, "rb");
        if (f) {
            fclose(f);
            cli_error("%s exists: a ledger is never overwritten", path);
            return CLI_EXIT_FAIL;
        }
        hush_odometer_config c;
        if (hush_odometer_config_init(&c, be, isnan(bd) ? 1e-5 : bd) != HUSH_OK ||
            (strcmp(acc, "pld") && strcmp(acc, "rdp"))) {
            cli_error("invalid budget or --accountant (pld or rdp)");
            return CLI_EXIT_USAGE;
        }
        c.accountant = strcmp(acc, "rdp") ? HUSH_ACCOUNTANT_PLD : HUSH_ACCOUNTANT_RDP;
        l.path = path;
        if (hush_odometer_create(&l.od, &c, NULL) != HUSH_OK) return CLI_EXIT_FAIL;
        rc = cli_ledger_commit(&l);
        if (!rc) print_state(&l, json, "create", -1, hush_odometer_budget_delta(l.od));
        cli_ledger_close(&l);
        return rc;
    }
    if (sub == 4) { /* budget: the owner's explicit change, up or down */
        if ((rc = cli_done(&a))) return rc;
        if ((rc = cli_ledger_open(&l, path, NAN, NAN))) return rc;
        if (isnan(be) || hush_odometer_set_budget(l.od, be, isnan(bd) ? hush_odometer_budget_delta(l.od) : bd)) {
            cli_error("ledger budget needs a valid --budget-epsilon E (and optionally --budget-delta D)");
            cli_ledger_close(&l);
            return CLI_EXIT_USAGE;
        }
        rc = cli_ledger_commit(&l);
        if (!rc) print_state(&l, json, "budget", -1, hush_odometer_budget_delta(l.od));
        cli_ledger_close(&l);
        return rc;
    }
    if (sub == 1) { /* show */
        if ((rc = cli_f64(&a, "delta", NAN, 1e-300, 0.999999, &delta)) || (rc = cli_done(&a))) return rc;
        if ((rc = cli_ledger_open(&l, path, NAN, NAN))) return rc;
        print_state(&l, json, "show", -1, isnan(delta) ? hush_odometer_budget_delta(l.od) : delta);
        cli_ledger_close(&l);
        return 0;
    }
    hush_odometer_event ev;
    if ((rc = parse_event(&a, &ev)) || (rc = cli_done(&a))) return rc;
    if ((rc = cli_ledger_open(&l, path, sub == 2 ? be : NAN, sub == 2 ? bd : NAN))) return rc;
    if (sub == 3) { /* spend: what if */
        double lo = 0, hi = 0;
        int st = hush_odometer_would_spend(l.od, &lo, &hi, &ev);
        if (st != HUSH_OK) {
            cli_error("cannot evaluate the event: %s", hush_strerror(st));
            cli_ledger_close(&l);
            return CLI_EXIT_FAIL;
        }
        if (json) {
            printf("{\"command\":\"ledger-spend\",\"file\":\"%s\",\"fits\":%s", path,
                   hi <= hush_odometer_budget_epsilon(l.od) ? "true" : "false");
            json_num("budget_epsilon", hush_odometer_budget_epsilon(l.od));
            json_num("budget_delta", hush_odometer_budget_delta(l.od));
            json_num("epsilon_lower", lo);
            json_num("epsilon", hi);
            printf("}\n");
        } else {
            printf("with this event %s would spend epsilon %.6g (at least %.6g) of %g at delta %g\n", path, hi, lo,
                   hush_odometer_budget_epsilon(l.od), hush_odometer_budget_delta(l.od));
        }
        cli_ledger_close(&l);
        return 0;
    }
    size_t before = hush_odometer_count(l.od);
    if (!(rc = cli_ledger_charge(&l, &ev, 1))) {
        rc = cli_ledger_commit(&l);
        if (!rc) print_state(&l, json, "charge", hush_odometer_count(l.od) > before, hush_odometer_budget_delta(l.od));
    }
    cli_ledger_close(&l);
    return rc;
}
