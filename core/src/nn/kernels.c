/* Matrix multiply and im2col for nn (see kernels.h for the determinism contract).
 *
 * The multiply is a register-blocked outer-product kernel: a 4 x 8 tile of C stays in registers
 * while k runs from 0 to K-1, each step adding a(i,k) * B[k][j..j+8). Each loaded B row is used
 * by four rows of A and each A scalar by eight columns; the summation order of every C element
 * is still plain ascending k, identical in the 8-wide tile, the 4-wide tile, the zero-padded
 * 1..3-column tail and the scalar code.
 */
#include "nn/kernels.h"

#include <string.h>

#include "nn/simd.h"

#define v4f hush__v4f
#define ld4 hush__ld4
#define st4 hush__st4
#define splat hush__splat4

#ifdef HUSH__NN_VEC
/* The last 1..3 columns as a vector with zero padding: lanes beyond r compute 0 * a and are
 * never stored, so the stored lanes are exactly the scalar results. */
static inline v4f ldp(const float *p, size_t r) {
    v4f v = {p[0], r > 1 ? p[1] : 0.0f, r > 2 ? p[2] : 0.0f, 0.0f};
    return v;
}
static inline void stp(float *p, v4f v, size_t r) {
    p[0] = v[0];
    if (r > 1) p[1] = v[1];
    if (r > 2) p[2] = v[2];
}
#endif

/* Columns [j0, N) of up to four rows, scalar, ascending k. */
static void tail_cols(float *const *c, const float *const *a, size_t acs, int rows, const float *B, size_t ldb,
                      size_t K, size_t j0, size_t N) {
    for (int r = 0; r < rows; r++) {
        const float *ar = a[r];
        float *cr = c[r];
        for (size_t j = j0; j < N; j++) {
            float s = cr[j];
            for (size_t k = 0; k < K; k++) s += ar[k * acs] * B[k * ldb + j];
            cr[j] = s;
        }
    }
}

#ifdef HUSH__NN_VEC
static void rows4(float *c0, float *c1, float *c2, float *c3, const float *a0, const float *a1, const float *a2,
                  const float *a3, size_t acs, const float *B, size_t ldb, size_t K, size_t N) {
    size_t j = 0;
    for (; j + 8 <= N; j += 8) {
        v4f s00 = ld4(c0 + j), s01 = ld4(c0 + j + 4);
        v4f s10 = ld4(c1 + j), s11 = ld4(c1 + j + 4);
        v4f s20 = ld4(c2 + j), s21 = ld4(c2 + j + 4);
        v4f s30 = ld4(c3 + j), s31 = ld4(c3 + j + 4);
        const float *b = B + j;
        for (size_t k = 0; k < K; k++, b += ldb) {
            v4f b0 = ld4(b), b1 = ld4(b + 4);
            v4f x0 = splat(a0[k * acs]), x1 = splat(a1[k * acs]);
            v4f x2 = splat(a2[k * acs]), x3 = splat(a3[k * acs]);
            s00 += x0 * b0;
            s01 += x0 * b1;
            s10 += x1 * b0;
            s11 += x1 * b1;
            s20 += x2 * b0;
            s21 += x2 * b1;
            s30 += x3 * b0;
            s31 += x3 * b1;
        }
        st4(c0 + j, s00), st4(c0 + j + 4, s01);
        st4(c1 + j, s10), st4(c1 + j + 4, s11);
        st4(c2 + j, s20), st4(c2 + j + 4, s21);
        st4(c3 + j, s30), st4(c3 + j + 4, s31);
    }
    for (; j + 4 <= N; j += 4) {
        v4f s0 = ld4(c0 + j), s1 = ld4(c1 + j), s2 = ld4(c2 + j), s3 = ld4(c3 + j);
        const float *b = B + j;
        for (size_t k = 0; k < K; k++, b += ldb) {
            v4f bv = ld4(b);
            s0 += splat(a0[k * acs]) * bv;
            s1 += splat(a1[k * acs]) * bv;
            s2 += splat(a2[k * acs]) * bv;
            s3 += splat(a3[k * acs]) * bv;
        }
        st4(c0 + j, s0), st4(c1 + j, s1), st4(c2 + j, s2), st4(c3 + j, s3);
    }
    if (j < N) {
        size_t r = N - j;
        v4f s0 = ldp(c0 + j, r), s1 = ldp(c1 + j, r), s2 = ldp(c2 + j, r), s3 = ldp(c3 + j, r);
        const float *b = B + j;
        for (size_t k = 0; k < K; k++, b += ldb) {
            v4f bv = ldp(b, r);
            s0 += splat(a0[k * acs]) * bv;
            s1 += splat(a1[k * acs]) * bv;
            s2 += splat(a2[k * acs]) * bv;
            s3 += splat(a3[k * acs]) * bv;
        }
        stp(c0 + j, s0, r), stp(c1 + j, s1, r), stp(c2 + j, s2, r), stp(c3 + j, s3, r);
    }
}

static void rows1(float *c0, const float *a0, size_t acs, const float *B, size_t ldb, size_t K, size_t N) {
    size_t j = 0;
    for (; j + 8 <= N; j += 8) {
        v4f s0 = ld4(c0 + j), s1 = ld4(c0 + j + 4);
        const float *b = B + j;
        for (size_t k = 0; k < K; k++, b += ldb) {
            v4f x = splat(a0[k * acs]);
            s0 += x * ld4(b);
            s1 += x * ld4(b + 4);
        }
        st4(c0 + j, s0), st4(c0 + j + 4, s1);
    }
    for (; j + 4 <= N; j += 4) {
        v4f s0 = ld4(c0 + j);
        const float *b = B + j;
        for (size_t k = 0; k < K; k++, b += ldb) s0 += splat(a0[k * acs]) * ld4(b);
        st4(c0 + j, s0);
    }
    tail_cols(&c0, &a0, acs, 1, B, ldb, K, j, N);
}
#endif

double hush__nn_sumsq(const float *v, size_t n) {
    double s[4] = {0, 0, 0, 0};
    size_t k = 0;
    for (; k + 4 <= n; k += 4)
        for (size_t j = 0; j < 4; j++) s[j] += (double)v[k + j] * (double)v[k + j];
    for (; k < n; k++) s[k & 3] += (double)v[k] * (double)v[k];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

void hush__nn_gemm(float *C, size_t ldc, const float *A, size_t ars, size_t acs, const float *B, size_t ldb,
                   size_t M, size_t K, size_t N) {
    if (M == 0 || N == 0 || K == 0) return;
#ifdef HUSH__NN_VEC
    size_t i = 0;
    for (; i + 4 <= M; i += 4) {
        const float *a = A + i * ars;
        float *c = C + i * ldc;
        rows4(c, c + ldc, c + 2 * ldc, c + 3 * ldc, a, a + ars, a + 2 * ars, a + 3 * ars, acs, B, ldb, K, N);
    }
    for (; i < M; i++) rows1(C + i * ldc, A + i * ars, acs, B, ldb, K, N);
#else
    for (size_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        const float *a = A + i * ars;
        tail_cols(&c, &a, acs, 1, B, ldb, K, 0, N);
    }
#endif
}

/* Output columns ox in [*lo, *hi) read input column ox + kj - pl inside [0, w). */
static void valid_cols(const hush__nn_convgeo *g, uint32_t kj, size_t *lo, size_t *hi) {
    long off = (long)kj - (long)g->pl;
    long l = off < 0 ? -off : 0;
    long h = (long)g->w - off;
    if (h > (long)g->ow) h = (long)g->ow;
    if (h < l) h = l;
    *lo = (size_t)l;
    *hi = (size_t)h;
}

void hush__nn_im2col(float *col, const float *x, const hush__nn_convgeo *g) {
    size_t P = (size_t)g->oh * g->ow;
    for (uint32_t ci = 0; ci < g->c; ci++)
        for (uint32_t ki = 0; ki < g->k; ki++)
            for (uint32_t kj = 0; kj < g->k; kj++) {
                float *row = col + (((size_t)ci * g->k + ki) * g->k + kj) * P;
                size_t lo, hi;
                valid_cols(g, kj, &lo, &hi);
                for (uint32_t oy = 0; oy < g->oh; oy++) {
                    float *dst = row + (size_t)oy * g->ow;
                    long iy = (long)oy + (long)ki - (long)g->pt;
                    if (iy < 0 || iy >= (long)g->h) {
                        memset(dst, 0, g->ow * sizeof *dst);
                        continue;
                    }
                    const float *src = x + ((size_t)ci * g->h + (size_t)iy) * g->w;
                    if (lo) memset(dst, 0, lo * sizeof *dst);
                    if (hi > lo) memcpy(dst + lo, src + (lo + kj - g->pl), (hi - lo) * sizeof *dst);
                    if (hi < g->ow) memset(dst + hi, 0, (g->ow - hi) * sizeof *dst);
                }
            }
}

void hush__nn_im2col_t(float *colt, const float *x, const hush__nn_convgeo *g) {
    size_t ckk = (size_t)g->c * g->k * g->k;
    for (uint32_t oy = 0; oy < g->oh; oy++)
        for (uint32_t ox = 0; ox < g->ow; ox++) {
            float *dst = colt + ((size_t)oy * g->ow + ox) * ckk;
            for (uint32_t ci = 0; ci < g->c; ci++)
                for (uint32_t ki = 0; ki < g->k; ki++) {
                    long iy = (long)oy + (long)ki - (long)g->pt;
                    int row_in = iy >= 0 && iy < (long)g->h;
                    const float *src = x + ((size_t)ci * g->h + (row_in ? (size_t)iy : 0)) * g->w;
                    for (uint32_t kj = 0; kj < g->k; kj++) {
                        long ix = (long)ox + (long)kj - (long)g->pl;
                        *dst++ = (row_in && ix >= 0 && ix < (long)g->w) ? src[ix] : 0.0f;
                    }
                }
        }
}

void hush__nn_col2im_add(float *dx, const float *col, const hush__nn_convgeo *g) {
    size_t P = (size_t)g->oh * g->ow;
    for (uint32_t ci = 0; ci < g->c; ci++)
        for (uint32_t ki = 0; ki < g->k; ki++)
            for (uint32_t kj = 0; kj < g->k; kj++) {
                const float *row = col + (((size_t)ci * g->k + ki) * g->k + kj) * P;
                size_t lo, hi;
                valid_cols(g, kj, &lo, &hi);
                for (uint32_t oy = 0; oy < g->oh; oy++) {
                    long iy = (long)oy + (long)ki - (long)g->pt;
                    if (iy < 0 || iy >= (long)g->h) continue;
                    float *d = dx + ((size_t)ci * g->h + (size_t)iy) * g->w;
                    const float *s = row + (size_t)oy * g->ow;
                    for (size_t ox = lo; ox < hi; ox++) d[ox + kj - g->pl] += s[ox];
                }
            }
}
