/* libFuzzer target: hush__modelfile_decode on arbitrary bytes. Each input is decoded twice: as
 * given, and with its last 32 bytes replaced by the correct BLAKE2b-256 of the rest, so that
 * mutations reach the checks behind the checksum (layer fields, parameters) instead of almost
 * all stopping at HUSH_ECHECKSUM. A successful decode must re-encode to exactly the same bytes
 * (the format has one encoding per model). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "io/buf.h"
#include "io/modelfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_one(const uint8_t *data, size_t size) {
    hush_shape in;
    hush_layer_spec layers[HUSH_MODEL_MAX_LAYERS];
    size_t nl = 0, np = 0;
    const uint8_t *p = NULL, *norm_le = NULL;
    if (hush__modelfile_decode(data, size, &in, layers, HUSH_MODEL_MAX_LAYERS, &nl, &p, &np, &norm_le) != HUSH_OK)
        return;
    size_t nn = norm_le ? 2 * (size_t)in.c * in.h * in.w : 0;
    float *params = malloc(np ? np * sizeof(float) : 1);
    float *norm = malloc(nn ? nn * sizeof(float) : 1);
    uint8_t *out = malloc(size);
    if (!params || !norm || !out) abort();
    for (size_t i = 0; i < np; i++) params[i] = hush__load_f32_le(p + 4 * i);
    for (size_t i = 0; i < nn; i++) norm[i] = hush__load_f32_le(norm_le + 4 * i);
    size_t w = 0;
    uint32_t scaling = hush__modelfile_scaling(data);
    if (hush__modelfile_encode(out, size, &w, in, layers, nl, params, np, norm_le ? norm : NULL, scaling) != HUSH_OK)
        abort();
    if (w != size || memcmp(out, data, size) != 0) abort();
    free(params);
    free(norm);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_one(data, size);
    if (size < HUSH__MODELFILE_MIN_SIZE) return 0;
    uint8_t *fixed = malloc(size);
    if (!fixed) abort();
    memcpy(fixed, data, size);
    crypto_generichash(fixed + size - 32, 32, fixed, size - 32, NULL, 0);
    check_one(fixed, size);
    free(fixed);
    return 0;
}
