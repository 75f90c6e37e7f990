/* The nn SIMD vocabulary: 4-lane float vectors from GCC/Clang generic vector extensions (lowered to
 * SSE on x86-64, to simd128 under Emscripten/WASI -msimd128, to scalar code elsewhere), plus the
 * one operation generic vectors lack, sqrt, per ISA. Every operation is lane-wise IEEE-754 and
 * rounds exactly like the scalar code, so vectorising never changes a result; reductions are
 * never done across lanes. HUSH__NN_VEC is undefined for other compilers, which use the scalar
 * loops. */
#ifndef HUSH__NN_SIMD_H
#define HUSH__NN_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define HUSH__NN_VEC 1
typedef float hush__v4f __attribute__((vector_size(16)));
typedef int32_t hush__v4i __attribute__((vector_size(16)));

static inline hush__v4f hush__ld4(const float *p) {
    hush__v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void hush__st4(float *p, hush__v4f v) { memcpy(p, &v, sizeof v); }
static inline hush__v4f hush__splat4(float s) {
    hush__v4f v = {s, s, s, s};
    return v;
}
/* a > 0 ? b : +0.0f per lane (ReLU and its gradient), without branches. */
static inline hush__v4f hush__pos_select4(hush__v4f a, hush__v4f b) {
    hush__v4i m = a > hush__splat4(0.0f);
    return (hush__v4f)((hush__v4i)b & m);
}

#if defined(__SSE__)
#include <xmmintrin.h>
static inline hush__v4f hush__sqrt4(hush__v4f v) { return (hush__v4f)_mm_sqrt_ps((__m128)v); }
#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
static inline hush__v4f hush__sqrt4(hush__v4f v) { return (hush__v4f)wasm_f32x4_sqrt((v128_t)v); }
#else
static inline hush__v4f hush__sqrt4(hush__v4f v) {
    hush__v4f r = {__builtin_sqrtf(v[0]), __builtin_sqrtf(v[1]), __builtin_sqrtf(v[2]), __builtin_sqrtf(v[3])};
    return r;
}
#endif
#endif

#endif
