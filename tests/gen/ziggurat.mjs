// Generates core/src/rng/ziggurat.h, the tables of hush_rng's 256-layer Ziggurat normal sampler
// (Marsaglia & Tsang 2000), from their mathematical definition in exact-enough arithmetic:
// fixed point with 320 fractional bits on BigInt, so the tables are the true values rounded once
// (to nearest double; k by floor) and do not depend on any libm or long double format. Every
// rounding is checked to be decided with a wide margin, so more precision would change nothing.
//
//   node tests/gen/ziggurat.mjs > core/src/rng/ziggurat.h
// `make test-gen` regenerates it and compares byte for byte with the committed file.
//
// Definition: f(x) = exp(-x^2/2). Layer i >= 1 is the rectangle [0, x_i] x [f(x_i), f(x_{i-1})],
// x_0 = 0, x_255 = r; layer 0 is [0, v/f(r)] x [0, f(r)] plus the tail beyond r. Every layer has
// area v = r f(r) + sqrt(pi/2) erfc(r/sqrt 2), which fixes x_{i-1} = sqrt(-2 log(v/x_i + f(x_i)))
// from the top down, and r is the root of "the top layer has area v": x_1 (1 - f(x_1)) = v.
// Tables: k[i] = floor(2^53 x_{i-1}/x_i) (k[0] = floor(2^53 r f(r)/v), k[1] = 0),
// w[i] = x_i 2^-53 (w[0] = v/f(r) 2^-53), f[i] = f(x_i) (f[0] = 1).

const P = 320n;            // fractional bits
const ONE = 1n << P;
const HALF = ONE >> 1n;

const mul = (a, b) => (a * b) >> P;
const div = (a, b) => (a << P) / b;
function isqrt(n) {
  if (n < 0n) throw new Error('isqrt of a negative');
  if (n < 2n) return n;
  let x = 1n << BigInt((n.toString(2).length + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}
const sqrt = (a) => isqrt(a << P);
const fromInt = (n) => BigInt(n) << P;

// atanh(1/n) = sum 1/((2k+1) n^(2k+1)), for the constants
function atanhInv(n) {
  const N = BigInt(n), N2 = N * N;
  let term = ONE / N, sum = 0n;
  for (let k = 0n; term !== 0n; k++) {
    sum += term / (2n * k + 1n);
    term /= N2;
  }
  return sum;
}
function atanInv(n) { // atan(1/n), alternating
  const N = BigInt(n), N2 = N * N;
  let term = ONE / N, sum = 0n;
  for (let k = 0n; term !== 0n; k++) {
    sum += (k & 1n ? -term : term) / (2n * k + 1n);
    term /= N2;
  }
  return sum;
}
const LN2 = 2n * atanhInv(3);                       // ln 2 = 2 atanh(1/3)
const PI = 16n * atanInv(5) - 4n * atanInv(239);    // Machin

// exp(x) = 2^n exp(t), x = n ln2 + t, |t| <= ln2/2, Taylor in t.
function exp(x) {
  let n = x / LN2;
  let t = x - n * LN2;
  if (t > LN2 / 2n) { t -= LN2; n += 1n; } else if (t < -LN2 / 2n) { t += LN2; n -= 1n; }
  let term = ONE, sum = ONE;
  for (let k = 1n; term !== 0n; k++) {
    term = mul(term, t) / k;
    sum += term;
  }
  return n >= 0n ? sum << n : sum >> -n;
}
// log(y), y > 0: y = m 2^e with m in [1, 2), log m = 2 atanh((m-1)/(m+1)).
function log(y) {
  if (y <= 0n) throw new Error('log of a non-positive');
  let e = BigInt(y.toString(2).length) - 1n - P;
  let m = e >= 0n ? y >> e : y << -e;
  const t = div(m - ONE, m + ONE), t2 = mul(t, t);
  let term = t, sum = 0n;
  for (let k = 0n; term !== 0n; k++) {
    sum += term / (2n * k + 1n);
    term = mul(term, t2);
  }
  return e * LN2 + 2n * sum;
}
// erfc(z) = 1 - 2/sqrt(pi) exp(-z^2) sum_n 2^n z^(2n+1) / (1 3 5 ... (2n+1)), for moderate z > 0.
function erfc(z) {
  const z2 = mul(z, z);
  let term = z, sum = 0n;
  for (let n = 0n; term !== 0n; n++) {
    sum += term;
    term = (mul(term, z2) * 2n) / (2n * n + 3n);
  }
  return ONE - div(mul(2n * exp(-z2), sum), sqrt(PI));
}
const f = (x) => exp(-(mul(x, x) >> 1n));
const SQRT_HALF_PI = sqrt(PI >> 1n), SQRT2 = sqrt(fromInt(2));
const area = (r) => mul(r, f(r)) + mul(SQRT_HALF_PI, erfc(div(r, SQRT2)));

// x_0..x_255 for a given r, or null when the layers reach f = 1 before the top (r too small).
function layers(r) {
  const v = area(r), x = new Array(256);
  x[255] = r;
  for (let i = 255; i > 1; i--) {
    const y = div(v, x[i]) + f(x[i]);
    if (y >= ONE) return null;
    x[i - 1] = sqrt(-2n * log(y));
  }
  x[0] = 0n;
  return { v, x };
}
// Top-layer area minus v: increasing in r, negative (or null layers) below the root.
function residual(r) {
  const L = layers(r);
  if (!L) return -ONE;
  return mul(L.x[1], ONE - f(L.x[1])) - L.v;
}

// r by bisection to 60 bits, then the Illinois variant of regula falsi to full precision.
let lo = fromInt(36) / 10n, hi = fromInt(37) / 10n;
for (let i = 0; i < 60; i++) {
  const mid = (lo + hi) >> 1n;
  if (residual(mid) < 0n) lo = mid; else hi = mid;
}
let flo = residual(lo), fhi = residual(hi), side = 0;
if (!(flo < 0n && fhi > 0n)) throw new Error('root not bracketed');
while (hi - lo > 1n << 16n) {
  const r = lo - (flo * (hi - lo)) / (fhi - flo);
  const fr = residual(r);
  if (fr < 0n) { lo = r; flo = fr; if (side === -1) fhi /= 2n; side = -1; }
  else { hi = r; fhi = fr; if (side === 1) flo /= 2n; side = 1; }
}
const R = (lo + hi) >> 1n;
const { v: V, x: X } = layers(R);
const MARGIN = 1n << (P - 64n); // a rounding this close to a tie would need more precision

// The double nearest to a positive fixed-point value, as C hex-float text and as a number.
function toDouble(a) {
  if (a <= 0n) throw new Error('toDouble of a non-positive');
  const L = BigInt(a.toString(2).length), shift = L - 53n;
  let m = a >> shift;
  const rem = a - (m << shift), half = 1n << (shift - 1n);
  const d = rem - half;
  if ((d < 0n ? -d : d) < MARGIN >> (P - shift + 1n) + 1n && (d < 0n ? -d : d) < (half >> 40n))
    throw new Error('rounding too close to a tie');
  if (rem > half || (rem === half && (m & 1n))) m += 1n;
  let e = shift - P; // value = m 2^e, 2^52 <= m <= 2^53
  if (m === 1n << 53n) { m >>= 1n; e += 1n; }
  const frac = (m - (1n << 52n)).toString(16).padStart(13, '0').replace(/0+$/, '');
  const exp2 = e + 52n;
  return `0x1${frac ? '.' + frac : ''}p${exp2 >= 0n ? '+' : ''}${exp2}`;
}
function floorChecked(a) { // floor of a fixed-point value, refusing near-integers
  const q = a >> P, rem = a - (q << P);
  if (rem < MARGIN || ONE - rem < MARGIN) throw new Error('floor too close to an integer');
  return q;
}

const fR = f(R);
const k = [], w = [], fv = [];
for (let i = 0; i < 256; i++) {
  if (i === 0) {
    k.push(floorChecked(div(mul(R, fR), V) << 53n));
    w.push(toDouble(div(V, fR) >> 53n));
    fv.push('0x1p+0');
  } else {
    k.push(i === 1 ? 0n : floorChecked(div(X[i - 1], X[i]) << 53n));
    w.push(toDouble(X[i] >> 53n));
    fv.push(toDouble(f(X[i])));
  }
}

const dec = (a, digits) => { // a fixed-point value as a decimal string with `digits` decimals
  const s = ((a * 10n ** BigInt(digits) + HALF) >> P).toString().padStart(digits + 1, '0');
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
};
const rows = (items, per, fmt) => {
  const out = [];
  for (let i = 0; i < items.length; i += per) out.push('    ' + items.slice(i, i + per).map(fmt).join(' ') + ' \\');
  out[out.length - 1] = out[out.length - 1].slice(0, -2);
  return out.join('\n');
};
const hex14 = (n) => `0x${n.toString(16).padStart(14, '0')}`;

process.stdout.write(`/* Generated by tests/gen/ziggurat.mjs; do not edit (make test-gen checks it is reproduced).
 *
 * The 256-layer Ziggurat of hush_rng_normal (Marsaglia & Tsang 2000) for f(x) = exp(-x^2/2):
 * x_0 = 0 < x_1 < ... < x_255 = r, every layer of area v. The values are the exact ones (computed
 * with 320-bit fixed point) rounded once: k by floor, w and f to nearest double.
 *   r = ${dec(R, 30)}
 *   v = ${dec(V, 30)}
 * Each table is an X-macro list, so the float sampler's variants derive from the same values.
 *   ZIG_K_TABLE  k[i] = floor(2^53 x_{i-1}/x_i); k[0] = floor(2^53 r f(r)/v), k[1] = 0
 *   ZIG_W_TABLE  w[i] = x_i 2^-53;               w[0] = v/f(r) 2^-53
 *   ZIG_F_TABLE  f[i] = f(x_i);                  f[0] = 1 (the top of layer 1)
 */
#ifndef HUSH__RNG_ZIGGURAT_H
#define HUSH__RNG_ZIGGURAT_H

#define ZIG_R ${toDouble(R)}
#define ZIG_INV_R ${toDouble(div(ONE, R))}

#define ZIG_K_TABLE(X) \\
${rows(k, 4, (n) => `X(${hex14(n)})`)}

#define ZIG_W_TABLE(X) \\
${rows(w, 3, (s) => `X(${s})`)}

#define ZIG_F_TABLE(X) \\
${rows(fv, 3, (s) => `X(${s})`)}

#endif
`);
