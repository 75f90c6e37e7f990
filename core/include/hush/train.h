/* hush_train: the training workflow, one driver for every caller.
 *
 * Start here: hush_train_data_parse reads the data, hush_train_config_init(&cfg, HUSH_OPTIM_ADAM,
 * 0.01) sets every default (cfg.dp = 1 for DP-SGD), and hush_train_run(&cfg, master, &model, &res,
 * layers, n_layers, data, NULL, NULL, NULL, NULL) does the rest. To drive it an epoch at a time (a
 * progress bar, a worker): hush_train_create, hush_train_epoch, hush_train_evaluate, hush_train_free.
 *
 * The CLI (`hush train`), the JS API (hush.train, the package's worker, the demo), the examples,
 * the tests and the benches all train through this module, so the pipeline exists once:
 *
 *   parse      hush_train_data_parse: the format from the file name (hush_train_format_guess),
 *              sklearn's digits scaled by 1/16, gzip-compressed bytes refused in plain words
 *   split      the "split" stream of the master seed: a test fraction, fold k of K (every fold
 *              derives "split" afresh, so the K test sets partition the rows), or a given test set
 *   model      created for `batch` rows (or max_batch), then input scaling (enum
 *              hush_train_scaling), parameters from the "init" stream, a fresh optimiser
 *   epochs     plain minibatches in the order of the "shuffle" stream, or DP-SGD (hush_dpsgd) with
 *              q = batch / training rows and hush_dpsgd_steps_per_epoch steps per epoch
 *   evaluate   the test split (and, outside DP runs, the training split)
 *
 * The named streams (HUSH_TRAIN_STREAM_*) are derived from the master with hush_rng_derive; the
 * native, WASI and both Emscripten builds follow them bit for bit, so one seed gives one model
 * file everywhere (tests/node/parity.test.mjs). A master of NULL means the OS CSPRNG.
 *
 * Who learns what in a DP run (cfg.dp). The guarantee is DP-SGD's (hush/dp.h): whoever sees the
 * model file, the epsilon and the other outputs of hush_train_run learns about any one training
 * row at most what (epsilon, delta) allows, under add/remove-one neighbours. That needs:
 *   - secret randomness: the DP noise, the Poisson sampling and the DP scaling histogram come from
 *     the OS (HUSH_TRAIN_NOISE_OS, the default) even when a master seed fixes split and init.
 *     HUSH_TRAIN_NOISE_SEED derives them from the master instead ("dpsgd", "scaling"): the run
 *     repeats bit for bit, and anyone who knows the seed can subtract the noise. Tests only.
 *   - no exact statistic of the training rows in any output: input scaling is public bounds, a DP
 *     estimate (whose cost is composed into epsilon) or none, never the training statistics
 *     (STATS is refused with dp); the training loss and accuracy are withheld (NaN; evaluating the
 *     training split is refused); K-fold cross-validation composes the K trainings.
 * Treated as public, as TF Privacy and Opacus do: the number of training rows (it sets q and the
 * steps per epoch) and the data's shape. The test split is held out: its accuracy is reported as
 * measured, and DP says nothing about its rows.
 */
#ifndef HUSH_TRAIN_H
#define HUSH_TRAIN_H

#include "common.h"
#include "data.h"
#include "dp.h"
#include "nn.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The canonical sub-streams of the master seed. */
#define HUSH_TRAIN_STREAM_SPLIT "split"     /* train/test split and folds */
#define HUSH_TRAIN_STREAM_INIT "init"       /* parameters */
#define HUSH_TRAIN_STREAM_SHUFFLE "shuffle" /* minibatch order of plain training */
#define HUSH_TRAIN_STREAM_DPSGD "dpsgd"     /* DP-SGD's sampling and noise (HUSH_TRAIN_NOISE_SEED only) */
#define HUSH_TRAIN_STREAM_SCALING "scaling" /* the DP scaling histogram's noise (HUSH_TRAIN_NOISE_SEED only) */

#define HUSH_TRAIN_MAX_FOLDS 64

/* ---- data: one parse for every caller ---- */

enum hush_train_format {
    HUSH_TRAIN_FORMAT_ARFF = 1,
    HUSH_TRAIN_FORMAT_CSV = 2,
    HUSH_TRAIN_FORMAT_DIGITS = 3, /* sklearn's digits.csv: CSV of 4-bit grey levels, scaled by 1/16 */
    HUSH_TRAIN_FORMAT_IDX = 4     /* images + labels (Fashion-MNIST) */
};

/* From a file name (a trailing ".gz" is ignored): *.arff is ARFF, *-ubyte IDX, *.csv whose base
 * name contains "digits" DIGITS, anything else CSV. */
uint32_t hush_train_format_guess(const char *name);
/* "arff", "csv", "digits" or "idx" -> the enum; HUSH_EARG otherwise. */
HUSH_NODISCARD int hush_train_format_parse(uint32_t *format, const char *name);
/* The enum's name, or NULL. */
const char *hush_train_format_name(uint32_t format);
/* Parses data in `format` (IDX: the images in data, the labels in labels; other formats ignore
 * labels). Bytes starting with the gzip magic are refused with HUSH_EFORMAT and a message that
 * says so (the core has no inflater; JS decompresses with DecompressionStream first). */
HUSH_NODISCARD int hush_train_data_parse(hush_dataset **out, uint32_t format, const uint8_t *data, size_t len,
                                         const uint8_t *labels, size_t labels_len, hush_parse_error *err,
                                         const hush_allocator *alloc);

/* ---- input scaling ---- */

enum hush_train_scaling {
    HUSH_TRAIN_SCALING_AUTO = 0,   /* STATS for ARFF and CSV (DP runs: DP), NONE otherwise; BOUNDS if
                                      bounds are given */
    HUSH_TRAIN_SCALING_NONE = 1,
    HUSH_TRAIN_SCALING_STATS = 2,  /* the training split's mean and std: exact, so refused with dp */
    HUSH_TRAIN_SCALING_BOUNDS = 3, /* public [lo, hi] per numeric column, mapped to [-1, 1] */
    HUSH_TRAIN_SCALING_DP = 4      /* [lo, hi] per numeric column from a DP histogram (below) */
};

/* Numeric (not one-hot) columns of d, in order: the columns that bounds and scaling apply to. */
size_t hush_train_numeric_columns(const hush_dataset *d);

/* A bounds file: one line per numeric column, in column order, "[name] lo hi" (separated by blanks
 * or commas; the name is for the reader and ignored), lo < hi, both finite; '#' starts a comment,
 * blank lines are skipped. Writes *written pairs (lo, hi) into lo_hi[2 * cap]; with lo_hi == NULL it
 * only counts. HUSH_ERANGE if more than cap lines; HUSH_EFORMAT with line and message in err. */
#define HUSH_TRAIN_MAX_BOUNDS HUSH_DATA_MAX_COLS
HUSH_NODISCARD int hush_train_bounds_parse(double *lo_hi, size_t cap, size_t *written, const char *text, size_t len,
                                           hush_parse_error *err);

/* The map x -> (x - shift) * scale that sends [lo, hi] of numeric column j to [-1, 1]; one-hot
 * columns get shift 0 and scale 1. n must be the dim (HUSH_ESHAPE), count the number of numeric
 * columns (HUSH_ESHAPE). Nothing here depends on the data's values. */
HUSH_NODISCARD int hush_train_scaling_bounds(float *shift, float *scale, size_t n, const hush_dataset *train,
                                             const double *lo_hi, size_t count);

/* Bounds for every numeric column from one differentially private histogram, then the map above.
 * Each value falls into one of 129 bins: zero (|x| < 2^-32), or sign and floor(log2 |x|) clamped
 * to [-32, 31]. The d numeric columns' counts get exact discrete Gaussian noise of variance
 * noise_multiplier^2 * d (Canonne, Kamath and Steinke 2020): one row moves one count per column by
 * one, so the release is the Gaussian mechanism with L2 sensitivity sqrt(d) and this noise
 * multiplier (RDP alpha / (2 noise_multiplier^2)), accounted as HUSH_DP_EVENT_GAUSSIAN. Bins whose
 * noisy count exceeds 4 noise standard deviations are kept; a column's [lo, hi] spans its kept
 * bins (shift 0, scale 1 if none). Everything after the noise is post-processing. The counts are
 * wiped. noise_multiplier in [0.1, 1e6]. */
HUSH_NODISCARD int hush_train_scaling_dp(hush_rng *rng, float *shift, float *scale, size_t n,
                                         const hush_dataset *train, double noise_multiplier,
                                         const hush_allocator *alloc);

/* ---- the driver ---- */

enum hush_train_noise {
    HUSH_TRAIN_NOISE_OS = 0,  /* DP noise and sampling from the OS CSPRNG: the only private choice */
    HUSH_TRAIN_NOISE_SEED = 1 /* from the master seed: reproducible, NOT private (tests, parity) */
};

#define HUSH_TRAIN_CONFIG_VERSION 1u

typedef struct hush_train_config {
    uint32_t version;        /* HUSH_TRAIN_CONFIG_VERSION, set by hush_train_config_init */
    uint32_t format;         /* enum hush_train_format of the data, for AUTO scaling (0: unknown) */
    uint32_t epochs;         /* default 10 */
    uint32_t batch;          /* minibatch size, DP-SGD's expected batch; default 32 */
    uint32_t max_batch;      /* rows per model pass (the workspace); 0: batch. Larger Poisson batches
                                are processed in chunks */
    uint32_t optimizer;      /* enum hush_optim_kind */
    double lr;
    double weight_decay;     /* decoupled (hush_optim_config), default 0 */
    double test_fraction;    /* without a test set or folds, default 0.2 */
    uint32_t folds, fold;    /* folds >= 2: the test set is fold `fold` of a seeded K-fold partition */
    uint32_t scaling;        /* enum hush_train_scaling, default AUTO */
    const double *bounds;    /* BOUNDS: n_bounds (lo, hi) pairs, one per numeric column (borrowed) */
    size_t n_bounds;
    double scaling_noise;    /* DP scaling: the histogram's noise multiplier, default 8 */
    uint32_t dp;             /* 1: train with DP-SGD */
    hush_dpsgd_config dpsgd; /* DP-SGD's settings; the driver sets sampling_rate (batch / rows) and
                                batch_size. Default: Poisson, clip 1, noise multiplier 1, delta 1e-5 */
    double target_epsilon;   /* > 0: dpsgd.noise_multiplier becomes the smallest meeting it, with the
                                scaling's cost and all folds included */
    uint32_t noise_source;   /* enum hush_train_noise, default OS */
} hush_train_config;

/* Every default, with the optimiser and learning rate (HUSH_EARG for an unknown optimiser or a
 * negative or non-finite lr). */
HUSH_NODISCARD int hush_train_config_init(hush_train_config *cfg, uint32_t optimizer, double lr);

/* What the DP accounting of a run is made of, as data (a privacy ledger charges it with
 * hush_train_privacy_compose). */
typedef struct hush_train_privacy {
    uint32_t dp;               /* 0: not a DP run; nothing below applies */
    uint32_t noise_source;     /* enum hush_train_noise: OS is private, SEED is not */
    uint32_t sampling, noise;  /* enum hush_dpsgd_sampling, enum hush_dpsgd_noise */
    double sampling_rate;      /* the rate the steps used */
    double noise_multiplier, l2_norm_clip, delta;
    uint64_t steps;            /* DP-SGD steps of one run so far */
    uint64_t planned_steps;    /* the steps the config will take: steps per epoch x epochs */
    uint32_t scaling;          /* enum hush_train_scaling applied (never AUTO) */
    double scaling_noise;      /* DP scaling: the histogram's Gaussian noise multiplier; 0: no cost */
    uint32_t runs;             /* trainings composed (K with K folds), >= 1 */
    double epsilon;            /* runs x (scaling + steps), RDP with the improved conversion, at delta */
    double scaling_epsilon;    /* runs x scaling alone, at delta (0 without a cost) */
    double planned_epsilon;    /* epsilon once planned_steps have run: known right after create, so a
                                  budget can be checked (and charged) before any step */
} hush_train_privacy;

/* Composes runs x (the scaling histogram's Gaussian event, `steps` sampled Gaussian events) into
 * acc: the events hush_train_privacy's epsilon is made of (to charge a run before it trains, set
 * steps = planned_steps in a copy). HUSH_EARG if p is not a DP run. */
HUSH_NODISCARD int hush_train_privacy_compose(const hush_train_privacy *p, hush_accountant *acc);

enum hush_train_event { HUSH_TRAIN_START = 1, HUSH_TRAIN_EPOCH = 2, HUSH_TRAIN_END = 3 };
enum hush_train_split { HUSH_TRAIN_SPLIT_TRAIN = 1, HUSH_TRAIN_SPLIT_TEST = 2 };

/* Progress of a training: after hush_train_epoch, and what hush_train_run's callback sees. */
typedef struct hush_train_status {
    uint32_t event;   /* enum hush_train_event */
    uint32_t fold;    /* 0, or the fold being trained */
    uint32_t epoch;   /* epochs done */
    uint32_t epochs;
    float loss;       /* the epoch's mean minibatch loss; NaN in DP runs (an exact statistic) */
    uint64_t steps;   /* DP-SGD steps so far */
} hush_train_status;

typedef struct hush_train hush_train;

/* Prepares one training: with test == NULL, data is split (test_fraction, or fold `fold` of
 * `folds`) with the "split" stream; otherwise data is the training set and test the test set
 * (both borrowed until free). Creates the model, scales its input, initialises it, and creates the
 * optimiser and (dp) the DP-SGD handle, calibrated for target_epsilon. HUSH_EARG for a bad or
 * zeroed config (STATS with dp, NOISE_SEED without a master), HUSH_ESHAPE when the model's outputs
 * are fewer than the classes or its layers do not fit the data, HUSH_ERANGE for no training rows
 * or a DP batch above them. */
HUSH_NODISCARD int hush_train_create(hush_train **out, const hush_rng *master, const hush_train_config *cfg,
                                     const hush_layer_spec *layers, size_t n_layers, const hush_dataset *data,
                                     const hush_dataset *test, const hush_allocator *alloc);
void hush_train_free(hush_train *t);
/* One epoch; *st (may be NULL) gets its status. HUSH_ESTATE after all epochs, or once the model
 * was detached. */
HUSH_NODISCARD int hush_train_epoch(hush_train *t, hush_train_status *st);
/* Mean loss and accuracy of the model on a split (0 and 0 for an empty one). The training split
 * of a DP run is refused with HUSH_ESTATE: its accuracy is an exact statistic. */
HUSH_NODISCARD int hush_train_evaluate(hush_train *t, float *loss, float *accuracy, uint32_t split);
/* Epsilon this training has spent so far (DP-SGD steps and the scaling; 0 outside DP runs), at the
 * config's delta. An RDP computation over 156 orders: call it when you print it, not per step. */
HUSH_NODISCARD int hush_train_epsilon(const hush_train *t, double *epsilon);
/* The DP accounting so far (dp = 0 outside DP runs). */
HUSH_NODISCARD int hush_train_privacy_report(const hush_train *t, hush_train_privacy *out);
/* Hands the model over (the caller frees it); training ends. */
HUSH_NODISCARD int hush_train_detach_model(hush_train *t, hush_model **out);
hush_model *hush_train_model(hush_train *t);                        /* borrowed; NULL once detached */
hush_dpsgd *hush_train_dpsgd(hush_train *t);                        /* for a prefetch thread; NULL if not dp */
const hush_dataset *hush_train_dataset(const hush_train *t, uint32_t split); /* borrowed */
uint32_t hush_train_epochs_done(const hush_train *t);

typedef struct hush_train_result {
    uint32_t folds;          /* 1, or K */
    size_t train_rows;       /* of one training (the mean over folds, rounded down) */
    size_t test_rows;        /* of one training (idem) */
    size_t cv_test_rows;     /* every fold's test rows (K folds: all rows) */
    size_t params;
    float final_loss;        /* last epoch's loss (mean over folds); NaN in DP runs */
    float train_accuracy;    /* NaN in DP runs */
    float test_accuracy, test_loss; /* mean over folds */
    float fold_test_accuracy[HUSH_TRAIN_MAX_FOLDS];
    hush_train_privacy privacy; /* of all folds together */
} hush_train_result;

/* Called at the START of each training, after each EPOCH, and at its END (always, also when it
 * failed, before the handle is freed: stop any thread that uses hush_train_dpsgd there). A
 * nonzero return stops the run with that status. */
typedef int (*hush_train_callback)(void *ud, hush_train *t, const hush_train_status *st);

/* The whole workflow in one call: one training, or cfg.folds >= 2 trainings (folds 0..K-1; test
 * must be NULL) whose DP costs compose. *model (may be NULL) gets the trained model (NULL with
 * folds). cb may be NULL. */
HUSH_NODISCARD int hush_train_run(const hush_train_config *cfg, const hush_rng *master, hush_model **model,
                                  hush_train_result *res, const hush_layer_spec *layers, size_t n_layers,
                                  const hush_dataset *data, const hush_dataset *test, hush_train_callback cb,
                                  void *ud, const hush_allocator *alloc);

#ifdef __cplusplus
}
#endif
#endif
