/* Update clipping before quantisation (hush/fl.h): an L2 ball, or a box per coordinate. Both
 * report what they did, so a caller can count how often clipping bites. */
#include <math.h>

#include "hush/fl.h"

int hush_fl_clip_l2(float *x, size_t n, double *norm, double max_norm) {
    if ((!x && n) || !(max_norm > 0) || !isfinite(max_norm)) return HUSH_EARG;
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) return HUSH_ENUMERIC;
        s += (double)x[i] * x[i];
    }
    double nrm = sqrt(s);
    if (norm) *norm = nrm;
    if (nrm > max_norm) {
        double f = max_norm / nrm;
        for (size_t i = 0; i < n; i++) x[i] = (float)(x[i] * f);
        /* float rounding may leave the norm a hair above max_norm: shrink until it is not */
        for (int k = 0; k < 4; k++) {
            s = 0;
            for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
            if (sqrt(s) <= max_norm) break;
            for (size_t i = 0; i < n; i++) x[i] = (float)(x[i] * (1 - 1e-6));
        }
    }
    return HUSH_OK;
}

int hush_fl_clip_range(float *x, size_t n, size_t *clipped, double lo, double hi) {
    if ((!x && n) || !(lo <= hi) || !isfinite(lo) || !isfinite(hi)) return HUSH_EARG;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return HUSH_ENUMERIC;
        if (x[i] < lo) {
            x[i] = (float)lo;
            k++;
        } else if (x[i] > hi) {
            x[i] = (float)hi;
            k++;
        }
        if (x[i] < lo || x[i] > hi) x[i] = (float)(x[i] < lo ? nextafterf((float)lo, INFINITY) : nextafterf((float)hi, -INFINITY));
    }
    if (clipped) *clipped = k;
    return HUSH_OK;
}
