// hush.data: the C parsers (ARFF, CSV, IDX) and the Dataset handle (core/include/hush/data.h).
//
// Parsing happens in C, the one place that parses untrusted bytes; JS only copies the input in
// (zeroed and freed afterwards) and turns a failure into a HushParseError with line/offset/msg.
// A Dataset owns its C handle: free() releases it, a FinalizationRegistry is only a safety net.

const encoder = new TextEncoder();

export function defineData(rt) {
  const M = rt.M;
  const C = rt.C;
  const registry = new FinalizationRegistry((cell) => {
    if (cell.ptr) M._hush_dataset_free(cell.ptr);
    cell.ptr = 0;
  });

  class Dataset {
    #cell;
    constructor(token, ptr) {
      if (token !== registry) throw new TypeError('use hush.data.parseArff/parseCsv/parseIdx');
      this.#cell = { ptr };
      registry.register(this, this.#cell, this);
    }

    // The C handle (a heap pointer); for the Model methods that use data sets in place.
    get handle() {
      if (!this.#cell.ptr) throw rt.fail('HUSH_ESTATE', 'data set has been freed');
      return this.#cell.ptr;
    }
    get freed() { return !this.#cell.ptr; }
    get rows() { return M._hush_dataset_rows(this.handle) >>> 0; }
    get dim() { return M._hush_dataset_dim(this.handle) >>> 0; }
    get classes() { return M._hush_dataset_classes(this.handle) >>> 0; }
    get shape() {
      const d = this.handle;
      return rt.with((s) => {
        const out = s.alloc(12);
        M._hush_wasm_dataset_shape(d, out);
        const [c, h, w] = rt.u32(out, 3);
        return { c, h, w };
      });
    }
    // Numeric (not one-hot) columns: the ones bounds and scaling apply to.
    get numericColumns() { return M._hush_train_numeric_columns(this.handle) >>> 0; }
    get classNames() {
      const d = this.handle;
      const names = [];
      for (let k = 0; k < this.classes; k++) names.push(rt.cstring(M._hush_dataset_class_name(d, k)));
      return names;
    }
    // Copies of the feature matrix (rows x dim, row-major) and of the labels.
    get x() {
      const d = this.handle;
      const n = this.rows * this.dim;
      return n ? rt.f32(M._hush_dataset_x(d), n).slice() : new Float32Array(0);
    }
    get y() {
      const d = this.handle;
      const n = this.rows;
      return n ? rt.u32(M._hush_dataset_labels(d), n).slice() : new Uint32Array(0);
    }

    // Seeded shuffled split with the canonical "split" stream: [train, test].
    split({ testFraction = 0.2, seed } = {}) {
      const d = this.handle;
      if (typeof testFraction !== 'number' || !(testFraction >= 0 && testFraction <= 1)) {
        throw rt.fail('HUSH_EARG', 'testFraction must be a number in [0, 1]');
      }
      return rt.with((s) => {
        const rng = s.alloc(C.sizeof_hush_rng);
        const train = s.alloc(4);
        const test = s.alloc(4);
        try {
          rt.seedStream(rng, seed, C.HUSH_TRAIN_STREAM_SPLIT, s);
          rt.check(M._hush_dataset_split(train, test, rng, d, testFraction, 0), 'split');
        } finally {
          M._hush_rng_clear(rng);
        }
        return [new Dataset(registry, rt.u32At(train)), new Dataset(registry, rt.u32At(test))];
      });
    }

    // Part `part` of `parts` disjoint shards, to simulate silos from one file (demos, tests): IID,
    // or with labelsPerPart K label-skewed (McMahan et al. 2017: each part holds about K classes).
    // The same seed gives every part of one partition.
    shard(parts, part, { labelsPerPart = 0, seed = 0 } = {}) {
      const d = this.handle;
      for (const [v, what] of [[parts, 'parts'], [part, 'part'], [labelsPerPart, 'labelsPerPart']]) {
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw rt.fail('HUSH_EARG', `${what} must be a non-negative integer`);
      }
      return rt.with((s) => {
        const rng = s.alloc(C.sizeof_hush_rng), out = s.alloc(4);
        try {
          rt.seedStream(rng, seed, 'shard', s);
          rt.check(M._hush_dataset_shard(out, rng, d, parts, part, labelsPerPart, 0), 'shard');
        } finally {
          M._hush_rng_clear(rng);
        }
        return new Dataset(registry, rt.u32At(out));
      });
    }

    // Standardises numeric columns of this (training) set, and of `test` if given, with this
    // set's statistics.
    standardize(test) {
      const t = test ? test.handle : 0;
      rt.check(M._hush_dataset_standardize(this.handle, t), 'standardize');
      return this;
    }

    // This (training) set's standardisation as {shift, scale, scaling: 'standardize'}, for
    // model.setInputNorm(): the exact map standardize() applies (one-hot columns get shift 0,
    // scale 1). Exact statistics of the rows: not for a model that must be private.
    normStats() {
      const n = this.dim;
      return rt.with((s) => {
        const shift = s.alloc(4 * n);
        const scale = s.alloc(4 * n);
        rt.check(M._hush_dataset_norm_stats(this.handle, shift, scale, n), 'normStats');
        return { shift: rt.f32(shift, n).slice(), scale: rt.f32(scale, n).slice(), scaling: 'standardize' };
      });
    }

    scale(factor) {
      rt.check(M._hush_dataset_scale(this.handle, factor), 'scale');
      return this;
    }

    free() {
      registry.unregister(this);
      if (this.#cell.ptr) M._hush_dataset_free(this.#cell.ptr);
      this.#cell.ptr = 0;
    }
  }

  function asBytes(input, what) {
    if (typeof input === 'string') return encoder.encode(input);
    if (input instanceof Uint8Array) return input;
    if (input instanceof ArrayBuffer) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    throw rt.fail('HUSH_EARG', `${what} must be a string, Uint8Array or ArrayBuffer`);
  }

  function parse(what, call) {
    return rt.with((s) => {
      const out = s.alloc(4);
      const err = s.alloc(C.sizeof_hush_parse_error);
      const rc = call(s, out, err);
      if (rc !== 0) throw rt.parseError(rc, what, err);
      return new Dataset(registry, rt.u32At(out));
    });
  }

  const FORMATS = { arff: 'HUSH_TRAIN_FORMAT_ARFF', csv: 'HUSH_TRAIN_FORMAT_CSV', digits: 'HUSH_TRAIN_FORMAT_DIGITS', idx: 'HUSH_TRAIN_FORMAT_IDX' };
  const formatName = (v) => Object.keys(FORMATS).find((k) => C[FORMATS[k]] === v);

  function formatOf(name) {
    const key = FORMATS[name];
    if (!key) throw rt.fail('HUSH_EARG', `format must be arff, csv, digits or idx (got ${name})`);
    return C[key];
  }

  // The one parse of the training workflow (hush_train_data_parse): digits are scaled by 1/16 in C,
  // and gzip-compressed bytes are refused with a message that says so (hush.train decompresses).
  function parseFormat(input, format) {
    const f = formatOf(format);
    if (f === C.HUSH_TRAIN_FORMAT_IDX) {
      if (!input || !('images' in input) || !('labels' in input)) throw rt.fail('HUSH_EARG', 'idx data is {images, labels}');
      const ib = asBytes(input.images, 'images');
      const lb = asBytes(input.labels, 'labels');
      return parse('IDX', (s, out, err) => M._hush_train_data_parse(out, f, s.copy(ib), ib.length, s.copy(lb), lb.length, err, 0));
    }
    const bytes = asBytes(input, format.toUpperCase());
    return parse(format === 'arff' ? 'ARFF' : 'CSV', (s, out, err) => M._hush_train_data_parse(out, f, s.copy(bytes), bytes.length, 0, 0, err, 0));
  }

  // The format a file name implies: *.arff, *-ubyte (idx), *digits*.csv, else csv; ".gz" ignored.
  function guessFormat(name) {
    if (typeof name !== 'string') throw rt.fail('HUSH_EARG', 'guessFormat needs a file name');
    return rt.with((s) => formatName(M._hush_train_format_guess(s.string(name)) >>> 0));
  }

  function parseText(fn, what) {
    return (text) => {
      const bytes = asBytes(text, what);
      return parse(what, (s, out, err) => M[fn](out, s.copy(bytes), bytes.length, err, 0));
    };
  }

  return {
    Dataset,
    isDataset: (v) => v instanceof Dataset,
    wrap: (ptr) => new Dataset(registry, ptr), // for net.js: data sets the core made
    parse: parseFormat,
    guessFormat,
    formatOf,
    parseArff: parseText('_hush_arff_parse', 'ARFF'),
    parseCsv: parseText('_hush_csv_parse', 'CSV'),
    // IDX images (N x H x W u8) and labels (N u8), e.g. Fashion-MNIST; pixels scaled to [0, 1].
    parseIdx(images, labels) {
      const ib = asBytes(images, 'images');
      const lb = asBytes(labels, 'labels');
      return parse('IDX', (s, out, err) =>
        M._hush_idx_parse(out, s.copy(ib), ib.length, s.copy(lb), lb.length, err, 0));
    },
  };
}
