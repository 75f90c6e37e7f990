/* The nn compute kernels: one matrix multiply and the im2col family.
 *
 * Determinism: every output element of hush__nn_gemm accumulates its products in ascending k,
 * exactly as the scalar loop would; SIMD (GCC/Clang generic vectors, lowered to SSE on x86-64,
 * to simd128 under Emscripten -msimd128, and to scalar code otherwise) runs only across
 * independent output columns. With -ffp-contract=off each lane rounds exactly like the scalar
 * code, so every build returns the same bits.
 */
#ifndef HUSH__NN_KERNELS_H
#define HUSH__NN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* C[M x N] += A[M x K] * B[K x N]. A(i, k) is A[i*ars + k*acs] (any strides, so A may be a
 * transposed view); B and C are row-major with leading dimensions ldb, ldc. C's rows must not
 * overlap A or B. */
void hush__nn_gemm(float *C, size_t ldc, const float *A, size_t ars, size_t acs, const float *B, size_t ldb,
                   size_t M, size_t K, size_t N);

/* sum_k v[k]^2 in double, in four interleaved partial sums (k mod 4) added as (s0 + s1) +
 * (s2 + s3): a fixed order, so every build agrees, without one long chain of dependent adds. */
double hush__nn_sumsq(const float *v, size_t n);

/* Convolution geometry of one layer, stride 1. */
typedef struct hush__nn_convgeo {
    uint32_t c, h, w;   /* input */
    uint32_t k;         /* kernel size */
    uint32_t pt, pl;    /* zero padding above row 0 and left of column 0 */
    uint32_t oh, ow;    /* output */
} hush__nn_convgeo;

/* col is (c*k*k) x (oh*ow): row (ci, ki, kj), column (oy, ox) = x[ci][oy+ki-pt][ox+kj-pl] or 0. */
void hush__nn_im2col(float *col, const float *x, const hush__nn_convgeo *g);
/* The transpose of im2col: (oh*ow) x (c*k*k). */
void hush__nn_im2col_t(float *colt, const float *x, const hush__nn_convgeo *g);
/* dx[ci][iy][ix] += every col entry that im2col copied from there, in im2col's row order.
 * dx must be zeroed by the caller. */
void hush__nn_col2im_add(float *dx, const float *col, const hush__nn_convgeo *g);

#endif
