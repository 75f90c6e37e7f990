#!/usr/bin/env python3
"""Generates tests/vectors/modelfile/tiny.kat, the model file v1 known answers, from the format
spec (core/src/io/modelfile.h) alone: Python's struct and hashlib (standard library), nothing of
Hush, so the C encoder and decoder are checked against an independent writer.

    python3 tests/gen/modelfile_kat.py > tests/vectors/modelfile/tiny.kat   (make test-gen compares)
"""
import hashlib
import struct

HEADER = r"""# Hush model file v1 known answers (format: core/src/io/modelfile.h).
#
# Derivation: for "tiny" the bytes before the checksum were written out by hand from the format spec
# (magic "HUSHMDL\0", u32 LE version 1, flags 0, input c h w, n_layers, per layer u32 kind a b c,
# u64 n_params, float32 LE bit patterns: 0.5 = 0x3f000000, -1 = 0xbf800000, 0.25 = 0x3e800000,
# 2 = 0x40000000, 1.5 = 0x3fc00000, -0.125 = 0xbe000000, 3 = 0x40400000) and compared with a
# throwaway program calling libsodium's crypto_generichash (unkeyed, 32-byte output); the final
# 32 bytes were then checked independently with coreutils:
#   head -c 88 tiny.bin | b2sum -l 256
#   -> 527477c5fa6ab6235a1b78e516080d5370bef1e160b1fd144c925f980e53db52
#   head -c 256 small.bin | b2sum -l 256
#   -> f74f911c7bebe0570f87182287a9bc28decc3dbe34d771b4150431dfe683ea62
# Both whole files are rebuilt independently of the C encoder by tests/gen/modelfile_kat.py
# (Python's struct.pack, '<' little-endian, 'f' float32, and hashlib.blake2b(digest_size=32)):
# `make test-gen` checks this file is what it writes.
#
# Fields: name; input = c h w; spec = the layers as a model spec string (nn.h); layers = the
# hush_layer_spec values, four u32 (kind a b c) per layer; params = the float32 parameters in
# file order (every value is exactly representable); file = the whole file in hex.
# The params counts are those of nn's dense/conv layers (weights + biases): dense 3->2 is 8,
# conv 1->2 3x3 is 20 and dense 2*2*2->2 is 18. The file format itself does not check this.
"""

# kind codes of hush_layer_spec (core/include/hush/nn.h)
DENSE, CONV2D, MAXPOOL, RELU = 1, 2, 3, 4

CASES = [
    # dense 3->2: W[3][2] then b[2], every value exact in float32
    ("tiny", (3, 1, 1), "dense:2", [(DENSE, 2, 0, 0)], [0.5, -1, 0.25, 2, 0, 1.5, -0.125, 3]),
    # conv 1->2 3x3 same (18 + 2), relu, maxpool 4x4 -> 2x2, dense 8->2 (16 + 2): -2.375 .. 2.25
    ("small", (1, 4, 4), "conv:2:3:same,relu,maxpool,dense:2",
     [(CONV2D, 2, 3, 1), (RELU, 0, 0, 0), (MAXPOOL, 0, 0, 0), (DENSE, 2, 0, 0)],
     [(i - 19) / 8 for i in range(38)]),
]


def model_file(shape, layers, params):
    b = b"HUSHMDL\0" + struct.pack("<II", 1, 0) + struct.pack("<III", *shape)
    b += struct.pack("<I", len(layers))
    for layer in layers:
        b += struct.pack("<IIII", *layer)
    b += struct.pack("<Q", len(params)) + struct.pack("<%df" % len(params), *params)
    return b + hashlib.blake2b(b, digest_size=32).digest()


def num(v):
    return ("%d" % v) if float(v).is_integer() else repr(float(v))


out = HEADER
for name, shape, spec, layers, params in CASES:
    out += "\nname = %s\n" % name
    out += "input = %s\n" % " ".join(str(d) for d in shape)
    out += "spec = %s\n" % spec
    out += "layers = %s\n" % " ".join(str(v) for layer in layers for v in layer)
    out += "params = %s\n" % " ".join(num(p) for p in params)
    out += "file = %s\n" % model_file(shape, layers, params).hex()
print(out, end="")
