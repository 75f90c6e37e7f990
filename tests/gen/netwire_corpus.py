#!/usr/bin/env python3
"""Writes the seed corpus of tests/fuzz/fuzz_netwire.c: one valid hush.v1 frame of every type
(format in core/src/io/netwire.h; MODEL carries a task from fedtask_corpus.py) behind selector byte 0, and identity files (format in
core/include/hush/net.h: "hush-id\\0" | u32 version | seed[32] | BLAKE2b-128) behind selector
byte 1: a valid one, one with a wrong checksum, a truncated one; pin files behind byte 2.
Standard library only.
Run: python3 tests/gen/netwire_corpus.py"""
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fedtask_corpus import task as fl_task  # noqa: E402

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fuzz', 'corpus', 'fuzz_netwire')
os.makedirs(DIR, exist_ok=True)


def u32(v): return struct.pack('<I', v)
def u16(v): return struct.pack('<H', v)
def name(s): return bytes([len(s)]) + s.encode()
def fill(n, v): return bytes([v]) * n


def frame(t, *parts):
    body = b''.join(parts)
    return bytes([0x68, 0x6e, 1, t]) + u32(len(body)) + body


seeds = {
    'challenge': frame(1, fill(32, 7), u32(0)),
    'auth': frame(2, name('fuzz'), fill(32, 1), b'\x01', fill(32, 2), fill(64, 3)),
    'auth_no_token': frame(2, name('fuzz'), fill(32, 1), b'\x00', fill(64, 3)),
    'welcome': frame(3, name('fuzz'), u32(1)),
    'error': frame(4, u16(4002), u16(13), b'bad signature'),
    'join': frame(5, name('task')),
    'round': frame(6, name('task'), u32(1), fill(16, 5), u32(3), u32(2), u32(16), u32(4), u32(0), u32(0),
                   u32(0), u32(1), name('a'), fill(32, 10), name('fuzz'), fill(32, 11), name('c'), fill(32, 12)),
    # SecAgg+ (neighbours 2 of n 5): participant 3 is sent its neighbourhood 2, 3, 4 only
    'round_sparse': frame(6, name('task'), u32(1), fill(16, 5), u32(5), u32(2), u32(16), u32(4), u32(2), u32(0),
                          u32(2), u32(3), u32(3), u32(2), name('b'), fill(32, 10), u32(3), name('fuzz'), fill(32, 11),
                          u32(4), name('d'), fill(32, 12)),
    'secagg': frame(7, u32(1), fill(40, 0)),
    'result': frame(8, name('task'), u32(1), b'\x01', u32(1), u32(2), u32(5), u32(6)),
    'result_aborted': frame(8, name('task'), u32(2), b'\x02', u32(0), u32(0)),
    'model': frame(9, name('task'), u32(1), fl_task(2, 32, 1.1, 4.0), u32(24), fill(24, 9)),
    'model_bad_task': frame(9, name('task'), u32(1), fl_task(2, 32, float('nan'), 4.0), u32(4), fill(4, 9)),
    'decline': frame(10, name('task'), u32(3), u32(1)),
}
for k, v in seeds.items():
    with open(os.path.join(DIR, k + '.seed'), 'wb') as f:
        f.write(b'\x00' + v)

head = b'hush-id\x00' + u32(1) + fill(32, 42)
good = head + hashlib.blake2b(head, digest_size=16).digest()
for k, v in {'identity': good, 'identity_bad_sum': head + fill(16, 0), 'identity_short': head[:20]}.items():
    with open(os.path.join(DIR, k + '.seed'), 'wb') as f:
        f.write(b'\x01' + v)

pins = {'pins': b'# trusted\nalice ' + b'ab' * 32 + b'\n\nbob\t' + b'0F' * 32 + b'\r\n',
        'pins_bad': b'alice 1234\n'}
for k, v in pins.items():
    with open(os.path.join(DIR, k + '.seed'), 'wb') as f:
        f.write(b'\x02' + v)
