#!/usr/bin/env python3
"""Writes the seed corpus of tests/fuzz/fuzz_fedtask.c: a valid federated task encoding for each
privacy unit (format in core/src/io/fedtask.c: ten u32, seven f64 and, from version 2, the u32
freeze_head, little-endian), one with a frozen head, one of version 1, one with a NaN, one truncated, and FedAdam states (core/src/io/fedtask.h) for a 3-parameter model.
Standard library only. Run: python3 tests/gen/fedtask_corpus.py"""
import os
import struct

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fuzz', 'corpus', 'fuzz_fedtask')


def task(privacy, bits, noise, metric, server_opt=1, freeze_head=0, version=2):
    u = struct.pack('<10I', version, privacy, 2, 32, 0, server_opt, bits, 10, 6, 65536)
    f = struct.pack('<7d', 0.1, 1.0, 1.0, noise, metric, 1e-5, 0.2)
    return u + f + (struct.pack('<I', freeze_head) if version >= 2 else b'')


def main():
    os.makedirs(DIR, exist_ok=True)
    seeds = {
        'none': task(1, 32, 0.0, 0.0),
        'record': task(2, 32, 1.1, 4.0),
        'user_fedadam': task(3, 24, 1.0, 4.0, 2),
        'freeze_head': task(1, 32, 0.0, 0.0, 2, 1),
        'v1_record': task(2, 32, 1.1, 4.0, version=1),
        'nan': task(2, 32, float('nan'), 4.0),
        'short': task(1, 32, 0.0, 0.0)[:50],
        'state': struct.pack('<3IQ', 0x44414648, 1, 3, 7) + struct.pack('<6f', 0.1, -0.2, 0.3, 0.01, 0.04, 0.09),
        'state_negative_v': struct.pack('<3IQ', 0x44414648, 1, 3, 7) + struct.pack('<6f', 0.1, -0.2, 0.3, 0.01, -1, 0.09),
    }
    for k, v in seeds.items():
        with open(os.path.join(DIR, k + '.seed'), 'wb') as fh:
            fh.write(v)


if __name__ == '__main__':
    main()
