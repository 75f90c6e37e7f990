/* Tests for the byte reader/writer and the model file format (core/src/io/buf.c, modelfile.c):
 * known answers from tests/vectors/modelfile/tiny.kat, round trips, every decode error code from
 * a crafted file, every truncation and every bit flip of valid files. */
#include <sodium.h>

#include "check.h"
#include "hush/common.h"
#include "io/buf.h"
#include "io/modelfile.h"
#include "kat.h"
#include "nn/spec.h"

static void test_buf(void) {
    uint8_t b[64];
    hush__wr w;
    hush__wr_init(&w, b, sizeof b);
    hush__wr_u8(&w, 0xab);
    hush__wr_u16(&w, 0x1234);
    hush__wr_u32(&w, 0xdeadbeefu);
    hush__wr_u64(&w, 0x0102030405060708ull);
    hush__wr_f32(&w, -1.5f);
    hush__wr_f64(&w, 0.1);
    hush__wr_bytes(&w, "xyz", 3);
    CHECK(w.err == HUSH_OK && w.pos == 1 + 2 + 4 + 8 + 4 + 8 + 3);
    /* byte order pinned down, not just self-consistent */
    static const uint8_t want[] = {0xab, 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde, 8, 7, 6, 5, 4, 3, 2, 1,
                                   0x00, 0x00, 0xc0, 0xbf};
    CHECK(memcmp(b, want, sizeof want) == 0);

    hush__rd r;
    hush__rd_init(&r, b, w.pos);
    CHECK(hush__rd_u8(&r) == 0xab);
    CHECK(hush__rd_u16(&r) == 0x1234);
    CHECK(hush__rd_u32(&r) == 0xdeadbeefu);
    CHECK(hush__rd_u64(&r) == 0x0102030405060708ull);
    CHECK(hush__rd_f32(&r) == -1.5f);
    CHECK(hush__rd_f64(&r) == 0.1);
    const uint8_t *p = hush__rd_bytes(&r, 3);
    CHECK(p && memcmp(p, "xyz", 3) == 0);
    CHECK(r.err == HUSH_OK && hush__rd_remaining(&r) == 0);
    /* sticky error at the first failing offset */
    CHECK(hush__rd_u8(&r) == 0);
    CHECK(r.err == HUSH_ETRUNC && r.err_off == w.pos);
    hush__rd_init(&r, b, 5);
    CHECK(hush__rd_u16(&r) == 0x34ab);
    CHECK(hush__rd_u32(&r) == 0);                    /* only 3 bytes left */
    CHECK(r.err == HUSH_ETRUNC && r.err_off == 2);
    CHECK(hush__rd_u8(&r) == 0 && r.err_off == 2); /* later reads do not move the error */
    /* huge lengths must not wrap the bounds check */
    hush__rd_init(&r, b, 8);
    hush__rd_u8(&r);
    CHECK(hush__rd_bytes(&r, SIZE_MAX) == NULL && r.err == HUSH_ETRUNC);
    uint8_t cp[4] = {1, 2, 3, 4};
    hush__rd_init(&r, b, 2);
    hush__rd_copy(&r, cp, 4);
    CHECK(cp[0] == 0 && cp[3] == 0 && r.err == HUSH_ETRUNC);
    hush__rd_init(&r, NULL, 10);
    CHECK(hush__rd_u8(&r) == 0 && r.err == HUSH_ETRUNC);
    /* big-endian variant for IDX */
    static const uint8_t be[] = {0, 0, 8, 3};
    hush__rd_init(&r, be, 4);
    CHECK(hush__rd_u32_be(&r) == 0x803u);

    /* writer capacity */
    hush__wr_init(&w, b, 5);
    hush__wr_u32(&w, 1);
    hush__wr_u32(&w, 2);
    CHECK(w.err == HUSH_ERANGE && w.err_off == 4 && w.pos == 4);
    hush__wr_u8(&w, 9);
    CHECK(w.pos == 4 && b[4] != 9);
    hush__wr_init(&w, b, 8);
    hush__wr_u8(&w, 1);
    hush__wr_bytes(&w, b, SIZE_MAX);
    CHECK(w.err == HUSH_ERANGE);

    /* floats by bit pattern: -0, NaN payloads, denormals survive */
    uint32_t pats[] = {0x80000000u, 0x7fc00001u, 0x00000001u, 0x7f7fffffu};
    for (size_t i = 0; i < 4; i++) {
        hush__wr_init(&w, b, 4);
        hush__wr_f32(&w, hush__bits_f32(pats[i]));
        CHECK(hush__load32_le(b) == pats[i]);
    }
}

static void rehash(uint8_t *buf, size_t len) {
    crypto_generichash(buf + len - 32, 32, buf, len - 32, NULL, 0);
}

static int decode(const uint8_t *buf, size_t len) {
    hush_shape in;
    hush_layer_spec layers[HUSH_MODEL_MAX_LAYERS];
    size_t nl, np;
    const uint8_t *p, *norm_le_;
    return hush__modelfile_decode(buf, len, &in, layers, HUSH_MODEL_MAX_LAYERS, &nl, &p, &np, &norm_le_);
}

static void test_kat(void) {
    kat_file k;
    if (kat_load(&k, "tests/vectors/modelfile/tiny.kat") != 0) {
        CHECK_MSG(0, "cannot read tests/vectors/modelfile/tiny.kat (run from the repo root)");
        return;
    }
    CHECK(k.n == 2);
    for (size_t ci = 0; ci < k.n; ci++) {
        const kat_case *c = &k.cases[ci];
        double in[3], lv[4 * HUSH_MODEL_MAX_LAYERS], pv[64];
        size_t len = 0;
        const char *name = kat_get(c, "name");
        CHECK(name != NULL);
        CHECK(kat_numbers(kat_get(c, "input"), in, 3) == 3);
        size_t nlv = kat_numbers(kat_get(c, "layers"), lv, 4 * HUSH_MODEL_MAX_LAYERS);
        size_t npv = kat_numbers(kat_get(c, "params"), pv, 64);
        uint8_t *file = kat_hex(kat_get(c, "file"), &len);
        CHECK(file && nlv % 4 == 0 && npv != (size_t)-1);
        if (!file || nlv % 4 || npv == (size_t)-1) continue;
        hush_shape shape = {(uint32_t)in[0], (uint32_t)in[1], (uint32_t)in[2]};
        hush_layer_spec layers[HUSH_MODEL_MAX_LAYERS];
        float params[64];
        for (size_t i = 0; i < nlv / 4; i++) {
            layers[i].kind = (uint32_t)lv[4 * i];
            layers[i].a = (uint32_t)lv[4 * i + 1];
            layers[i].b = (uint32_t)lv[4 * i + 2];
            layers[i].c = (uint32_t)lv[4 * i + 3];
        }
        for (size_t i = 0; i < npv; i++) params[i] = (float)pv[i];
        CHECK(hush__modelfile_size(nlv / 4, npv, 0) == len);

        uint8_t out[1024];
        size_t written = 0;
        CHECK_OK(hush__modelfile_encode(out, sizeof out, &written, shape, layers, nlv / 4, params, npv, NULL, 0));
        CHECK_MSG(written == len && memcmp(out, file, len) == 0, "encode != KAT for case %s", name);

        hush_shape din;
        hush_layer_spec dl[HUSH_MODEL_MAX_LAYERS];
        size_t dnl = 0, dnp = 0;
        const uint8_t *dp = NULL, *norm_le_ = NULL;
        CHECK_OK(hush__modelfile_decode(file, len, &din, dl, HUSH_MODEL_MAX_LAYERS, &dnl, &dp, &dnp, &norm_le_));
        CHECK(din.c == shape.c && din.h == shape.h && din.w == shape.w);
        CHECK(dnl == nlv / 4 && memcmp(dl, layers, dnl * sizeof *dl) == 0);
        CHECK(dnp == npv && (const uint8_t *)dp == file + 40 + 16 * dnl);
        for (size_t i = 0; i < dnp && i < npv; i++)
            CHECK(hush__load_f32_le(dp + 4 * i) == params[i]);
        free(file);
    }
    kat_free(&k);
}

/* A valid file with every layer kind and a few hundred parameters. */
static size_t make_model(uint8_t *out, size_t cap) {
    hush_layer_spec l[] = {{HUSH_LAYER_CONV2D, 4, 3, HUSH_PAD_SAME}, {HUSH_LAYER_RELU, 0, 0, 0},
                           {HUSH_LAYER_MAXPOOL, 0, 0, 0},        {HUSH_LAYER_CONV2D, 2, 15, HUSH_PAD_VALID},
                           {HUSH_LAYER_TANH, 0, 0, 0},           {HUSH_LAYER_DENSE, 65536, 0, 0},
                           {HUSH_LAYER_SIGMOID, 0, 0, 0},        {HUSH_LAYER_DENSE, 1, 0, 0}};
    float p[300];
    for (size_t i = 0; i < 300; i++) p[i] = (float)((double)i * 0.37 - 55.0);
    p[7] = -0.0f;
    p[8] = hush__bits_f32(1); /* smallest denormal is finite and must survive */
    p[9] = 3.4028235e38f;
    size_t n = 0;
    hush_shape in = {1, 28, 65536};
    int rc = hush__modelfile_encode(out, cap, &n, in, l, 8, p, 300, NULL, 0);
    CHECK_OK(rc);
    /* round trip */
    hush_shape din;
    hush_layer_spec dl[8];
    size_t nl, np;
    const uint8_t *dp, *norm_le_;
    CHECK_OK(hush__modelfile_decode(out, n, &din, dl, 8, &nl, &dp, &np, &norm_le_));
    CHECK(nl == 8 && np == 300 && memcmp(dl, l, sizeof l) == 0 && din.w == 65536);
    int same = 1;
    for (size_t i = 0; i < np; i++)
        same &= hush__load32_le(dp + 4 * i) == hush__f32_bits(p[i]);
    CHECK(same);
    /* max_layers smaller than the file's layer count */
    CHECK_RC(hush__modelfile_decode(out, n, &din, dl, 7, &nl, &dp, &np, &norm_le_), HUSH_ERANGE);
    return n;
}

static void set32(uint8_t *b, size_t off, uint32_t v) { hush__store32_le(b + off, v); }

static void test_errors(void) {
    uint8_t good[2048], b[2048];
    size_t n = make_model(good, sizeof good);
    CHECK(n == 72 + 16 * 8 + 4 * 300);

    /* every truncation: never OK; the header is intact, so always exactly HUSH_ETRUNC */
    int all_trunc = 1;
    for (size_t len = 0; len < n; len++) {
        memcpy(b, good, len);
        all_trunc &= decode(b, len) == HUSH_ETRUNC;
    }
    CHECK(all_trunc);
    /* every bit flip: never OK; flips past the layer table can only be caught by the checksum */
    int never_ok = 1, params_checksum = 1;
    for (size_t i = 0; i < n; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(b, good, n);
            b[i] ^= (uint8_t)(1u << bit);
            int rc = decode(b, n);
            never_ok &= rc != HUSH_OK;
            if (i >= 32 + 16 * 8 + 8) params_checksum &= rc == HUSH_ECHECKSUM;
        }
    CHECK(never_ok);
    CHECK(params_checksum);

    /* one crafted file per check, in the documented order */
    CHECK_RC(decode(good, 71), HUSH_ETRUNC);
    memcpy(b, good, n);
    b[7] = 'X';
    CHECK_RC(decode(b, n), HUSH_EFORMAT);
    set32(b, 8, 2); /* bad magic wins over bad version */
    CHECK_RC(decode(b, n), HUSH_EFORMAT);
    memcpy(b, good, n);
    set32(b, 8, 2);
    CHECK_RC(decode(b, n), HUSH_EVERSION);
    set32(b, 8, 0);
    CHECK_RC(decode(b, n), HUSH_EVERSION);
    set32(b, 12, 1); /* version wins over flags */
    set32(b, 8, 2);
    CHECK_RC(decode(b, n), HUSH_EVERSION);
    memcpy(b, good, n);
    set32(b, 12, 0x80000000u);
    CHECK_RC(decode(b, n), HUSH_EFORMAT);
    for (int d = 0; d < 3; d++) {
        memcpy(b, good, n);
        set32(b, 16 + 4 * (size_t)d, 0);
        CHECK_RC(decode(b, n), HUSH_ERANGE);
        set32(b, 16 + 4 * (size_t)d, 65537);
        CHECK_RC(decode(b, n), HUSH_ERANGE);
        set32(b, 16 + 4 * (size_t)d, 65535);
        CHECK_RC(decode(b, n), HUSH_ECHECKSUM); /* in range: only the checksum is now wrong */
    }
    memcpy(b, good, n);
    set32(b, 28, HUSH_MODEL_MAX_LAYERS + 1);
    CHECK_RC(decode(b, n), HUSH_ERANGE);
    set32(b, 28, 0xffffffffu);
    CHECK_RC(decode(b, n), HUSH_ERANGE);
    set32(b, 28, 9); /* plausible count, so n_params is read from the wrong place */
    CHECK(decode(b, n) != HUSH_OK);
    memcpy(b, good, n);
    size_t np_off = 32 + 16 * 8;
    hush__store64_le(b + np_off, (uint64_t)HUSH_MODEL_MAX_PARAMS + 1);
    CHECK_RC(decode(b, n), HUSH_ERANGE);
    hush__store64_le(b + np_off, UINT64_MAX);
    CHECK_RC(decode(b, n), HUSH_ERANGE);
    hush__store64_le(b + np_off, 301);
    CHECK_RC(decode(b, n), HUSH_ETRUNC);
    hush__store64_le(b + np_off, 299);
    CHECK_RC(decode(b, n), HUSH_ERANGE); /* 4 bytes longer than the sizes say */
    memcpy(b, good, n);
    b[n] = 0;
    CHECK_RC(decode(b, n + 1), HUSH_ERANGE); /* trailing byte */
    memcpy(b, good, n);
    b[n - 1] ^= 1;
    CHECK_RC(decode(b, n), HUSH_ECHECKSUM);

    /* layer fields: well-formed files (valid checksum) from a non-Hush writer */
    struct {
        uint32_t kind, a, b, c;
    } bad[] = {{0, 0, 0, 0},          {7, 0, 0, 0},
               {0xffffffffu, 1, 1, 1}, {HUSH_LAYER_DENSE, 0, 0, 0},
               {HUSH_LAYER_DENSE, HUSH_MODEL_MAX_UNITS + 1, 0, 0},
               {HUSH_LAYER_DENSE, 4, 1, 0}, {HUSH_LAYER_DENSE, 4, 0, 1},
               {HUSH_LAYER_CONV2D, 0, 3, 0}, {HUSH_LAYER_CONV2D, HUSH_MODEL_MAX_UNITS + 1, 3, 0},
               {HUSH_LAYER_CONV2D, 4, 0, 0}, {HUSH_LAYER_CONV2D, 4, HUSH_MODEL_MAX_KERNEL + 1, 0},
               {HUSH_LAYER_CONV2D, 4, 3, 2}, {HUSH_LAYER_MAXPOOL, 1, 0, 0},
               {HUSH_LAYER_RELU, 0, 1, 0},  {HUSH_LAYER_TANH, 0, 0, 1},
               {HUSH_LAYER_SIGMOID, 2, 0, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(b, good, n);
        set32(b, 32 + 16 * 3, bad[i].kind);
        set32(b, 32 + 16 * 3 + 4, bad[i].a);
        set32(b, 32 + 16 * 3 + 8, bad[i].b);
        set32(b, 32 + 16 * 3 + 12, bad[i].c);
        rehash(b, n);
        CHECK_MSG(decode(b, n) == HUSH_EFORMAT, "layer case %zu", i);
        hush_layer_spec l = {bad[i].kind, bad[i].a, bad[i].b, bad[i].c};
        CHECK(hush__nn_layer_check(&l) == HUSH_EFORMAT);
    }
    /* the rehash helper itself produces accepted files */
    memcpy(b, good, n);
    set32(b, 32 + 16 * 3 + 8, 1);
    rehash(b, n);
    CHECK_OK(decode(b, n));

    uint32_t nonfinite[] = {0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffffffffu, 0x7f800001u};
    for (size_t i = 0; i < 5; i++) {
        memcpy(b, good, n);
        set32(b, np_off + 8 + 4 * 123, nonfinite[i]);
        rehash(b, n);
        CHECK_RC(decode(b, n), HUSH_ENUMERIC);
        set32(b, 32 + 16 * 0, 99); /* a bad layer is reported before a bad parameter */
        rehash(b, n);
        CHECK_RC(decode(b, n), HUSH_EFORMAT);
    }
    /* an empty model is well-formed at this level (nn rejects it) */
    size_t w = 0;
    hush_shape in1 = {1, 1, 1};
    CHECK_OK(hush__modelfile_encode(b, sizeof b, &w, in1, NULL, 0, NULL, 0, NULL, 0));
    CHECK(w == 72);
    CHECK_OK(decode(b, w));

    /* decode arguments */
    hush_shape in;
    size_t nl, np;
    const uint8_t *p, *norm_le_;
    CHECK_RC(hush__modelfile_decode(NULL, 0, &in, NULL, 0, &nl, &p, &np, &norm_le_), HUSH_EARG);
    CHECK_RC(hush__modelfile_decode(good, n, &in, NULL, 4, &nl, &p, &np, &norm_le_), HUSH_EARG);
    CHECK_RC(hush__modelfile_decode(good, n, &in, NULL, 0, &nl, &p, &np, &norm_le_), HUSH_ERANGE);
}

static void test_encode_args(void) {
    uint8_t b[256];
    size_t w = 123;
    hush_shape in = {3, 1, 1};
    hush_layer_spec l = {HUSH_LAYER_DENSE, 2, 0, 0};
    float p[8] = {0};
    CHECK(hush__modelfile_size(1, 8, 0) == 120);
    CHECK(hush__modelfile_size(HUSH_MODEL_MAX_LAYERS + 1, 0, 0) == 0);
    CHECK(hush__modelfile_size(0, (size_t)HUSH_MODEL_MAX_PARAMS + 1, 0) == 0);
    CHECK(hush__modelfile_size(HUSH_MODEL_MAX_LAYERS, HUSH_MODEL_MAX_PARAMS, 0) ==
          72 + 16 * 32 + 4 * (size_t)HUSH_MODEL_MAX_PARAMS);
    CHECK_RC(hush__modelfile_encode(b, 119, &w, in, &l, 1, p, 8, NULL, 0), HUSH_ERANGE);
    CHECK(w == 0);
    CHECK_OK(hush__modelfile_encode(b, 120, &w, in, &l, 1, p, 8, NULL, 0));
    CHECK(w == 120);
    CHECK_RC(hush__modelfile_encode(NULL, 120, &w, in, &l, 1, p, 8, NULL, 0), HUSH_EARG);
    CHECK_RC(hush__modelfile_encode(b, 120, NULL, in, &l, 1, p, 8, NULL, 0), HUSH_EARG);
    CHECK_RC(hush__modelfile_encode(b, 120, &w, in, NULL, 1, p, 8, NULL, 0), HUSH_EARG);
    CHECK_RC(hush__modelfile_encode(b, 120, &w, in, &l, 1, NULL, 8, NULL, 0), HUSH_EARG);
    hush_shape zero = {3, 0, 1}, big = {65537, 1, 1};
    CHECK_RC(hush__modelfile_encode(b, 120, &w, zero, &l, 1, p, 8, NULL, 0), HUSH_EARG);
    CHECK_RC(hush__modelfile_encode(b, 120, &w, big, &l, 1, p, 8, NULL, 0), HUSH_EARG);
    hush_layer_spec badl = {HUSH_LAYER_DENSE, 0, 0, 0};
    CHECK_RC(hush__modelfile_encode(b, 120, &w, in, &badl, 1, p, 8, NULL, 0), HUSH_EARG);
    p[5] = hush__bits_f32(0x7fc00000u);
    CHECK_RC(hush__modelfile_encode(b, 120, &w, in, &l, 1, p, 8, NULL, 0), HUSH_ENUMERIC);
    CHECK_RC(hush__modelfile_encode(b, sizeof b, &w, in, &l, HUSH_MODEL_MAX_LAYERS + 1, p, 8, NULL, 0), HUSH_ERANGE);
}

/* The optional input-norm section (flags bit 0): round trip, and each way it can be malformed. */
static void test_norm_section(void) {
    hush_shape in = {3, 1, 1};
    hush_layer_spec l = {HUSH_LAYER_DENSE, 2, 0, 0};
    float params[8] = {0.5f, -1, 0.25f, 2, 0, 1.5f, -0.125f, 3};
    float norm[6] = {1, 2, 3, 0.5f, 0.25f, 4}; /* shift[3], scale[3] */
    uint8_t b[256];
    size_t w = 0, n = hush__modelfile_size(1, 8, 6);
    CHECK(n == 120 + 24);
    CHECK_RC(hush__modelfile_encode(b, n - 1, &w, in, &l, 1, params, 8, norm, 0), HUSH_ERANGE);
    CHECK_OK(hush__modelfile_encode(b, sizeof b, &w, in, &l, 1, params, 8, norm, 0));
    CHECK(w == n && hush__load32_le(b + 12) == 1);
    hush_shape din;
    hush_layer_spec dl[4];
    size_t nl = 0, np = 0;
    const uint8_t *p = NULL, *nle = NULL;
    CHECK_OK(hush__modelfile_decode(b, w, &din, dl, 4, &nl, &p, &np, &nle));
    CHECK(nle == p + 32);
    int same = nle != NULL;
    for (int i = 0; same && i < 6; i++) same = hush__load_f32_le(nle + 4 * i) == norm[i];
    CHECK(same);
    /* Without the flag, the same bytes are 24 bytes too long; a file with the flag but without
     * the section is too short. */
    uint8_t c[256];
    memcpy(c, b, w);
    set32(c, 12, 0);
    rehash(c, w);
    CHECK_RC(decode(c, w), HUSH_ERANGE);
    CHECK_OK(hush__modelfile_encode(c, sizeof c, &w, in, &l, 1, params, 8, NULL, 0));
    set32(c, 12, 1);
    rehash(c, w);
    CHECK_RC(decode(c, w), HUSH_ETRUNC);
    memcpy(c, b, n);
    set32(c, 12, 9); /* unknown bit above the known ones */
    CHECK_RC(decode(c, n), HUSH_EFORMAT);
    memcpy(c, b, n);
    set32(c, 12, 4); /* how the norm was derived, but no norm */
    CHECK_RC(decode(c, n), HUSH_EFORMAT);
    /* bits 1-2 record how the norm was derived (enum hush_input_scaling) and round-trip */
    for (uint32_t sc = 0; sc <= 3; sc++) {
        CHECK_OK(hush__modelfile_encode(c, sizeof c, &w, in, &l, 1, params, 8, norm, sc));
        CHECK(w == n && hush__load32_le(c + 12) == (1u | sc << 1));
        CHECK_OK(hush__modelfile_decode(c, w, &din, dl, 4, &nl, &p, &np, &nle));
        CHECK(hush__modelfile_scaling(c) == sc);
    }
    CHECK_RC(hush__modelfile_encode(c, sizeof c, &w, in, &l, 1, params, 8, norm, 4), HUSH_EARG);
    CHECK_RC(hush__modelfile_encode(c, sizeof c, &w, in, &l, 1, params, 8, NULL, 2), HUSH_EARG);
    memcpy(c, b, n);
    set32(c, 40 + 16 + 32 + 4, 0x7f800000u); /* scale[0] = inf */
    rehash(c, n);
    CHECK_RC(decode(c, n), HUSH_ENUMERIC);
    norm[4] = hush__bits_f32(0x7fc00000u);
    CHECK_RC(hush__modelfile_encode(b, sizeof b, &w, in, &l, 1, params, 8, norm, 0), HUSH_ENUMERIC);
}

int main(void) {
    /* nothing here allocates; referenced so check.h's allocator compiles without warnings */
    (void)check_alloc_fn;
    (void)check_free_fn;
    test_buf();
    test_kat();
    test_errors();
    test_encode_args();
    test_norm_section();
    CHECK_SUMMARY();
}
