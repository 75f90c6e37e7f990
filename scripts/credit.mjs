// German credit (credit-g.arff) for the federated demo, tests and benchmarks: public input bounds
// and shard files. The bounds are domain knowledge, not statistics of anyone's rows: loan
// durations of 4-72 months, amounts of 250-18424 DM, ages 18-75 and the small ordinal counts, as
// documented with the data set (Hofmann, Statlog German Credit, UCI). hush-server's --bounds takes
// one "lo hi" line per model input, so each nominal attribute's one-hot columns get "0 1".
export const CREDIT_NUMERIC = {
  duration: [4, 72], credit_amount: [250, 18424], installment_commitment: [1, 4], residence_since: [1, 4],
  age: [18, 75], existing_credits: [1, 4], num_dependents: [1, 2],
};

// ARFF attributes in order: [{ name, values (nominal) | null (numeric) }].
function attributes(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^\s*@attribute\s+('[^']*'|\S+)\s+(.*)$/i.exec(line);
    if (!m) {
      if (/^\s*@data/i.test(line)) break;
      continue;
    }
    const name = m[1].replace(/^'|'$/g, '');
    const type = m[2].trim();
    out.push({ name, values: type.startsWith('{') ? type.slice(1, type.lastIndexOf('}')).split(',').map((v) => v.trim()) : null });
  }
  return out;
}

// One line per model input (the class attribute, last, is the label).
export function creditBounds(arffText) {
  const lines = ['# credit-g: public ranges of the numeric attributes; one-hot columns 0 1'];
  const attrs = attributes(arffText);
  for (const a of attrs.slice(0, -1)) {
    if (a.values) {
      for (const v of a.values) lines.push(`${a.name}=${v.replace(/\s+/g, '_')} 0 1`);
    } else {
      const r = CREDIT_NUMERIC[a.name];
      if (!r) throw new Error(`credit-g: no public range for numeric attribute ${a.name}`);
      lines.push(`${a.name} ${r[0]} ${r[1]}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function creditInputSize(arffText) {
  return attributes(arffText).slice(0, -1).reduce((n, a) => n + (a.values ? a.values.length : 1), 0);
}

// The header and the data lines of an ARFF text.
export function arffParts(text) {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^\s*@data/i.test(l));
  const rows = lines.slice(at + 1).filter((l) => l.trim() !== '' && !l.startsWith('%'));
  return { header: `${lines.slice(0, at + 1).join('\n')}\n`, rows };
}

// A seeded permutation (xorshift64*: only to simulate silos, nothing secret).
export function shuffled(n, seed) {
  let s = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
  const next = () => {
    s ^= s >> 12n; s ^= (s << 25n) & 0xffffffffffffffffn; s ^= s >> 27n;
    return Number(((s * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn) >> 11n) / 2 ** 53;
  };
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

// { test, shards: [k ARFF texts] }: a held-out test fraction, the rest cut into k IID shards.
export function creditShards(text, k, { seed = 1, testFraction = 0.2 } = {}) {
  const { header, rows } = arffParts(text);
  const p = shuffled(rows.length, seed).map((i) => rows[i]);
  const nTest = Math.round(rows.length * testFraction);
  const rest = p.slice(nTest);
  const shards = [];
  for (let i = 0; i < k; i++) {
    const lo = Math.floor((rest.length * i) / k), hi = Math.floor((rest.length * (i + 1)) / k);
    shards.push(header + rest.slice(lo, hi).join('\n') + '\n');
  }
  return { test: header + p.slice(0, nTest).join('\n') + '\n', train: header + rest.join('\n') + '\n', shards };
}
