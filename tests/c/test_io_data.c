/* Tests for the data set parsers (ARFF, CSV, IDX) and feature preparation (split, standardize,
 * scale): crafted good and malformed inputs with exact error lines, the real data files in data/,
 * fault injection at every allocation, and every truncation of small valid inputs. */
#include <math.h>

#include "check.h"
#include "hush/data.h"

typedef int (*text_parser)(hush_dataset **, const char *, size_t, hush_parse_error *, const hush_allocator *);

static int parse_s(text_parser fn, hush_dataset **d, const char *s, hush_parse_error *e) {
    return fn(d, s, strlen(s), e, NULL);
}

/* Expects failure with status `rc`, line `line` and a message equal to `msg`. */
#define CHECK_PARSE_ERR(fn, text, want_rc, want_line, want_msg)                                  \
    do {                                                                                          \
        hush_parse_error e_;                                                                      \
        hush_dataset *d_ = (hush_dataset *)1;                                                     \
        int r_ = parse_s(fn, &d_, text, &e_);                                                     \
        CHECK_MSG(r_ == (want_rc) && d_ == NULL, "rc %s, want %s (%s)", hush_status_name(r_), #want_rc, e_.msg); \
        CHECK_MSG(e_.line == (size_t)(want_line), "line %zu, want %d (%s)", e_.line, (int)(want_line), e_.msg); \
        CHECK_MSG(strcmp(e_.msg, want_msg) == 0, "msg '%s', want '%s'", e_.msg, want_msg);        \
        if (r_ == HUSH_OK) hush_dataset_free(d_);                                                 \
    } while (0)

static const char *ARFF_SMALL =
    "% a comment before the header\n"
    "@RELATION test\n"
    "\n"
    "@attribute 'a b' NUMERIC\n"
    "@attribute color { red , 'dark green',\"bl\\\"ue\"}\n"
    "@attribute n integer\n"
    "@Attribute class {yes,no}   % trailing comment\n"
    "@DATA\n"
    "1.5, red, 3, no\r\n"
    "?, 'dark green', -2, yes   % trailing comment\n"
    "   % a comment line\n"
    "\n"
    "2,\"bl\\\"ue\",?,yes\n"
    "3e2,?,4,'no'";

static void test_arff_small(void) {
    hush_dataset *d = NULL;
    hush_parse_error e;
    CHECK_OK(parse_s(hush_arff_parse, &d, ARFF_SMALL, &e));
    if (!d) return;
    CHECK(hush_dataset_rows(d) == 4);
    CHECK(hush_dataset_dim(d) == 5); /* 1 numeric + 3 one-hot + 1 numeric */
    CHECK(hush_dataset_classes(d) == 2);
    hush_shape s = hush_dataset_shape(d);
    CHECK(s.c == 5 && s.h == 1 && s.w == 1);
    CHECK(strcmp(hush_dataset_class_name(d, 0), "yes") == 0);
    CHECK(strcmp(hush_dataset_class_name(d, 1), "no") == 0);
    CHECK(hush_dataset_class_name(d, 2) == NULL);
    const float *x = hush_dataset_x(d);
    const uint32_t *y = hush_dataset_labels(d);
    float want[4][5] = {{1.5f, 1, 0, 0, 3}, {NAN, 0, 1, 0, -2}, {2, 0, 0, 1, NAN}, {300, 0, 0, 0, 4}};
    int same = 1;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 5; j++) {
            float a = x[i * 5 + j], b = want[i][j];
            same &= (isnan(b) && isnan(a)) || a == b;
        }
    CHECK(same);
    CHECK(y[0] == 1 && y[1] == 0 && y[2] == 0 && y[3] == 1);
    hush_dataset_free(d);

    /* class attribute not last, found by name (case-insensitively) */
    CHECK_OK(parse_s(hush_arff_parse, &d,
                     "@relation r\n@attribute CLASS {a,b,c}\n@attribute v real\n@data\nc,1\na,2\n", &e));
    if (d) {
        CHECK(hush_dataset_dim(d) == 1 && hush_dataset_classes(d) == 3);
        CHECK(hush_dataset_labels(d)[0] == 2 && hush_dataset_labels(d)[1] == 0);
        CHECK(hush_dataset_x(d)[1] == 2.0f);
        hush_dataset_free(d);
    }
    /* without an attribute named class, the last one is the class; a nominal name ending at '{' */
    CHECK_OK(parse_s(hush_arff_parse, &d, "@relation r\n@attribute v real\n@attribute kind{x,y}\n@data\n1,y\n", &e));
    if (d) {
        CHECK(hush_dataset_labels(d)[0] == 1 && strcmp(hush_dataset_class_name(d, 1), "y") == 0);
        hush_dataset_free(d);
    }
    /* a quoted '?' is a value, escapes in names and values */
    CHECK_OK(parse_s(hush_arff_parse, &d,
                     "@relation r\n@attribute 'it\\'s' {'?', '50\\%'}\n@attribute class {'a\\\\b', \"t\\tq\"}\n"
                     "@data\n'?','a\\\\b'\n'50\\%',\"t\\tq\"\n?,'t\\tq'\n",
                     &e));
    if (d) {
        const float *xx = hush_dataset_x(d);
        CHECK(xx[0] == 1 && xx[1] == 0 && xx[2] == 0 && xx[3] == 1 && xx[4] == 0 && xx[5] == 0);
        CHECK(strcmp(hush_dataset_class_name(d, 0), "a\\b") == 0);
        CHECK(strcmp(hush_dataset_class_name(d, 1), "t\tq") == 0);
        hush_dataset_free(d);
    } else {
        fprintf(stderr, "  (%s)\n", e.msg);
    }
}

static void test_arff_errors(void) {
    const char *H = "@relation r\n@attribute a numeric\n@attribute b {x,y}\n@attribute class {good,bad}\n@data\n";
    char buf[512];
#define ROWS(s) (snprintf(buf, sizeof buf, "%s%s", H, s), buf)
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1,x,good\n2,y\n"), HUSH_EFORMAT, 7, "line 7: expected 3 fields, got 2");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1,x,good,bad\n"), HUSH_EFORMAT, 6, "line 6: expected 3 fields, got 4");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1,x,good\n\n1,z,bad\n"), HUSH_EFORMAT, 8,
                    "line 8: field 2 (b): unknown value 'z'");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1x,x,good\n"), HUSH_EFORMAT, 6, "line 6: field 1 (a): invalid number '1x'");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("inf,x,good\n"), HUSH_EFORMAT, 6, "line 6: field 1 (a): invalid number 'inf'");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1e99,x,good\n"), HUSH_ERANGE, 6,
                    "line 6: field 1 (a): out-of-range number '1e99'");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1,x,?\n"), HUSH_EFORMAT, 6, "line 6: missing class value");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1,x,meh\n"), HUSH_EFORMAT, 6, "line 6: unknown class value 'meh'");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1,,good\n"), HUSH_EFORMAT, 6, "line 6: empty value in field 2");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1,x,good,\n"), HUSH_EFORMAT, 6, "line 6: empty value in field 4");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1,'x,good\n"), HUSH_EFORMAT, 6, "line 6: unterminated quoted string");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1,'x'y,good\n"), HUSH_EFORMAT, 6, "line 6: expected ',' after field 2");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1,'\\q',good\n"), HUSH_EFORMAT, 6, "line 6: unknown escape '\\q'");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("{0 1, 2 good}\n"), HUSH_EUNSUPPORTED, 6,
                    "line 6: sparse ARFF rows are not supported");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("1,x,good,{2}\n"), HUSH_EUNSUPPORTED, 6,
                    "line 6: instance weights are not supported");
    CHECK_PARSE_ERR(hush_arff_parse, ROWS("% only comments\n\n"), HUSH_EFORMAT, 5, "line 5: no data rows");
#undef ROWS
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute s string\n@attribute class {a}\n@data\n", HUSH_EUNSUPPORTED,
                    2, "line 2: string attributes are not supported");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute d DATE \"yyyy-MM-dd\"\n", HUSH_EUNSUPPORTED, 2,
                    "line 2: date attributes are not supported");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute d relational\n", HUSH_EUNSUPPORTED, 2,
                    "line 2: relational attributes are not supported");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute d floaty\n", HUSH_EFORMAT, 2,
                    "line 2: unknown attribute type 'floaty'");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute d\n", HUSH_EFORMAT, 2, "line 2: unknown attribute type ''");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute {a}\n", HUSH_EFORMAT, 2,
                    "line 2: expected an attribute name");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute d real extra\n", HUSH_EFORMAT, 2,
                    "line 2: unexpected text after attribute type");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute c {}\n", HUSH_EFORMAT, 2, "line 2: empty nominal list");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute c {a,,b}\n", HUSH_EFORMAT, 2,
                    "line 2: expected a nominal value");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute c {a,b\n", HUSH_EFORMAT, 2,
                    "line 2: unterminated nominal list");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute c {a b}\n", HUSH_EFORMAT, 2,
                    "line 2: expected ',' or '}' in nominal list");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute c {a,'b',b}\n@data\n", HUSH_EFORMAT, 2,
                    "line 2: duplicate nominal value 'b'");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute a real\n@attribute b real\n@data\n1,2\n", HUSH_EFORMAT, 3,
                    "line 3: class attribute 'b' must be nominal");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute class {a}\n@attribute Class {b}\n@data\n", HUSH_EFORMAT, 3,
                    "line 3: more than one attribute named 'class'");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute class {a}\n@data\na\n", HUSH_EFORMAT, 2,
                    "line 2: no feature attributes besides the class");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute a real\n", HUSH_EFORMAT, 2, "line 2: missing @data");
    CHECK_PARSE_ERR(hush_arff_parse, "", HUSH_EFORMAT, 1, "line 1: missing @relation");
    CHECK_PARSE_ERR(hush_arff_parse, "@attribute a real\n", HUSH_EFORMAT, 1, "line 1: @attribute before @relation");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@relation s\n", HUSH_EFORMAT, 2, "line 2: duplicate @relation");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@data\n", HUSH_EFORMAT, 2, "line 2: no @attribute before @data");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attribute a real\n@data x\n", HUSH_EFORMAT, 3,
                    "line 3: unexpected text after @data");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attrib a real\n", HUSH_EFORMAT, 2, "line 2: unknown keyword '@attrib'");
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\nfoo\n", HUSH_EFORMAT, 2,
                    "line 2: expected @relation, @attribute or @data");
    /* control bytes never reach the message */
    CHECK_PARSE_ERR(hush_arff_parse, "@relation r\n@attrib\x01 a real\n", HUSH_EFORMAT, 2,
                    "line 2: unknown keyword '@attrib?'");
    hush_dataset *d = (hush_dataset *)1;
    CHECK_RC(hush_arff_parse(NULL, "", 0, NULL, NULL), HUSH_EARG);
    CHECK_RC(hush_arff_parse(&d, NULL, 5, NULL, NULL), HUSH_EARG);
    CHECK(d == NULL);
    CHECK_RC(hush_arff_parse(&d, "@relation", 9, NULL, NULL), HUSH_EFORMAT); /* err may be NULL */
}

static void test_csv(void) {
    hush_dataset *d = NULL;
    hush_parse_error e;
    CHECK_OK(parse_s(hush_csv_parse, &d, "f1, f2 ,label\r\n1, 2.5 ,0\r\n\r\n-3,4e-1,\t2.0\r\n  \n.5,+6.,1", &e));
    if (d) {
        CHECK(hush_dataset_rows(d) == 3 && hush_dataset_dim(d) == 2 && hush_dataset_classes(d) == 3);
        const float *x = hush_dataset_x(d);
        CHECK(x[0] == 1 && x[1] == 2.5f && x[2] == -3 && x[3] == 0.4f && x[4] == 0.5f && x[5] == 6);
        const uint32_t *y = hush_dataset_labels(d);
        CHECK(y[0] == 0 && y[1] == 2 && y[2] == 1);
        CHECK(strcmp(hush_dataset_class_name(d, 2), "2") == 0);
        hush_dataset_free(d);
    }
    /* no header; np.savetxt style labels */
    CHECK_OK(parse_s(hush_csv_parse, &d, "1,2,3.000000000000000000e+00\n4,5,1.0e1\n", &e));
    if (d) {
        CHECK(hush_dataset_rows(d) == 2 && hush_dataset_classes(d) == 11 && hush_dataset_labels(d)[1] == 10);
        hush_dataset_free(d);
    }
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0\n3,4,1\n5,6\n", HUSH_EFORMAT, 3, "line 3: expected 3 fields, got 2");
    CHECK_PARSE_ERR(hush_csv_parse, "a,b,c\n1,2,0\nx,2,0\n", HUSH_EFORMAT, 3, "line 3: field 1: invalid number 'x'");
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0\n1,2,0\n1,2,-1\n", HUSH_ERANGE, 3,
                    "line 3: label '-1' is not an integer in [0, 65536)");
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0.5\n", HUSH_ERANGE, 1, "line 1: label '0.5' is not an integer in [0, 65536)");
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0\n1,2,65536\n", HUSH_ERANGE, 2,
                    "line 2: label '65536' is not an integer in [0, 65536)");
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0\n1,,0\n", HUSH_EFORMAT, 2, "line 2: field 2 is empty");
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0\nnan,2,0\n", HUSH_EFORMAT, 2, "line 2: field 1: invalid number 'nan'");
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0\ninf,2,0\n", HUSH_EFORMAT, 2, "line 2: field 1: invalid number 'inf'");
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0\n0x10,2,0\n", HUSH_EFORMAT, 2, "line 2: field 1: invalid number '0x10'");
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0\n1e,2,0\n", HUSH_EFORMAT, 2, "line 2: field 1: invalid number '1e'");
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0\n1 2,2,0\n", HUSH_EFORMAT, 2, "line 2: field 1: invalid number '1 2'");
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0\n\"1\",2,0\n", HUSH_EFORMAT, 2, "line 2: field 1: invalid number '\"1\"'");
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0\n1,1e39,0\n", HUSH_ERANGE, 2, "line 2: field 2: out-of-range number '1e39'");
    CHECK_PARSE_ERR(hush_csv_parse, "1,2,0\n1,2,1e300\n", HUSH_ERANGE, 2,
                    "line 2: label '1e300' is not an integer in [0, 65536)");
    CHECK_PARSE_ERR(hush_csv_parse, "a,b\n\n", HUSH_EFORMAT, 2, "line 2: no data rows");
    CHECK_PARSE_ERR(hush_csv_parse, "", HUSH_EFORMAT, 1, "line 1: no data rows");
    CHECK_PARSE_ERR(hush_csv_parse, "h\n1\n2\n", HUSH_EFORMAT, 2, "line 2: need at least 2 fields (features, label), got 1");
    /* a 129-character number is refused, not truncated */
    char longnum[200];
    memset(longnum, '1', 129);
    strcpy(longnum + 129, ",0\n");
    hush_parse_error e2;
    CHECK_RC(hush_csv_parse(&d, longnum, strlen(longnum), &e2, NULL), HUSH_EFORMAT);
}

static void put32be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* 3 images of 2x3 and their labels */
static void make_idx(uint8_t img[34], uint8_t lab[11]) {
    put32be(img, 0x803);
    put32be(img + 4, 3);
    put32be(img + 8, 2);
    put32be(img + 12, 3);
    for (int i = 0; i < 18; i++) img[16 + i] = (uint8_t)(i * 15);
    img[16 + 17] = 255;
    put32be(lab, 0x801);
    put32be(lab + 4, 3);
    lab[8] = 4;
    lab[9] = 0;
    lab[10] = 7;
}

static int idx(const uint8_t *img, size_t il, const uint8_t *lab, size_t ll, hush_parse_error *e) {
    hush_dataset *d = NULL;
    int rc = hush_idx_parse(&d, img, il, lab, ll, e, NULL);
    hush_dataset_free(d);
    return rc;
}

static void test_idx(void) {
    uint8_t img[40], lab[16];
    hush_parse_error e;
    hush_dataset *d = NULL;
    make_idx(img, lab);
    CHECK_OK(hush_idx_parse(&d, img, 34, lab, 11, &e, NULL));
    if (d) {
        hush_shape s = hush_dataset_shape(d);
        CHECK(s.c == 1 && s.h == 2 && s.w == 3 && hush_dataset_dim(d) == 6 && hush_dataset_rows(d) == 3);
        CHECK(hush_dataset_classes(d) == 8);
        CHECK(hush_dataset_x(d)[1] == 15.0f / 255.0f && hush_dataset_x(d)[17] == 1.0f && hush_dataset_x(d)[0] == 0);
        CHECK(hush_dataset_labels(d)[2] == 7);
        hush_dataset_free(d);
    }
    /* every truncation of either file fails cleanly */
    int all = 1;
    for (size_t l = 0; l < 34; l++) all &= idx(img, l, lab, 11, &e) == HUSH_ETRUNC;
    for (size_t l = 0; l < 11; l++) all &= idx(img, 34, lab, l, &e) == HUSH_ETRUNC;
    CHECK(all);
    CHECK_RC(idx(img, 35, lab, 11, &e), HUSH_EFORMAT);
    CHECK(strcmp(e.msg, "images: 1 trailing bytes") == 0 && e.offset == 34);
    CHECK_RC(idx(img, 34, lab, 12, &e), HUSH_EFORMAT);
    CHECK(strcmp(e.msg, "labels: 1 trailing bytes") == 0);
    CHECK_RC(idx(img, 33, lab, 11, &e), HUSH_ETRUNC);
    CHECK(strcmp(e.msg, "images: 17 pixel bytes, header says 18") == 0);
    put32be(img, 0x801);
    CHECK_RC(idx(img, 34, lab, 11, &e), HUSH_EFORMAT);
    CHECK(strcmp(e.msg, "images: bad magic 0x00000801 (want 0x00000803)") == 0);
    CHECK_RC(idx(img, 2, lab, 11, &e), HUSH_ETRUNC); /* too short to hold a magic: truncation */
    make_idx(img, lab);
    put32be(lab, 0x803);
    CHECK_RC(idx(img, 34, lab, 11, &e), HUSH_EFORMAT);
    CHECK(strcmp(e.msg, "labels: bad magic 0x00000803 (want 0x00000801)") == 0);
    make_idx(img, lab);
    put32be(lab + 4, 2);
    CHECK_RC(idx(img, 34, lab, 10, &e), HUSH_EFORMAT);
    CHECK(strcmp(e.msg, "labels: count 2 != images count 3") == 0);
    make_idx(img, lab);
    put32be(img + 4, 0);
    put32be(lab + 4, 0);
    CHECK_RC(idx(img, 16, lab, 8, &e), HUSH_EFORMAT);
    make_idx(img, lab);
    put32be(img + 8, 0);
    CHECK_RC(idx(img, 34, lab, 11, &e), HUSH_ERANGE);
    put32be(img + 8, 257);
    put32be(img + 12, 256);
    CHECK_RC(idx(img, 34, lab, 11, &e), HUSH_ERANGE); /* 65792 pixels per image > 65536 */
    put32be(img + 8, 0xffffffffu);
    put32be(img + 12, 0xffffffffu);
    CHECK_RC(idx(img, 34, lab, 11, &e), HUSH_ERANGE); /* product would overflow 32 bits */
    /* huge counts in tiny files are refused before any allocation */
    make_idx(img, lab);
    put32be(img + 4, 0xffffffffu);
    put32be(lab + 4, 0xffffffffu);
    CHECK_RC(idx(img, 34, lab, 11, &e), HUSH_ERANGE);
    put32be(img + 4, 1000000);
    put32be(lab + 4, 1000000);
    CHECK_RC(idx(img, 34, lab, 11, &e), HUSH_ETRUNC);
    CHECK_RC(hush_idx_parse(&d, NULL, 4, lab, 11, &e, NULL), HUSH_EARG);
}

/* Fails every allocation of `run` in turn: each must return HUSH_ENOMEM and leak nothing; the
 * first index past the last allocation must succeed. Returns the number of allocations. */
typedef int (*alloc_run)(const hush_allocator *a, void *ctx);

static long fault_inject(const char *what, alloc_run run, void *ctx) {
    long n = 0;
    for (long k = 1; k < 1000; k++) {
        check_alloc ca = {0, k, 0, 0};
        hush_allocator a = CHECK_ALLOCATOR(ca);
        int rc = run(&a, ctx);
        CHECK_MSG(ca.live_blocks == 0 && ca.live_bytes == 0, "%s: leak with fail_at %ld", what, k);
        if (ca.calls < k) { /* nothing failed: done */
            CHECK_MSG(rc == HUSH_OK, "%s: %s without injected failure", what, hush_status_name(rc));
            n = k - 1;
            break;
        }
        CHECK_MSG(rc == HUSH_ENOMEM, "%s: fail_at %ld gave %s", what, k, hush_status_name(rc));
    }
    CHECK_MSG(n > 0, "%s: no allocation observed", what);
    return n;
}

static int run_arff(const hush_allocator *a, void *ctx) {
    hush_dataset *d;
    hush_parse_error e;
    int rc = hush_arff_parse(&d, ctx, strlen(ctx), &e, a);
    if (rc == HUSH_OK) {
        hush_dataset *tr, *te;
        hush_rng rng;
        rc = hush_rng_init_u64(&rng, 1);
        if (rc == HUSH_OK) rc = hush_dataset_split(&tr, &te, &rng, d, 0.5, a);
        if (rc == HUSH_OK) {
            hush_dataset_free(tr);
            hush_dataset_free(te);
        }
        hush_dataset_free(d);
    }
    return rc;
}
static int run_csv(const hush_allocator *a, void *ctx) {
    hush_dataset *d;
    int rc = hush_csv_parse(&d, ctx, strlen(ctx), NULL, a);
    if (rc == HUSH_OK) hush_dataset_free(d);
    return rc;
}
static int run_idx(const hush_allocator *a, void *ctx) {
    (void)ctx;
    uint8_t img[34], lab[11];
    make_idx(img, lab);
    hush_dataset *d;
    int rc = hush_idx_parse(&d, img, 34, lab, 11, NULL, a);
    if (rc == HUSH_OK) hush_dataset_free(d);
    return rc;
}

static void test_fault_injection(void) {
    long n = fault_inject("arff+split", run_arff, (void *)ARFF_SMALL);
    CHECK(n >= 8); /* header arrays, scratch, data set, names; then split's perm and two sets */
    fault_inject("csv", run_csv, "a,b,c\n1,2,3\n4,5,6\n");
    fault_inject("idx", run_idx, NULL);
}

/* Every prefix of a valid text input parses or fails cleanly; the allocator sees no leak. */
static void test_truncations(void) {
    const char *csv = "a,b,c\n1,2,3\n4,5,6\n";
    const char *inputs[] = {ARFF_SMALL, csv};
    text_parser fns[] = {hush_arff_parse, hush_csv_parse};
    for (int k = 0; k < 2; k++) {
        size_t n = strlen(inputs[k]);
        int ok = 1;
        for (size_t l = 0; l <= n; l++) {
            char *copy = malloc(l ? l : 1); /* exact size so ASan catches any over-read */
            memcpy(copy, inputs[k], l);
            check_alloc ca = {0, 0, 0, 0};
            hush_allocator a = CHECK_ALLOCATOR(ca);
            hush_dataset *d = NULL;
            hush_parse_error e;
            int rc = fns[k](&d, copy, l, &e, &a);
            if (rc == HUSH_OK) hush_dataset_free(d);
            ok &= ca.live_blocks == 0 && (rc == HUSH_OK || d == NULL);
            free(copy);
        }
        CHECK(ok);
    }
}

static void test_split_standardize(void) {
    /* 10 rows: x = (i, 7, i*i) with column 1 constant, label i % 3 */
    char text[512] = "";
    for (int i = 0; i < 10; i++) {
        char line[64];
        snprintf(line, sizeof line, "%d,7,%d,%d\n", i, i * i, i % 3);
        strcat(text, line);
    }
    hush_dataset *d, *tr, *te, *tr2, *te2;
    CHECK_OK(hush_csv_parse(&d, text, strlen(text), NULL, NULL));
    hush_rng rng;
    CHECK_OK(hush_rng_init_u64(&rng, 42));
    CHECK_OK(hush_dataset_split(&tr, &te, &rng, d, 0.25, NULL)); /* round(2.5) = 3 */
    CHECK(hush_dataset_rows(te) == 3 && hush_dataset_rows(tr) == 7);
    CHECK(hush_dataset_classes(tr) == 3 && hush_dataset_classes(te) == 3);
    CHECK(strcmp(hush_dataset_class_name(te, 2), "2") == 0);
    /* a permutation: every row appears once, intact */
    int seen[10] = {0}, intact = 1;
    hush_dataset *parts[2] = {tr, te};
    for (int p = 0; p < 2; p++)
        for (size_t r = 0; r < hush_dataset_rows(parts[p]); r++) {
            const float *x = hush_dataset_x(parts[p]) + 3 * r;
            int i = (int)x[0];
            seen[i]++;
            intact &= x[1] == 7 && x[2] == (float)(i * i) && hush_dataset_labels(parts[p])[r] == (uint32_t)(i % 3);
        }
    int once = 1;
    for (int i = 0; i < 10; i++) once &= seen[i] == 1;
    CHECK(once && intact);
    /* the documented rule: perm shuffled by hush_rng_shuffle_u32, test = perm[0..3) */
    hush_rng r2;
    CHECK_OK(hush_rng_init_u64(&r2, 42));
    uint32_t perm[10];
    for (uint32_t i = 0; i < 10; i++) perm[i] = i;
    CHECK_OK(hush_rng_shuffle_u32(&r2, perm, 10));
    CHECK(hush_dataset_x(te)[0] == (float)perm[0] && hush_dataset_x(te)[6] == (float)perm[2]);
    CHECK(hush_dataset_x(tr)[0] == (float)perm[3]);
    /* same seed, same split; other seed, other split */
    CHECK_OK(hush_rng_init_u64(&r2, 42));
    CHECK_OK(hush_dataset_split(&tr2, &te2, &r2, d, 0.25, NULL));
    CHECK(memcmp(hush_dataset_x(te), hush_dataset_x(te2), 9 * sizeof(float)) == 0);
    hush_dataset_free(tr2);
    hush_dataset_free(te2);
    CHECK_OK(hush_rng_init_u64(&r2, 43));
    CHECK_OK(hush_dataset_split(&tr2, &te2, &r2, d, 0.25, NULL));
    CHECK(memcmp(hush_dataset_x(tr), hush_dataset_x(tr2), 21 * sizeof(float)) != 0);
    hush_dataset_free(tr2);
    hush_dataset_free(te2);
    /* edges and misuse */
    CHECK_OK(hush_dataset_split(&tr2, &te2, &rng, d, 0.0, NULL));
    CHECK(hush_dataset_rows(te2) == 0 && hush_dataset_rows(tr2) == 10);
    hush_dataset_free(tr2);
    hush_dataset_free(te2);
    CHECK_OK(hush_dataset_split(&tr2, &te2, &rng, d, 1.0, NULL));
    CHECK(hush_dataset_rows(te2) == 10 && hush_dataset_rows(tr2) == 0);
    CHECK_OK(hush_dataset_standardize(tr2, te2)); /* empty train: mean 0, std 1 */
    hush_dataset_free(tr2);
    hush_dataset_free(te2);
    CHECK_RC(hush_dataset_split(&tr2, &te2, &rng, d, 1.5, NULL), HUSH_EARG);
    CHECK_RC(hush_dataset_split(&tr2, &te2, &rng, d, NAN, NULL), HUSH_EARG);
    CHECK_RC(hush_dataset_split(&tr2, &te2, &rng, d, -0.1, NULL), HUSH_EARG);
    CHECK_RC(hush_dataset_split(&tr2, &te2, NULL, d, 0.5, NULL), HUSH_EARG);
    CHECK(tr2 == NULL && te2 == NULL);

    /* standardize: train stats only, population std, constant column -> 0 */
    double mean = 0, ss = 0;
    const float *x = hush_dataset_x(tr);
    for (int r = 0; r < 7; r++) mean += x[3 * r + 2];
    mean /= 7;
    for (int r = 0; r < 7; r++) ss += (x[3 * r + 2] - mean) * (x[3 * r + 2] - mean);
    double sd = sqrt(ss / 7);
    float te0 = hush_dataset_x(te)[2];
    CHECK_OK(hush_dataset_standardize(tr, te));
    double m0 = 0, s0 = 0;
    for (int r = 0; r < 7; r++) m0 += hush_dataset_x(tr)[3 * r + 2];
    for (int r = 0; r < 7; r++) s0 += hush_dataset_x(tr)[3 * r + 2] * hush_dataset_x(tr)[3 * r + 2];
    CHECK_NEAR(m0 / 7, 0.0, 1e-6);
    CHECK_NEAR(sqrt(s0 / 7), 1.0, 1e-6);
    CHECK_NEAR(hush_dataset_x(te)[2], (te0 - mean) / sd, 1e-6);
    CHECK(hush_dataset_x(tr)[1] == 0.0f && hush_dataset_x(te)[4] == 0.0f);
    float before = hush_dataset_x(tr)[2];
    CHECK_OK(hush_dataset_scale(tr, 2.0f));
    CHECK(hush_dataset_x(tr)[2] == 2.0f * before);
    CHECK_RC(hush_dataset_scale(tr, INFINITY), HUSH_EARG);
    CHECK_RC(hush_dataset_scale(tr, NAN), HUSH_EARG);
    CHECK_RC(hush_dataset_standardize(NULL, NULL), HUSH_EARG);
    CHECK_RC(hush_dataset_standardize(tr, tr), HUSH_EARG);
    hush_dataset_free(tr);
    hush_dataset_free(te);

    /* ARFF missing values: numeric -> train mean (0 after standardising), one-hot untouched */
    hush_dataset *a;
    CHECK_OK(hush_arff_parse(&a, ARFF_SMALL, strlen(ARFF_SMALL), NULL, NULL));
    CHECK_OK(hush_dataset_standardize(a, NULL));
    const float *ax = hush_dataset_x(a);
    CHECK(ax[5 * 1 + 0] == 0.0f && ax[5 * 2 + 4] == 0.0f);
    CHECK(ax[1] == 1 && ax[2] == 0 && ax[5 * 3 + 1] == 0 && ax[5 * 3 + 3] == 0); /* one-hot as parsed */
    /* mean of 1.5, 2, 300 is 101.1667; row 0's 1.5 must now be negative, row 3's positive */
    CHECK(ax[0] < 0 && ax[15] > 0);
    /* a test set with another layout is refused */
    CHECK_RC(hush_dataset_standardize(a, d), HUSH_ESHAPE);
    hush_dataset_free(a);
    hush_dataset_free(d);
}

static char *read_text(const char *path, size_t *len) { return (char *)check_data_file(path, len); }

static void test_real_data(void) {
    size_t len;
    hush_parse_error e;
    hush_dataset *d;
    char *t = read_text("data/credit-g.arff", &len);
    if (t) CHECK_OK(hush_arff_parse(&d, t, len, &e, NULL));
    if (t && d) {
        CHECK(hush_dataset_rows(d) == 1000);
        /* 7 numeric + one-hot 4+5+11+5+5+5+3+4+3+3+4+2+2 = 56 (from the @attribute lines) */
        CHECK(hush_dataset_dim(d) == 63);
        CHECK(hush_dataset_classes(d) == 2);
        CHECK(strcmp(hush_dataset_class_name(d, 0), "good") == 0 && strcmp(hush_dataset_class_name(d, 1), "bad") == 0);
        size_t good = 0;
        for (size_t i = 0; i < 1000; i++) good += hush_dataset_labels(d)[i] == 0;
        CHECK(good == 700);
        /* first row: '<0',6,'critical/other existing credit',radio/tv,1169,... */
        const float *x = hush_dataset_x(d);
        CHECK(x[0] == 1 && x[1] == 0 && x[4] == 6 && x[5 + 4] == 1 && x[10 + 3] == 1 && x[21] == 1169);
        float rowsum = 0;
        for (int j = 0; j < 63; j++) rowsum += j == 4 || j == 21 ? 0 : x[j];
        CHECK(rowsum == 13 + (4 + 4 + 67 + 2 + 1)); /* 13 one-hot ones + the other numerics */
        hush_dataset *tr, *te;
        hush_rng rng;
        CHECK_OK(hush_rng_init_u64(&rng, 7));
        CHECK_OK(hush_dataset_split(&tr, &te, &rng, d, 0.2, NULL));
        CHECK(hush_dataset_rows(te) == 200 && hush_dataset_rows(tr) == 800);
        CHECK_OK(hush_dataset_standardize(tr, te));
        const float *tx = hush_dataset_x(tr);
        int stats_ok = 1, onehot_ok = 1;
        for (size_t j = 0; j < 63; j++) {
            double m = 0, s = 0;
            for (size_t r = 0; r < 800; r++) m += tx[r * 63 + j];
            m /= 800;
            for (size_t r = 0; r < 800; r++) s += (tx[r * 63 + j] - m) * (tx[r * 63 + j] - m);
            s = sqrt(s / 800);
            /* duration, credit_amount, installment_commitment, residence_since, age,
             * existing_credits, num_dependents, placed after the one-hot groups before them */
            int numeric = j == 4 || j == 21 || j == 32 || j == 41 || j == 46 || j == 53 || j == 58;
            if (numeric)
                stats_ok &= fabs(m) < 1e-5 && fabs(s - 1) < 1e-5;
            else
                for (size_t r = 0; r < 800; r++) onehot_ok &= tx[r * 63 + j] == 0 || tx[r * 63 + j] == 1;
        }
        CHECK(stats_ok && onehot_ok);
        hush_dataset_free(tr);
        hush_dataset_free(te);
        hush_dataset_free(d);
    } else if (t) {
        fprintf(stderr, "  credit-g: %s\n", e.msg);
    }
    free(t);

    t = read_text("data/digits.csv", &len);
    if (t && hush_csv_parse(&d, t, len, &e, NULL) == HUSH_OK) {
        CHECK(hush_dataset_rows(d) == 1797 && hush_dataset_dim(d) == 64 && hush_dataset_classes(d) == 10);
        CHECK_OK(hush_dataset_scale(d, 1.0f / 16.0f));
        float mx = 0;
        for (size_t i = 0; i < 1797 * 64; i++) mx = hush_dataset_x(d)[i] > mx ? hush_dataset_x(d)[i] : mx;
        CHECK(mx == 1.0f);
        hush_dataset_free(d);
    } else if (t) {
        CHECK_MSG(0, "digits.csv: %s", e.msg);
    }
    free(t);

    t = read_text("data/iris.csv", &len);
    if (t && hush_csv_parse(&d, t, len, &e, NULL) == HUSH_OK) {
        CHECK(hush_dataset_rows(d) == 150 && hush_dataset_dim(d) == 4 && hush_dataset_classes(d) == 3);
        size_t cnt[3] = {0};
        for (size_t i = 0; i < 150; i++) cnt[hush_dataset_labels(d)[i] % 3]++;
        CHECK(cnt[0] == 50 && cnt[1] == 50 && cnt[2] == 50);
        CHECK(hush_dataset_x(d)[0] == 5.1f && hush_dataset_x(d)[3] == 0.2f);
        hush_dataset *tr, *te;
        hush_rng rng;
        CHECK_OK(hush_rng_init_u64(&rng, 1));
        CHECK_OK(hush_dataset_split(&tr, &te, &rng, d, 0.2, NULL));
        CHECK(hush_dataset_rows(te) == 30);
        CHECK_OK(hush_dataset_standardize(tr, te));
        int ok = 1;
        for (size_t j = 0; j < 4; j++) {
            double m = 0, s = 0;
            for (size_t r = 0; r < 120; r++) m += hush_dataset_x(tr)[r * 4 + j];
            m /= 120;
            for (size_t r = 0; r < 120; r++) s += pow(hush_dataset_x(tr)[r * 4 + j] - m, 2);
            ok &= fabs(m) < 1e-6 && fabs(sqrt(s / 120) - 1) < 1e-6;
        }
        CHECK(ok);
        hush_dataset_free(tr);
        hush_dataset_free(te);
        hush_dataset_free(d);
    } else if (t) {
        CHECK_MSG(0, "iris.csv: %s", e.msg);
    }
    free(t);

    const char *names[2][2] = {{"data/fashion/train-images-idx3-ubyte", "data/fashion/train-labels-idx1-ubyte"},
                               {"data/fashion/t10k-images-idx3-ubyte", "data/fashion/t10k-labels-idx1-ubyte"}};
    size_t want_rows[2] = {60000, 10000};
    for (int s = 0; s < 2; s++) {
        size_t il, ll;
        unsigned char *img = check_data_file(names[s][0], &il), *lab = check_data_file(names[s][1], &ll);
        if (img && lab && hush_idx_parse(&d, img, il, lab, ll, &e, NULL) == HUSH_OK) {
            hush_shape sh = hush_dataset_shape(d);
            CHECK(hush_dataset_rows(d) == want_rows[s] && hush_dataset_dim(d) == 784 && hush_dataset_classes(d) == 10);
            CHECK(sh.c == 1 && sh.h == 28 && sh.w == 28);
            size_t cnt[10] = {0};
            for (size_t i = 0; i < want_rows[s]; i++) cnt[hush_dataset_labels(d)[i]]++;
            int balanced = 1;
            for (int k = 0; k < 10; k++) balanced &= cnt[k] == want_rows[s] / 10;
            CHECK(balanced);
            int inrange = 1;
            for (size_t i = 0; i < want_rows[s] * 784; i++)
                inrange &= hush_dataset_x(d)[i] >= 0 && hush_dataset_x(d)[i] <= 1;
            CHECK(inrange);
            hush_dataset_free(d);
        } else if (img && lab) {
            CHECK_MSG(0, "%s: %s", names[s][0], e.msg);
        }
        free(img);
        free(lab);
    }
}

/* k folds drawn from rngs in the same state partition the rows; sizes differ by at most one. */
static void test_folds(void) {
    char csv[512];
    size_t len = 0;
    for (int i = 0; i < 13; i++) len += (size_t)snprintf(csv + len, sizeof csv - len, "%d.5,%d\n", i, i);
    hush_dataset *d = NULL;
    CHECK_OK(hush_csv_parse(&d, csv, len, NULL, NULL));
    if (!d) return;
    int seen[13] = {0};
    size_t train_total = 0;
    for (uint32_t k = 0; k < 5; k++) {
        hush_rng r;
        hush_dataset *tr = NULL, *te = NULL;
        CHECK_OK(hush_rng_init_u64(&r, 77));
        CHECK_OK(hush_dataset_fold(&tr, &te, &r, d, 5, k, NULL));
        if (!tr || !te) continue;
        size_t nt = hush_dataset_rows(te);
        CHECK(nt == 2 || nt == 3);
        CHECK(hush_dataset_rows(tr) + nt == 13);
        train_total += hush_dataset_rows(tr);
        for (size_t i = 0; i < nt; i++) {
            uint32_t row = hush_dataset_labels(te)[i];
            CHECK(hush_dataset_x(te)[i] == (float)row + 0.5f); /* features travel with their label */
            if (row < 13) seen[row]++;
        }
        hush_dataset_free(tr);
        hush_dataset_free(te);
    }
    int once = 1;
    for (int i = 0; i < 13; i++) once &= seen[i] == 1;
    CHECK(once);
    CHECK(train_total == 4 * 13);
    hush_rng r;
    hush_dataset *tr = NULL, *te = NULL;
    CHECK_OK(hush_rng_init_u64(&r, 1));
    CHECK_RC(hush_dataset_fold(&tr, &te, &r, d, 1, 0, NULL), HUSH_ERANGE);
    CHECK_RC(hush_dataset_fold(&tr, &te, &r, d, 5, 5, NULL), HUSH_ERANGE);
    CHECK_RC(hush_dataset_fold(&tr, &te, &r, d, 14, 0, NULL), HUSH_ERANGE);
    CHECK(tr == NULL && te == NULL);
    hush_dataset_free(d);
}

/* Shards drawn from rngs in the same state partition the rows. IID: near-equal sizes. Label skew
 * with K = 2 on 10 classes of 10 rows each: the pieces are exactly the classes, so each of the 5
 * parts holds exactly two whole classes (McMahan et al. 2017's construction). */
static void test_shards(void) {
    char csv[2048];
    size_t len = 0;
    for (int i = 0; i < 100; i++) len += (size_t)snprintf(csv + len, sizeof csv - len, "%d.5,%d\n", i, i % 10);
    hush_dataset *d = NULL;
    CHECK_OK(hush_csv_parse(&d, csv, len, NULL, NULL));
    if (!d) return;
    for (uint32_t k = 0; k <= 2; k += 2) {
        uint32_t parts = k ? 5 : 4;
        int seen[100] = {0};
        for (uint32_t p = 0; p < parts; p++) {
            hush_rng r;
            hush_dataset *s = NULL;
            CHECK_OK(hush_rng_init_u64(&r, 5));
            CHECK_OK(hush_dataset_shard(&s, &r, d, parts, p, k, NULL));
            if (!s) continue;
            CHECK(hush_dataset_rows(s) == 100 / parts);
            int classes[10] = {0}, travel = 1;
            for (size_t i = 0; i < hush_dataset_rows(s); i++) {
                int row = (int)hush_dataset_x(s)[i];
                travel &= hush_dataset_labels(s)[i] == (uint32_t)(row % 10);
                seen[row]++;
                classes[row % 10]++;
            }
            CHECK(travel);
            if (k) {
                int held = 0, whole = 1;
                for (int c = 0; c < 10; c++) {
                    held += classes[c] > 0;
                    whole &= classes[c] == 0 || classes[c] == 10;
                }
                CHECK(held == 2 && whole);
            }
            hush_dataset_free(s);
        }
        int once = 1;
        for (int i = 0; i < 100; i++) once &= seen[i] == 1;
        CHECK(once);
    }
    hush_rng r;
    hush_dataset *s = NULL;
    CHECK_OK(hush_rng_init_u64(&r, 1));
    CHECK_RC(hush_dataset_shard(&s, &r, d, 4, 4, 0, NULL), HUSH_ERANGE);
    CHECK_RC(hush_dataset_shard(&s, &r, d, 51, 0, 2, NULL), HUSH_ERANGE);
    CHECK_RC(hush_dataset_shard(&s, &r, d, 0, 0, 0, NULL), HUSH_EARG);
    CHECK(s == NULL);
    hush_dataset_free(d);
}

/* norm_stats is exactly the map standardize applies, and leaves one-hot columns alone. */
static void test_norm_stats(void) {
    static const char arff[] = "@relation r\n@attribute a numeric\n@attribute c {x,y}\n@attribute b numeric\n"
                               "@attribute class {p,q}\n@data\n1,x,10,p\n2,y,?,q\n4,x,30,p\n9,y,25,q\n";
    hush_dataset *d = NULL, *e = NULL;
    CHECK_OK(hush_arff_parse(&d, arff, sizeof arff - 1, NULL, NULL));
    CHECK_OK(hush_arff_parse(&e, arff, sizeof arff - 1, NULL, NULL));
    if (!d || !e) return;
    size_t dim = hush_dataset_dim(d);
    CHECK(dim == 4);
    float shift[4], scale[4];
    CHECK_RC(hush_dataset_norm_stats(d, shift, scale, 3), HUSH_ESHAPE);
    CHECK_OK(hush_dataset_norm_stats(d, shift, scale, 4));
    CHECK(shift[1] == 0.0f && scale[1] == 1.0f && shift[2] == 0.0f && scale[2] == 1.0f); /* one-hot x, y */
    CHECK(shift[0] == 4.0f);                                                               /* mean of 1,2,4,9 */
    CHECK_NEAR(scale[0], 1.0 / sqrt(9.5), 1e-7);                                           /* population var 9.5 */
    CHECK(shift[3] == (float)(65.0 / 3.0));                                                /* '?' is skipped */
    CHECK_OK(hush_dataset_standardize(d, NULL));
    const float *x = hush_dataset_x(d), *raw = hush_dataset_x(e);
    int same = 1;
    for (size_t i = 0; i < 4 * dim; i++) {
        size_t j = i % dim;
        float want = raw[i] != raw[i] ? 0.0f : (raw[i] - shift[j]) * scale[j];
        same &= memcmp(&want, &x[i], sizeof want) == 0;
    }
    CHECK(same);
    hush_dataset_free(d);
    hush_dataset_free(e);
}

int main(void) {
    test_folds();
    test_shards();
    test_norm_stats();
    test_arff_small();
    test_arff_errors();
    test_csv();
    test_idx();
    test_fault_injection();
    test_truncations();
    test_split_standardize();
    test_real_data();
    CHECK_SUMMARY();
}
