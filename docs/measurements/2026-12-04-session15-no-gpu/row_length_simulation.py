# Rows of one length shared by all seeds (first-fit decreasing, rows = the most any seed needs):
# positions per step for each row length, against the real ones (a step with a longer line
# takes rows of twice the length until it fits). 3,000 steps of S seeds x 8 lines, each seed
# its own shuffled order; python3 row_length_simulation.py TASK 10 after sg-data generate.
import random, sys
task, S = sys.argv[1], int(sys.argv[2])
lines = [len(l.split()) + 1 for l in open(f'/tmp/{task}_train.txt')]
def ffd(toks, L):
    rows = []
    for t in sorted(toks, reverse=True):
        for i in range(len(rows)):
            if rows[i] + t <= L: rows[i] += t; break
        else: rows.append(t)
    return len(rows)
orders = []
for s in range(S):
    r = random.Random(1000 + s); o = list(range(len(lines))); r.shuffle(o); orders.append(o)
steps = 3000
batches = [[[lines[orders[s][(st * 8 + i) % len(lines)]] for i in range(8)] for s in range(S)] for st in range(steps)]
tok = sum(sum(sum(x) for x in b) for b in batches) / steps
print(f"{task} S={S}: real {tok:.0f}, longest line {max(lines)}")
for L in [32, 40, 48, 56, 64, 72, 80, 96, 112, 128, 192, 256]:
    pos = 0; too_long = 0; shapes = {}
    for b in batches:
        longest = max(max(x) for x in b)
        LL = L
        while longest > LL: LL *= 2   # a step with a longer line takes a longer row
        if LL != L: too_long += 1
        R = max(ffd(x, LL) for x in b)
        pos += S * R * LL; shapes[(R, LL)] = shapes.get((R, LL), 0) + 1
    top = sorted(shapes.items(), key=lambda kv: -kv[1])[:4]
    print(f"  rows of {L:3d}: {pos/steps:6.0f} positions ({100*tok/(pos/steps):4.1f}% real), {len(shapes)} shapes, {100*too_long/steps:.1f}% steps longer; top {[(k, round(100*v/steps,1)) for k,v in top]}")
