# Counts the work of the attention-per-line kernels' tiles on Dyck steps, against the pairs a
# line's causal triangle needs: how much of what the tiles compute is masked away.
# Layout as the trainer's (line_packing.h): each seed's 8 lines first-fit decreasing into rows
# of PackedRowLength (rows shared by all seeds), or one row per seed (OneRowLength); padding
# after a row's lines either one line (before 800b306) or a line per position (after).
# The forward's query tile of 64 flattened positions iterates key tiles of 64 from its first
# query's line start up to its last query (cuda_line_attention_kernels.cu); the backward
# kernels cover the same pairs. Data: build/tasks/sg-data generate --task dyck --split train
# --seed 0 --out /tmp/dyck_train.txt; python3 tile_work.py [tile].
import random, sys
TILE = int(sys.argv[1]) if len(sys.argv) > 1 else 64
lines = [len(l.split()) + 1 for l in open('/tmp/dyck_train.txt')]

def prl(t):
    L = 64
    while L <= 1024:
        if t <= L: return L
        L *= 2
    return (t + 63) // 64 * 64

def ffd(toks, L):  # rows of (line lengths), first fit decreasing
    rows = []
    for t in sorted(toks, reverse=True):
        for r in rows:
            if sum(r) + t <= L: r.append(t); break
        else: rows.append([t])
    return rows

def starts_of(rows_per_seed, R, L, padding_as_one):
    """Line start of every flattened position, and the useful pairs."""
    start, useful = [], 0
    for rows in rows_per_seed:
        for r in range(R):
            base = len(start)
            at = 0
            for n in (rows[r] if r < len(rows) else []):
                start += [base + at] * n
                useful += n * (n + 1) // 2
                at += n
            pad = L - at
            if padding_as_one:
                start += [base + at] * pad
                useful += pad * (pad + 1) // 2
            else:
                start += list(range(base + at, base + L))
                useful += pad
    return start, useful

def tile_pairs(start):
    M, pairs = len(start), 0
    for q0 in range(0, M, TILE):
        last = min(q0 + TILE, M) - 1
        key_tiles = (last - start[q0]) // TILE + 1
        pairs += key_tiles * TILE * TILE
    return pairs

def sim(S, one_row, padding_as_one, steps=400):
    orders = []
    for s in range(S):
        r = random.Random(1000 + s); o = list(range(len(lines))); r.shuffle(o); orders.append(o)
    comp = use = real = 0
    for st in range(steps):
        b = [[lines[orders[s][(st * 8 + i) % len(lines)]] for i in range(8)] for s in range(S)]
        if one_row:
            L = (max(sum(x) for x in b) + 255) // 256 * 256
            rows = [[sorted(x, reverse=True)] for x in b]; R = 1
        else:
            L = prl(max(max(x) for x in b))
            rows = [ffd(x, L) for x in b]; R = max(len(r) for r in rows)
        start, useful = starts_of(rows, R, L, padding_as_one)
        comp += tile_pairs(start); use += useful
        real += sum(n * (n + 1) // 2 for x in b for n in x)
    n = steps
    print(f"S={S} {'one row' if one_row else 'rows   '} padding {'one line ' if padding_as_one else 'per position'}: "
          f"tile pairs {comp/n/1e6:.2f} M per head-layer-step, needed {use/n/1e6:.3f} M "
          f"(real lines {real/n/1e6:.3f} M): {comp/max(real,1):.1f}x the real lines' pairs")

print(f"tile {TILE}")
for one_row in (False, True):
    for pad in (True, False):
        sim(10, one_row, pad)
