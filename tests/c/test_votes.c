/* PATE votes and indices parsers (core/src/io/votes.c): sizes-then-fill, exact error lines, every
 * malformed shape refused, and no read beyond the given length. */
#include "check.h"
#include "hush.h"

static int votes(const char *text, uint32_t *out, size_t cap, size_t *t, size_t *e, uint32_t *mx,
                 hush_parse_error *err) {
    return hush_pate_votes_parse(out, cap, t, e, mx, text, strlen(text), err);
}

static void test_votes_good(void) {
    const char *text = "0,1,2\n 1 , 1,\t2\r\n\n2,1,0";
    size_t t = 0, e = 0;
    uint32_t mx = 0, v[9];
    CHECK_OK(votes(text, NULL, 0, &t, &e, &mx, NULL));
    CHECK(t == 3 && e == 3 && mx == 2);
    CHECK_RC(votes(text, v, 8, &t, &e, &mx, NULL), HUSH_ERANGE); /* buffer one short */
    CHECK_OK(votes(text, v, 9, &t, &e, &mx, NULL));
    static const uint32_t want[9] = {0, 1, 2, 1, 1, 2, 2, 1, 0};
    CHECK(memcmp(v, want, sizeof want) == 0);
    /* A length that cuts the text short is honoured: the unterminated copy is never read past. */
    char *copy = malloc(5);
    memcpy(copy, "7,8,9", 5);
    CHECK_OK(hush_pate_votes_parse(v, 9, &t, &e, &mx, copy, 5, NULL));
    CHECK(t == 1 && e == 3 && mx == 9 && v[2] == 9);
    CHECK_OK(hush_pate_votes_parse(v, 9, &t, &e, &mx, copy, 3, NULL));
    CHECK(t == 1 && e == 2 && v[1] == 8);
    free(copy);
}

static void test_votes_bad(void) {
    struct {
        const char *text;
        int rc;
        size_t line;
        const char *msg;
    } cases[] = {
        {"", HUSH_EFORMAT, 0, "no votes"},
        {"\n \n", HUSH_EFORMAT, 0, "no votes"},
        {"0,1\n1,x\n", HUSH_EFORMAT, 2, "field 2: expected a label"},
        {"0,1\n1\n", HUSH_EFORMAT, 2, "1 columns, but the first row has 2"},
        {"0,1\n1,0,1\n", HUSH_EFORMAT, 2, "more than the first row's 2 columns"},
        {"0;1\n", HUSH_EFORMAT, 1, "field 1: expected ','"},
        {"0,,1\n", HUSH_EFORMAT, 1, "field 2: expected a label"},
        {"0,-1\n", HUSH_EFORMAT, 1, "field 2: expected a label"},
        {"1048576\n", HUSH_EFORMAT, 1, "field 1: expected a label"},
        {"99999999999999999999999\n", HUSH_EFORMAT, 1, "field 1"},
        {"0,1,\n", HUSH_EFORMAT, 1, "field 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t t = 7, e = 7;
        uint32_t mx = 7;
        hush_parse_error err;
        int rc = votes(cases[i].text, NULL, 0, &t, &e, &mx, &err);
        CHECK_MSG(rc == cases[i].rc && err.line == cases[i].line && strstr(err.msg, cases[i].msg),
                  "case %zu: rc %d line %zu msg '%s'", i, rc, err.line, err.msg);
        CHECK(t == 7 && e == 7 && mx == 7); /* outputs untouched on failure */
    }
    size_t t, e;
    uint32_t mx;
    CHECK_RC(hush_pate_votes_parse(NULL, 0, NULL, &e, &mx, "0", 1, NULL), HUSH_EARG);
    CHECK_RC(hush_pate_votes_parse(NULL, 0, &t, &e, &mx, NULL, 1, NULL), HUSH_EARG);
}

static void test_indices(void) {
    uint32_t v[8];
    size_t n = 0;
    hush_parse_error err;
    const char *text = "0, 3\n4\t1,,\n";
    CHECK_OK(hush_pate_indices_parse(NULL, 0, &n, 5, text, strlen(text), NULL));
    CHECK(n == 4);
    CHECK_OK(hush_pate_indices_parse(v, 8, &n, 5, text, strlen(text), NULL));
    CHECK(v[0] == 0 && v[1] == 3 && v[2] == 4 && v[3] == 1);
    CHECK_RC(hush_pate_indices_parse(v, 3, &n, 5, text, strlen(text), NULL), HUSH_ERANGE);
    CHECK_RC(hush_pate_indices_parse(v, 8, &n, 4, text, strlen(text), &err), HUSH_EFORMAT); /* 4 >= 4 */
    CHECK(err.line == 2 && strstr(err.msg, "below the example count"));
    CHECK_RC(hush_pate_indices_parse(v, 8, &n, 5, "1x", 2, &err), HUSH_EFORMAT);
    CHECK(err.line == 1 && strstr(err.msg, "unexpected character"));
    CHECK_OK(hush_pate_indices_parse(v, 8, &n, 5, "", 0, NULL));
    CHECK(n == 0);
}

int main(void) {
    test_votes_good();
    test_votes_bad();
    test_indices();
    CHECK_SUMMARY();
}
