/* The privacy odometer's ledger bytes (internal; the public entry points are hush_odometer_save
 * and hush_odometer_load in hush/dp.h).
 *
 *   offset  size  field
 *   0       8     magic "HUSHLDGR"
 *   8       4     version (1)
 *   12      4     accountant kind (enum hush_accountant_kind)
 *   16      8     budget epsilon (f64)
 *   24      8     budget delta (f64)
 *   32      4     entry count n
 *   36      ...   n entries: u8 kind, u8 id length, u8 curve orders m, u8 0, u64 count,
 *                 f64 noise_multiplier, sampling_rate, sigma, sensitivity, u32 parties, dimension,
 *                 f64 epsilon, delta, m x (f64 order, f64 rdp), id bytes
 *   end-32  32    BLAKE2b-256 of everything before it
 * All little-endian; every field is range-checked on load. */
#ifndef HUSH__IO_LEDGER_H
#define HUSH__IO_LEDGER_H

#include "hush/dp.h"

#define HUSH__LEDGER_MAGIC "HUSHLDGR"
#define HUSH__LEDGER_VERSION 1u
#define HUSH__LEDGER_HEADER_BYTES 36u
#define HUSH__LEDGER_ENTRY_FIXED_BYTES 68u
#define HUSH__LEDGER_HASH_BYTES 32u

typedef struct hush__ledger_header {
    enum hush_accountant_kind kind;
    double budget_epsilon, budget_delta;
    size_t count;
} hush__ledger_header;

/* Is the event well formed (kind, count, ranges, id length, curve)? */
int hush__ledger_event_ok(const hush_odometer_event *ev);
int hush__ledger_budget_ok(double epsilon, double delta);
size_t hush__ledger_entry_bytes(const hush_odometer_event *ev);
/* Encodes into out (exactly hush__ledger_size bytes; HUSH_ERANGE if cap is smaller). */
int hush__ledger_encode(uint8_t *out, size_t cap, size_t *written, const hush__ledger_header *h,
                        const hush_odometer_event *ev);
/* Checks magic, version, lengths and the checksum, fills *h; entries are then read with
 * hush__ledger_decode_entries into caller storage of h->count events. */
int hush__ledger_decode_header(hush__ledger_header *h, const uint8_t *buf, size_t len);
int hush__ledger_decode_entries(hush_odometer_event *ev, size_t n, const uint8_t *buf, size_t len);

#endif
