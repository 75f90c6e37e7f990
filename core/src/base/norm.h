/* The one formula for input standardisation, shared by data sets (hush_dataset_standardize) and
 * models (hush_model_set_input_norm) so that standardising the data and letting the model do it
 * give the same bits. Missing values (NaN) map to 0, the training mean. */
#ifndef HUSH__BASE_NORM_H
#define HUSH__BASE_NORM_H

static inline float hush__norm_apply(float v, float shift, float scale) {
    return v != v ? 0.0f : (v - shift) * scale;
}

#endif
