/* Option parsing, file i/o and data loading for the CLI. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const char *cli_prog = "hush";

void cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cli_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int is_flag(const char *name, const char *const *flags) {
    for (; flags && *flags; flags++)
        if (!strcmp(name, *flags)) return 1;
    return 0;
}

int cli_parse(cli_args *a, int argc, char **argv, const char *const *flags) {
    a->n = 0;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (strncmp(s, "--", 2) != 0 || s[2] == 0) {
            cli_error("unexpected argument '%s'", s);
            return CLI_EXIT_USAGE;
        }
        if (a->n == sizeof a->opts / sizeof a->opts[0]) {
            cli_error("too many options");
            return CLI_EXIT_USAGE;
        }
        cli_opt *o = &a->opts[a->n++];
        o->used = 0;
        o->name = s + 2;
        o->value = NULL;
        const char *eq = strchr(s, '=');
        if (eq) {
            /* "--name=value": keep the name NUL-terminated by copying into the argv string. */
            ((char *)eq)[0] = 0;
            o->value = eq + 1;
        } else if (!is_flag(o->name, flags)) {
            if (i + 1 >= argc) {
                cli_error("option --%s needs a value", o->name);
                return CLI_EXIT_USAGE;
            }
            o->value = argv[++i];
        }
        for (size_t j = 0; j + 1 < a->n; j++)
            if (!strcmp(a->opts[j].name, o->name)) {
                cli_error("option --%s given twice", o->name);
                return CLI_EXIT_USAGE;
            }
    }
    return 0;
}

static cli_opt *find(cli_args *a, const char *name) {
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->opts[i].name, name)) {
            a->opts[i].used = 1;
            return &a->opts[i];
        }
    return NULL;
}

const char *cli_str(cli_args *a, const char *name, const char *def) {
    cli_opt *o = find(a, name);
    return o && o->value ? o->value : def;
}

int cli_flag(cli_args *a, const char *name) { return find(a, name) != NULL; }

int cli_u64(cli_args *a, const char *name, uint64_t def, uint64_t lo, uint64_t hi, uint64_t *out) {
    cli_opt *o = find(a, name);
    if (!o || !o->value) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(o->value, &end, 10);
    if (o->value[0] == '-' || end == o->value || *end || errno || v < lo || v > hi) {
        cli_error("--%s must be an integer in [%llu, %llu], got '%s'", name, (unsigned long long)lo,
                  (unsigned long long)hi, o->value);
        return CLI_EXIT_USAGE;
    }
    *out = v;
    return 0;
}

int cli_f64(cli_args *a, const char *name, double def, double lo, double hi, double *out) {
    cli_opt *o = find(a, name);
    if (!o || !o->value) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(o->value, &end);
    if (end == o->value || *end || errno || !(v >= lo && v <= hi)) {
        cli_error("--%s must be a number in [%g, %g], got '%s'", name, lo, hi, o->value);
        return CLI_EXIT_USAGE;
    }
    *out = v;
    return 0;
}

int cli_done(cli_args *a) {
    for (size_t i = 0; i < a->n; i++)
        if (!a->opts[i].used) {
            cli_error("unknown option --%s", a->opts[i].name);
            return CLI_EXIT_USAGE;
        }
    return 0;
}

unsigned char *cli_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        unsigned char *nb = cap > SIZE_MAX / 4 ? NULL : realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        cli_error("cannot read '%s'", path);
        return NULL;
    }
    buf[n] = 0; /* text parsers get a terminated buffer, though they are given the length */
    *len = n;
    return buf;
}

int cli_write_file(const char *path, const uint8_t *buf, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        cli_error("cannot write '%s': %s", path, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    return 0;
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* IDX images come with a labels file: "...images-idx3-ubyte" -> "...labels-idx1-ubyte". */
static char *idx_labels_path(const char *images) {
    const char *p = strstr(images, "images-idx3");
    if (!p) return NULL;
    size_t n = strlen(images);
    char *s = malloc(n + 1);
    if (!s) return NULL;
    memcpy(s, images, n + 1);
    memcpy(s + (p - images), "labels-idx1", 11);
    return s;
}

int cli_load_data(hush_dataset **out, uint32_t *format_out, const char *path, const char *format) {
    uint32_t fmt = hush_train_format_guess(path);
    if (format && hush_train_format_parse(&fmt, format) != HUSH_OK) {
        cli_error("unknown --format '%s' (arff, csv, digits or idx)", format);
        return CLI_EXIT_USAGE;
    }
    if (format_out) *format_out = fmt;
    size_t len = 0, llen = 0;
    unsigned char *buf = cli_read_file(path, &len), *lbuf = NULL;
    if (!buf) return CLI_EXIT_FAIL;
    if (fmt == HUSH_TRAIN_FORMAT_IDX) {
        char *lpath = idx_labels_path(path);
        if (!lpath) {
            free(buf);
            cli_error("'%s': IDX images file name must contain 'images-idx3' (labels are found beside it)", path);
            return CLI_EXIT_USAGE;
        }
        lbuf = cli_read_file(lpath, &llen);
        free(lpath);
        if (!lbuf) {
            free(buf);
            return CLI_EXIT_FAIL;
        }
    }
    hush_parse_error err;
    memset(&err, 0, sizeof err);
    int rc = hush_train_data_parse(out, fmt, buf, len, lbuf, llen, &err, NULL);
    free(buf);
    free(lbuf);
    if (rc != HUSH_OK) {
        const char *msg = err.msg[0] ? err.msg : hush_strerror(rc);
        if (err.line)
            cli_error("%s:%zu: %s (%s)", path, err.line, msg, hush_status_name(rc));
        else if (err.offset)
            cli_error("%s: offset %zu: %s (%s)", path, err.offset, msg, hush_status_name(rc));
        else
            cli_error("%s: %s (%s)", path, msg, hush_status_name(rc));
        return CLI_EXIT_FAIL;
    }
    return 0;
}

int cli_load_dataset(hush_dataset **out, const char *path, const char *format) {
    return cli_load_data(out, NULL, path, format);
}
