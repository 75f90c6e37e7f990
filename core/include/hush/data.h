/* Data sets and their parsers: ARFF, CSV, IDX.
 *
 * Start here: hush_csv_parse / hush_arff_parse / hush_idx_parse turn untrusted bytes into a
 * hush_dataset (on error a hush_parse_error says where); hush_dataset_split (or _fold) makes
 * train/test parts, hush_dataset_standardize prepares them, and hush_dataset_x/_labels/_rows
 * feed hush_model_fit_epoch. hush_dataset_free wipes and frees.
 *
 * Every parser takes untrusted bytes, trusts no length or count inside them, and on failure
 * returns a status plus a hush_parse_error telling where (1-based line for text formats, byte
 * offset for binary ones) and what. A data set is a dense float matrix (rows x dim, row-major,
 * each row in C,H,W order for images) with one integer label per row.
 *
 * Feature preparation is explicit and leak-free: parsers return raw values; hush_dataset_split
 * makes a seeded train/test split; hush_dataset_standardize computes mean/std of the numeric
 * columns on the training split only and applies them to both splits. ARFF nominal attributes are
 * one-hot encoded (one column per declared value, never standardised); '?' missing values become
 * the training mean (numeric) or an all-zero one-hot (nominal).
 */
#ifndef HUSH_DATA_H
#define HUSH_DATA_H

#include "common.h"
#include "nn.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HUSH_DATA_MAX_ROWS (16u * 1024u * 1024u)
#define HUSH_DATA_MAX_COLS 65536u
#define HUSH_DATA_MAX_CLASSES 65536u

typedef struct hush_parse_error {
    size_t line;   /* 1-based line for text formats, 0 if not applicable */
    size_t offset; /* byte offset of the problem */
    char msg[120];
} hush_parse_error;

typedef struct hush_dataset hush_dataset;

size_t hush_dataset_rows(const hush_dataset *d);
size_t hush_dataset_dim(const hush_dataset *d);
uint32_t hush_dataset_classes(const hush_dataset *d);
hush_shape hush_dataset_shape(const hush_dataset *d);
const float *hush_dataset_x(const hush_dataset *d);
const uint32_t *hush_dataset_labels(const hush_dataset *d);
/* Name of class k (ARFF nominal value, or the decimal label), NULL if out of range. */
const char *hush_dataset_class_name(const hush_dataset *d, uint32_t k);
void hush_dataset_free(hush_dataset *d);

/* ARFF (Weka): @relation, @attribute NAME numeric|real|integer|{v1,v2,...}, @data rows;
 * quoted names/values, % comments. The class is the attribute named "class" if present, else the
 * last one; it must be nominal. */
HUSH_NODISCARD int hush_arff_parse(hush_dataset **out, const char *text, size_t len, hush_parse_error *err,
                                   const hush_allocator *alloc);
/* CSV of numbers, label (a non-negative integer) in the last column. A first line containing any
 * non-numeric field is a header and is skipped (sklearn's iris.csv starts with one). */
HUSH_NODISCARD int hush_csv_parse(hush_dataset **out, const char *text, size_t len, hush_parse_error *err,
                                  const hush_allocator *alloc);
/* IDX (LeCun's MNIST format): images file (u8, 3 dims N x H x W) and labels file (u8, 1 dim N).
 * Pixels are scaled to [0, 1]; shape is (1, H, W). */
HUSH_NODISCARD int hush_idx_parse(hush_dataset **out, const uint8_t *images, size_t images_len,
                                  const uint8_t *labels, size_t labels_len, hush_parse_error *err,
                                  const hush_allocator *alloc);

/* Seeded shuffled split; the test part has round(rows * test_fraction) rows. */
HUSH_NODISCARD int hush_dataset_split(hush_dataset **train, hush_dataset **test, hush_rng *rng,
                                      const hush_dataset *d, double test_fraction, const hush_allocator *alloc);
/* Fold `fold` of a seeded k-fold partition: the rows are shuffled with rng and cut into `folds`
 * contiguous, near-equal parts; part `fold` is the test set, the rest the training set. Give every
 * fold an rng in the same state (for example one derived afresh from the same seed) so the k test
 * sets partition the rows: each row is tested exactly once. */
HUSH_NODISCARD int hush_dataset_fold(hush_dataset **train, hush_dataset **test, hush_rng *rng,
                                     const hush_dataset *d, uint32_t folds, uint32_t fold,
                                     const hush_allocator *alloc);
/* Part `part` (0-based) of `parts` disjoint shards of d, to simulate silos from one file (demos,
 * tests, benchmarks). labels_per_part 0: IID, the rows shuffled with rng and cut into near-equal
 * parts. labels_per_part K > 0: label skew as in McMahan et al., AISTATS 2017 ("pathological
 * non-IID"): the shuffled rows are sorted by label (stably), cut into parts * K near-equal
 * pieces, and part p gets K pieces chosen by a second shuffle, so it holds about K classes. Give
 * every part an rng in the same state so the parts partition the rows. HUSH_ERANGE if part >=
 * parts or there are fewer rows than pieces. */
HUSH_NODISCARD int hush_dataset_shard(hush_dataset **out, hush_rng *rng, const hush_dataset *d, uint32_t parts,
                                      uint32_t part, uint32_t labels_per_part, const hush_allocator *alloc);
/* Standardise numeric columns of `train` (and `test`, may be NULL) with train's mean and
 * population std (std 0 -> 1). Missing values are replaced by the train mean. */
HUSH_NODISCARD int hush_dataset_standardize(hush_dataset *train, hush_dataset *test);
/* The statistics standardize uses, as a per-feature map x -> (x - shift) * scale: mean and
 * 1/(population std) of train's numeric columns (std 0 -> 1), shift 0 and scale 1 for one-hot
 * columns. n must equal the dim. Feed them to hush_model_set_input_norm so a saved model takes raw
 * features. */
HUSH_NODISCARD int hush_dataset_norm_stats(const hush_dataset *train, float *shift, float *scale, size_t n);
/* Multiply every feature by s (digits: 1/16). */
HUSH_NODISCARD int hush_dataset_scale(hush_dataset *d, float s);

#ifdef __cplusplus
}
#endif
#endif
