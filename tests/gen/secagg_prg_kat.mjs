// Generates tests/vectors/secagg/prg.kat, the known answers of hush_secagg_prg_expand: word i is
// the little-endian u32 i of the ChaCha20-IETF keystream (RFC 8439) under key = seed, nonce 0,
// block counter 0, reduced mod 2^bits. Computed here with OpenSSL's ChaCha20 (node:crypto), an
// implementation independent of the libsodium one Hush uses.
//   node tests/gen/secagg_prg_kat.mjs > tests/vectors/secagg/prg.kat   (make test-gen compares)
import { chacha20 } from './chacha20_kat.mjs';

// Case c's seed is byte j = 77 c + 3 j (mod 256): arbitrary, distinct, easy to rebuild.
const seedOf = (c) => Buffer.from(Array.from({ length: 32 }, (_, j) => (77 * c + 3 * j) & 0xff));
const CASES = [
  { name: 'rfc8439-A.1-1', seed: Buffer.alloc(32), bits: 32, dim: 4 },
  { name: 'case0', seed: seedOf(0), bits: 32, dim: 24 },
  { name: 'case1', seed: seedOf(1), bits: 16, dim: 24 },
  { name: 'case2', seed: seedOf(2), bits: 5, dim: 40 },
];

let out = `# Secure-aggregation mask PRG (hush_secagg_prg_expand): word i = little-endian u32 i of the
# ChaCha20-IETF keystream (RFC 8439) under key = seed, nonce = 0, counter 0, reduced mod 2^bits.
# Source: tests/gen/secagg_prg_kat.mjs with OpenSSL's ChaCha20 (node:crypto), independent of the
# libsodium code Hush runs; case rfc8439 is RFC 8439 appendix A.1 test vector #1 (all-zero key)
# read as words.
`;
for (const c of CASES) {
  const ks = chacha20(c.seed, Buffer.alloc(12), 0, 4 * c.dim);
  const words = [];
  for (let i = 0; i < c.dim; i++) words.push(c.bits === 32 ? ks.readUInt32LE(4 * i) : ks.readUInt32LE(4 * i) % 2 ** c.bits);
  out += `\nname = ${c.name}\nseed = ${c.seed.toString('hex')}\nbits = ${c.bits}\ndim = ${c.dim}\nwords = ${words.join(' ')}\n`;
}
process.stdout.write(out);
