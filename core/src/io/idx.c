/* IDX (LeCun's MNIST format) parser: an images file and a labels file, both untrusted.
 *
 *   images: magic 00 00 08 03 (unsigned bytes, 3 dimensions), u32 BE N, H, W, then N*H*W bytes
 *   labels: magic 00 00 08 01 (unsigned bytes, 1 dimension),  u32 BE N, then N bytes
 *
 * Both files must be exactly as long as their header says (shorter: HUSH_ETRUNC, longer:
 * HUSH_EFORMAT), the counts must agree, N >= 1, H, W >= 1 and every size is checked against the
 * data.h limits before anything is allocated, so the allocation is never larger than 4x the
 * input. Pixels become p / 255.0f (correctly rounded division, identical on every build); the
 * shape is (1, H, W); n_classes = max label + 1. Error offsets are byte offsets into the file
 * the message names.
 */
#include "io/buf.h"
#include "io/dataset.h"

#define IDX_IMAGES_MAGIC 0x00000803u
#define IDX_LABELS_MAGIC 0x00000801u

int hush_idx_parse(hush_dataset **out, const uint8_t *images, size_t images_len, const uint8_t *labels,
                   size_t labels_len, hush_parse_error *err, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    hush__perr_clear(err);
    if (out) *out = NULL;
    if (!out || (!images && images_len) || (!labels && labels_len))
        return hush__perr(err, HUSH_EARG, 0, 0, "invalid argument");

    hush__rd ri, rl;
    hush__rd_init(&ri, images, images_len);
    hush__rd_init(&rl, labels, labels_len);
    uint32_t magic = hush__rd_u32_be(&ri);
    uint32_t n = hush__rd_u32_be(&ri), h = hush__rd_u32_be(&ri), w = hush__rd_u32_be(&ri);
    if (ri.err == HUSH_OK || ri.err_off >= 4) {
        if (magic != IDX_IMAGES_MAGIC)
            return hush__perr(err, HUSH_EFORMAT, 0, 0, "images: bad magic 0x%08x (want 0x%08x)", (unsigned)magic,
                              IDX_IMAGES_MAGIC);
    }
    if (ri.err) return hush__perr(err, HUSH_ETRUNC, 0, ri.err_off, "images: header truncated at byte %zu", ri.err_off);
    uint32_t lmagic = hush__rd_u32_be(&rl);
    uint32_t ln = hush__rd_u32_be(&rl);
    if ((rl.err == HUSH_OK || rl.err_off >= 4) && lmagic != IDX_LABELS_MAGIC)
        return hush__perr(err, HUSH_EFORMAT, 0, 0, "labels: bad magic 0x%08x (want 0x%08x)", (unsigned)lmagic,
                          IDX_LABELS_MAGIC);
    if (rl.err) return hush__perr(err, HUSH_ETRUNC, 0, rl.err_off, "labels: header truncated at byte %zu", rl.err_off);

    if (n == 0) return hush__perr(err, HUSH_EFORMAT, 0, 4, "images: no images");
    if (n > HUSH_DATA_MAX_ROWS)
        return hush__perr(err, HUSH_ERANGE, 0, 4, "images: %u images exceeds %u", (unsigned)n, HUSH_DATA_MAX_ROWS);
    if (h == 0 || w == 0 || h > HUSH_DATA_MAX_COLS || w > HUSH_DATA_MAX_COLS || (uint64_t)h * w > HUSH_DATA_MAX_COLS)
        return hush__perr(err, HUSH_ERANGE, 0, 8, "images: %ux%u pixels is outside 1..%u", (unsigned)h, (unsigned)w,
                          HUSH_DATA_MAX_COLS);
    if (ln != n)
        return hush__perr(err, HUSH_EFORMAT, 0, 4, "labels: count %u != images count %u", (unsigned)ln, (unsigned)n);
    size_t dim = (size_t)h * w;
    if (!hush__dataset_size_ok(n, dim))
        return hush__perr(err, HUSH_ERANGE, 0, 4, "images: %u x %zu pixels exceeds the limits", (unsigned)n, dim);
    size_t cells = (size_t)n * dim; /* fits: size_ok bounds it by HUSH__DATA_MAX_CELLS */
    if (hush__rd_remaining(&ri) < cells)
        return hush__perr(err, HUSH_ETRUNC, 0, images_len, "images: %zu pixel bytes, header says %zu",
                          hush__rd_remaining(&ri), cells);
    if (hush__rd_remaining(&ri) > cells)
        return hush__perr(err, HUSH_EFORMAT, 0, 16 + cells, "images: %zu trailing bytes",
                          hush__rd_remaining(&ri) - cells);
    if (hush__rd_remaining(&rl) < n)
        return hush__perr(err, HUSH_ETRUNC, 0, labels_len, "labels: %zu label bytes, header says %u",
                          hush__rd_remaining(&rl), (unsigned)n);
    if (hush__rd_remaining(&rl) > n)
        return hush__perr(err, HUSH_EFORMAT, 0, 8 + (size_t)n, "labels: %zu trailing bytes",
                          hush__rd_remaining(&rl) - n);

    hush_dataset *d;
    int rc = hush__dataset_alloc(&d, n, dim, alloc);
    if (rc != HUSH_OK) return hush__perr(err, rc, 0, 0, "out of memory");
    d->shape.c = 1;
    d->shape.h = h;
    d->shape.w = w;
    const uint8_t *px = hush__rd_bytes(&ri, cells);
    const uint8_t *lb = hush__rd_bytes(&rl, n);
    uint32_t max_label = 0;
    for (size_t i = 0; i < cells; i++) d->x[i] = (float)px[i] / 255.0f;
    for (size_t i = 0; i < n; i++) {
        d->labels[i] = lb[i];
        if (lb[i] > max_label) max_label = lb[i];
    }
    rc = hush__dataset_decimal_names(d, max_label + 1);
    if (rc != HUSH_OK) {
        hush_dataset_free(d);
        return hush__perr(err, rc, 0, 0, "out of memory");
    }
    *out = d;
    return HUSH_OK;
}
