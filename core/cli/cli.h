/* Shared helpers for the `hush` command-line tool. The CLI is not part of the library: it may
 * use stdio and the clock; the same source builds natively and for WASI. */
#ifndef HUSH_CLI_H
#define HUSH_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "hush.h"

#define CLI_EXIT_FAIL 1 /* bad file or failed computation */
#define CLI_EXIT_USAGE 2

/* Parsed "--name value" / "--name=value" / "--flag" options. */
typedef struct cli_opt {
    const char *name;  /* without the dashes */
    const char *value; /* NULL for a bare flag */
    int used;
} cli_opt;

typedef struct cli_args {
    cli_opt opts[64];
    size_t n;
} cli_args;

/* Splits argv into options; `flags` lists the options that take no value (NULL-terminated). */
int cli_parse(cli_args *a, int argc, char **argv, const char *const *flags);
const char *cli_str(cli_args *a, const char *name, const char *def);
int cli_flag(cli_args *a, const char *name);
/* Numeric getters: print a one-line error and return nonzero on malformed values. */
int cli_u64(cli_args *a, const char *name, uint64_t def, uint64_t lo, uint64_t hi, uint64_t *out);
int cli_f64(cli_args *a, const char *name, double def, double lo, double hi, double *out);
/* Every option must have been consumed; otherwise reports the first unknown one. */
int cli_done(cli_args *a);

/* Error lines read "<cli_prog>: message" (hush-server sets its own name). */
extern const char *cli_prog;
void cli_error(const char *fmt, ...);
unsigned char *cli_read_file(const char *path, size_t *len);
int cli_write_file(const char *path, const uint8_t *buf, size_t len);
double cli_now(void); /* monotonic seconds */

/* Loads a data set by format name ("arff", "csv", "digits", "idx", or NULL to guess from the
 * path) through hush_train_data_parse. Prints its own error. cli_load_data also reports the
 * format (enum hush_train_format; format_out may be NULL). */
int cli_load_data(hush_dataset **out, uint32_t *format_out, const char *path, const char *format);
int cli_load_dataset(hush_dataset **out, const char *path, const char *format);

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_privacy(int argc, char **argv);
int cmd_mpc(int argc, char **argv);
int cmd_secagg(int argc, char **argv);
int cmd_pate(int argc, char **argv);
/* Network commands (core/cli/agg.c, netclient.c): native builds only, compiled with HUSH_CLI_NET. */
int cmd_agg(int argc, char **argv);
int cmd_fl(int argc, char **argv);

#endif
