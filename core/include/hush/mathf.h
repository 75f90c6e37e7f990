/* Deterministic elementary functions.
 *
 * Start here: use hush_expf/hush_logf/hush_tanhf (and the double versions) instead of libm
 * wherever a result must be the same bits on every build (native, Emscripten, WASI); nn and the
 * samplers do. They take and return plain floats/doubles and never fail.
 *
 * Results must not depend on which libm the build links (glibc, musl in wasi-libc, Emscripten's
 * musl), so Hush computes exp, log and tanh itself from +, -, *, / and exact scaling only. Each
 * function is a fixed sequence of IEEE-754 operations, so with -ffp-contract=off every build
 * returns the same bits. Accuracy targets (tested against long double libm over dense grids):
 * float versions within 2 ulp, double versions within 2 ulp.
 */
#ifndef HUSH_MATHF_H
#define HUSH_MATHF_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

float hush_expf(float x);
float hush_logf(float x);
float hush_tanhf(float x);
float hush_sigmoidf(float x);
double hush_exp(double x);
double hush_log(double x);
double hush_log1p(double x);
double hush_expm1(double x);

#ifdef __cplusplus
}
#endif
#endif
