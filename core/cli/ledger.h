/* The privacy ledger file for the CLI: an odometer (hush/dp.h) kept in a file, charged before
 * the DP work it pays for and written back atomically (temp file + rename).
 *
 * Wiring it into a command that spends privacy (e.g. `hush train --dp --ledger FILE
 * --budget-epsilon E [--budget-delta D]`) takes four calls:
 *
 *     cli_ledger led;
 *     if ((rc = cli_ledger_open(&led, path, budget_eps, budget_delta))) return rc; // NAN: keep stored
 *     hush_odometer_event ev;
 *     cli_ledger_sampled_gaussian(&ev, q, noise_multiplier, steps, NULL);          // before training
 *     if ((rc = cli_ledger_charge(&led, &ev, 1))) { cli_ledger_close(&led); return rc; }  // refuses: exit 1
 *     ... train ...
 *     rc = cli_ledger_commit(&led);   // only after the work happened; then cli_ledger_close
 *
 * Charging happens in memory; nothing is written until commit, so a run that fails before its
 * DP work leaves the file as it was. (A run that fails after spending should still commit.) */
#ifndef HUSH_CLI_LEDGER_H
#define HUSH_CLI_LEDGER_H

#include "cli.h"

typedef struct cli_ledger {
    const char *path;
    hush_odometer *od;
} cli_ledger;

/* Opens `path`, or creates the ledger there if the file does not exist (then budget_eps and
 * budget_delta are required; budget_delta NAN means 1e-5). On an existing ledger a budget flag
 * may lower the stored budget, never raise it (that is `hush ledger budget`). Prints its errors;
 * returns 0, CLI_EXIT_USAGE or CLI_EXIT_FAIL. */
int cli_ledger_open(cli_ledger *l, const char *path, double budget_eps, double budget_delta);
/* Charges the n events together (all or none); over budget prints "privacy budget exceeded ..."
 * and returns CLI_EXIT_FAIL. An id already in the ledger is not charged again (a note on stderr). */
int cli_ledger_charge(cli_ledger *l, const hush_odometer_event *ev, size_t n);
int cli_ledger_commit(cli_ledger *l);
void cli_ledger_close(cli_ledger *l);
/* The DP-SGD event of `steps` Poisson-sampled steps; id may be NULL. */
void cli_ledger_sampled_gaussian(hush_odometer_event *ev, double q, double noise_multiplier, uint64_t steps,
                                 const char *id);
int cmd_ledger(int argc, char **argv);

#endif
