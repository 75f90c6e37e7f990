/* hush: command-line entry point. Each command lives in its own file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ledger.h"

static const char usage[] =
    "usage: hush <command> [options]\n"
    "\n"
    "commands:\n"
    "  train   --data FILE [--format arff|csv|idx|digits] --model SPEC --epochs N --batch B\n"
    "          --lr LR [--optimizer sgd|momentum|adam] [--weight-decay WD] [--seed S]\n"
    "          [--test-fraction F | --test-data FILE | --cv K] [--out MODEL] [--json]\n"
    "          [--scaling auto|none|standardize|bounds|dp] [--bounds FILE] [--scaling-noise Z]\n"
    "          [--dp [--l2-norm-clip C] (--noise-multiplier S | --target-epsilon E) [--delta D]\n"
    "           [--sampling poisson|shuffle] [--microbatches M] [--secure-noise]\n"
    "           [--reproducible-noise] [--ledger FILE [--budget-epsilon E] [--budget-delta D]]]\n"
    "          (DP noise is from the OS unless --reproducible-noise; --ledger charges the run first)\n"
    "  eval    --model MODEL --data FILE [--format ...] [--json]\n"
    "  privacy --sampling-rate Q --noise-multiplier S --steps T --delta D [--accountant rdp|pld]\n"
    "          [--orders LIST] [--conversion improved|classic] [--json]\n"
    "          (RDP by default, with the improved RDP->(eps,delta) conversion)\n"
    "  privacy --mechanism gaussian --epsilon E --delta D [--sensitivity S] [--json]\n"
    "  privacy --mechanism laplace --epsilon E [--sensitivity S] [--json]\n"
    "  pate analyze --votes FILE [--indices FILE] --noise-eps E --delta D [--moments 8] [--json]\n"
    "  pate analyze --votes FILE [--indices FILE] --smooth-sensitivity --sigma S [--threshold T\n"
    "          --sigma1 S1] --sigma-ss SS [--beta B] [--order L] [--delta D]\n"
    "          [--reproducible-noise [--seed S]]\n"
    "          [--conversion classic|improved] [--json]\n"
    "  pate aggregate --votes FILE --mechanism lnmax|gnmax|confident (--noise-eps E | --sigma S\n"
    "          [--threshold T --sigma1 S1]) [--reproducible-noise [--seed S]] [--delta D] [--classes K]\n"
    "          [--conversion classic|improved] [--json]\n"
    "  ledger create FILE --budget-epsilon E [--budget-delta D] [--accountant pld|rdp] [--json]\n"
    "  ledger show FILE [--delta D] [--json]\n"
    "  ledger charge|spend FILE (--sampling-rate Q --noise-multiplier S --steps T | --mechanism\n"
    "          gaussian|laplace --noise-multiplier S | --mechanism ddp --sigma S --sensitivity D\n"
    "          --parties N --dimension K | --epsilon E --event-delta D) [--steps T] [--id ID] [--json]\n"
    "  ledger budget FILE --budget-epsilon E [--budget-delta D] [--json]\n"
    "  secagg sim --inputs FILE | --clients N --dim D   --threshold T [--max-corrupt C] [--min-honest K]\n"
    "          [--bits K] [--neighbours D] [--authenticated] [--seed S] [--drop ROUND:CLIENT,...]\n"
    "          [--out SUM_FILE] [--json]\n"
    "  mpc predict --model MODEL --data FILE [--parties 2] [--frac-bits 16] [--batch 1] [--test-split --seed S]\n"
    "              [--logits] [--reproducible-noise] [--json]\n"
    "  mpc train --data FILE --model SPEC --epochs N [--batch B] [--lr LR] [--seed S] [--parties 2]\n"
    "            [--reproducible-noise] [--json]\n"
    "  mpc serve --url URL --name BANK --identity KEYFILE [--token T] --model MODEL [--schema FILE.arff]\n"
    "            [--max-sessions N] [--max-rows N] [--sessions N] [--timeout S]   (native builds only)\n"
    "  mpc apply --url URL --name NAME --identity KEYFILE [--token T] --bank BANK --data FILE\n"
    "            [--rows N|all] [--concurrency C] [--test-split --seed S] [--limit N] [--check-model MODEL]\n"
    "            [--bank-key HEX] [--dealer-key HEX] [--out FILE] [--timeout S] [--json]   (native builds only)\n"
    "  agg join --url URL --name NAME --identity KEYFILE [--token TOKEN] --task TASK --input FILE.csv\n"
    "          [--rounds R] [--pins FILE] [--ca CERT] [--timeout S] [--json]   (native builds only)\n"
    "  agg id  --identity KEYFILE [--name NAME]       the identity's public key (for pin files)\n"
    "  fl join --url URL --name NAME --identity KEYFILE [--token TOKEN] --task TASK --data FILE [--format F]\n"
    "          [--budget-epsilon E --delta D --ledger FILE] [--rounds R] [--out MODEL] [--pins FILE]\n"
    "          [--ca CERT] [--timeout S] [--seed S] [--json]   a federated task's participant (native only)\n"
    "  version\n";

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    /* `hush train --help` and friends: the usage, not an option error. */
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        }
    if (hush_init() != HUSH_OK) {
        cli_error("cannot initialise libsodium");
        return CLI_EXIT_FAIL;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "train")) return cmd_train(argc - 2, argv + 2);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc - 2, argv + 2);
    if (!strcmp(cmd, "privacy")) return cmd_privacy(argc - 2, argv + 2);
    if (!strcmp(cmd, "mpc")) return cmd_mpc(argc - 2, argv + 2);
    if (!strcmp(cmd, "secagg")) return cmd_secagg(argc - 2, argv + 2);
    if (!strcmp(cmd, "pate")) return cmd_pate(argc - 2, argv + 2);
    if (!strcmp(cmd, "ledger")) return cmd_ledger(argc - 2, argv + 2);
#ifdef HUSH_CLI_NET
    if (!strcmp(cmd, "agg")) return cmd_agg(argc - 2, argv + 2);
    if (!strcmp(cmd, "fl")) return cmd_fl(argc - 2, argv + 2);
#endif
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("hush %s\n", hush_version());
        return 0;
    }
    cli_error("unknown command '%s' (try 'hush help')", cmd);
    return CLI_EXIT_USAGE;
}
