/* The Hush model file: a trained network's architecture and parameters, byte-identical on every
 * build, safe to load from an untrusted source.
 *
 * Format v1 (all integers little-endian, floats as IEEE-754 binary32 bit patterns, LE):
 *
 *   offset        size        field
 *   0             8           magic "HUSHMDL\0"
 *   8             4           u32 version = 1
 *   12            4           u32 flags: bit 0 = input norm present; bits 1-2 = how the norm was
 *                             derived (enum hush_input_scaling: 0 custom, 1 exact training
 *                             statistics, 2 public bounds, 3 a DP estimate), only with bit 0;
 *                             other bits must be 0
 *   16            12          u32 input c, h, w          (each 1..65536)
 *   28            4           u32 n_layers               (0..HUSH_MODEL_MAX_LAYERS)
 *   32            16*L        L x (u32 kind, a, b, c)    (hush_layer_spec, see nn.h)
 *   32+16L        8           u64 n_params               (0..HUSH_MODEL_MAX_PARAMS)
 *   40+16L        4*P         P x f32 parameters         (finite)
 *   40+16L+4P     4*N         only if flags bit 0: N = 2*c*h*w f32, the input standardisation
 *                             shift[c*h*w] then scale[c*h*w] (finite; see hush_model_set_input_norm)
 *   40+16L+4P+4N  32          BLAKE2b-256 (libsodium crypto_generichash, unkeyed) of all
 *                             preceding bytes
 *
 *   total = 72 + 16*L + 4*P + 4*N bytes; the file is exactly that long (no trailing bytes).
 *
 * Layer fields: DENSE a = units (1..HUSH_MODEL_MAX_UNITS), b = c = 0; CONV2D a = filters
 * (1..HUSH_MODEL_MAX_UNITS), b = kernel (1..HUSH_MODEL_MAX_KERNEL), c = padding (0 valid, 1 same);
 * MAXPOOL/RELU/TANH/SIGMOID a = b = c = 0: nn's rule (hush__nn_layer_check, nn/spec.h), which the
 * codec asks. Whether the layers fit the input shape and whether n_params matches the
 * architecture is checked by nn (hush_model_load), which knows the shapes.
 *
 * The checksum catches corruption, not tampering: anyone can recompute it. Decoding checks, in
 * this order, and returns the first failure:
 *   shorter than 72 bytes ............................ HUSH_ETRUNC
 *   magic ............................................ HUSH_EFORMAT
 *   version != 1 ..................................... HUSH_EVERSION
 *   unknown flag bits, or scaling bits without bit 0 . HUSH_EFORMAT
 *   input dim 0 or > 65536, n_layers > HUSH_MODEL_MAX_LAYERS or > max_layers,
 *   n_params > HUSH_MODEL_MAX_PARAMS, norm with c*h*w > HUSH_MODEL_MAX_PARAMS ... HUSH_ERANGE
 *   file shorter than the sizes imply ................ HUSH_ETRUNC
 *   file longer than the sizes imply ................. HUSH_ERANGE
 *   checksum ......................................... HUSH_ECHECKSUM
 *   unknown layer kind or invalid layer field ........ HUSH_EFORMAT
 *   non-finite parameter or norm value ............... HUSH_ENUMERIC
 * The structural checks come before the checksum so that a wrong or truncated file is named as
 * such; the layer/parameter checks come after it so that their failures mean "a well-formed file
 * written by something that is not Hush", not random corruption.
 */
#ifndef HUSH__IO_MODELFILE_H
#define HUSH__IO_MODELFILE_H

#include "hush/nn.h"

#define HUSH__MODELFILE_MAGIC "HUSHMDL\0"
#define HUSH__MODELFILE_VERSION 1u
#define HUSH__MODELFILE_HASH_BYTES 32u
#define HUSH__MODELFILE_MAX_DIM 65536u
#define HUSH__MODELFILE_MIN_SIZE 72u
#define HUSH__MODELFILE_FLAG_NORM 1u
#define HUSH__MODELFILE_SCALING_SHIFT 1u
#define HUSH__MODELFILE_SCALING_MASK (3u << HUSH__MODELFILE_SCALING_SHIFT)

/* Exact encoded size, or 0 if n_layers > HUSH_MODEL_MAX_LAYERS, n_params > HUSH_MODEL_MAX_PARAMS or
 * n_norm > 2 * HUSH_MODEL_MAX_PARAMS. n_norm is 0 (no input norm) or 2*c*h*w. */
size_t hush__modelfile_size(size_t n_layers, size_t n_params, size_t n_norm);

/* Writes the file into out[0..cap). Returns HUSH_EARG for NULL pointers or invalid
 * input/layers (the same rules decode enforces), HUSH_ENUMERIC for a non-finite parameter,
 * HUSH_ERANGE if cap is too small or the sizes exceed the limits. *written is set on success
 * (0 otherwise). `params` may be NULL when n_params is 0. */
HUSH_NODISCARD int hush__modelfile_encode(uint8_t *out, size_t cap, size_t *written, hush_shape input,
                                          const hush_layer_spec *layers, size_t n_layers,
                                          const float *params, size_t n_params, const float *norm,
                                          uint32_t scaling);

/* `norm` is NULL or 2*c*h*w floats (shift then scale); `scaling` (enum hush_input_scaling) says
 * where they came from and must be 0 without a norm (HUSH_EARG otherwise, as for a value > 3). */

/* Validates buf[0..len) as described above. On success fills *input, layers[0..*n_layers),
 * and points *params_le at the n_params little-endian float32s inside buf and *norm_le at the
 * 2*c*h*w norm floats (NULL when the file has none); read them with hush__load_f32_le from
 * io/buf.h. Outputs are untouched on failure except that layers may be partially written.
 * `layers` may be NULL only if max_layers is 0. */
HUSH_NODISCARD int hush__modelfile_decode(const uint8_t *buf, size_t len, hush_shape *input,
                                          hush_layer_spec *layers, size_t max_layers, size_t *n_layers,
                                          const uint8_t **params_le, size_t *n_params,
                                          const uint8_t **norm_le);

/* The scaling recorded in a file that hush__modelfile_decode accepted (0 without a norm). */
uint32_t hush__modelfile_scaling(const uint8_t *buf);

#endif
