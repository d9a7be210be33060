#!/usr/bin/env python3
"""Checks the index arithmetic of this session's two patches without a GPU.

dq-in-registers.patch: a warp w of dQ's kernel holds, for row blocks u = 0, 1, the mma.sync
m16n8k8 accumulators of 16 queries from 16 (w // 4 + 2 u) by 16 keys from 16 (w % 4), two
halves of 8 keys each; lane l's entry e is (g + 8 [e >= 2], 2 t + (e & 1)) of its 16 x 8
tile, with g = l // 4 and t = l % 4 (the PTX ISA's layout). dkv-half-tiles.patch: the same
with one row block of 16 keys a warp (w // 4) of a 32-key half tile, and the outputs written
kThreads / 32 threads a key, DH / 8 dims each. Every pair and every output must be taken
exactly once.
"""
from collections import Counter


def pairs(row_blocks_of_warp, rows):
    taken = Counter()
    for w in range(8):
        for lane in range(32):
            g, t = lane // 4, lane % 4
            col0 = (w % 4) * 16
            for r0 in row_blocks_of_warp(w):
                for n in range(2):
                    for e in range(4):
                        taken[(r0 + g + (8 if e >= 2 else 0), col0 + 8 * n + 2 * t + (e & 1))] += 1
    want = {(r, c) for r in range(rows) for c in range(64)}
    return set(taken) == want and set(taken.values()) == {1}


def outputs(dh):
    row_threads = 256 // 32
    each = dh // row_threads
    taken = Counter((tid // row_threads, (tid % row_threads) * each + c)
                    for tid in range(256) for c in range(each))
    return set(taken) == {(r, d) for r in range(32) for d in range(dh)} and \
        set(taken.values()) == {1}


checks = {
    "dQ: each of a 64 x 64 tile's pairs once": pairs(lambda w: [(w // 4 + 2 * u) * 16
                                                                for u in range(2)], 64),
    "dK, dV: each of a 32 x 64 half tile's pairs once": pairs(lambda w: [w // 4 * 16], 32),
}
for dh in (16, 32, 64):
    checks[f"dK, dV: each output of head width {dh} once"] = outputs(dh)
for name, ok in checks.items():
    print(("ok   " if ok else "FAIL ") + name)
raise SystemExit(0 if all(checks.values()) else 1)
